// A fresh SQLite store in a temporary directory for each test of a file, closed and removed after it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {silentLogger} from '../log';
import {openStore, type Store} from '../store';

/** The current test's store (call it inside a test or a hook). */
export function useTempStore(prefix = 'calls-store-'): () => Store {
  let store: Store | undefined;
  let dir = '';
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    store = await openStore({dataDir: dir, logger: silentLogger()});
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    fs.rmSync(dir, {recursive: true, force: true});
  });
  return () => store!;
}
