// werift's modules that its package exports map does not list, loaded by path as werift itself loads them, so
// the patches and accessors here see the very module objects werift's code uses.
import {createRequire} from 'node:module';
import path from 'node:path';

const load = createRequire(__filename);

/** A werift module by its path under werift's lib/ (e.g. 'ice/src/iceBase.js'). */
export function weriftModule<T>(relativePath: string): T {
  return load(path.join(path.dirname(load.resolve('werift')), '../..', relativePath)) as T;
}
