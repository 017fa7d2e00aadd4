// jsdom lacks TextEncoder/TextDecoder, which @msgpack/msgpack needs at import time.
import {TextDecoder, TextEncoder} from 'node:util';

const g = globalThis as unknown as {TextEncoder?: unknown; TextDecoder?: unknown};
if (!g.TextEncoder) {
  g.TextEncoder = TextEncoder;
  g.TextDecoder = TextDecoder;
}

// jsdom does not play media: a silent stand-in keeps tests of code that plays sounds free of "not implemented" noise.
if (typeof window !== 'undefined' && window.HTMLMediaElement) {
  window.HTMLMediaElement.prototype.play = () => Promise.resolve();
}
