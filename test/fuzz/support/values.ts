// Hostile values for any field: wrong types, edge numbers, huge and strange strings, deep nesting,
// prototype keys, real ids from the test world. Generated strings never contain what the leak check
// looks for, so an error that echoes client input back is not mistaken for a leaked stack trace.
import type {Rng} from './rng';

/** Markers of an internal leak in anything the server sends: stack frames, source files, paths. */
const LEAK_PATTERNS: RegExp[] = [
  /\bat [\w$.<>[\] ]+ \(.*:\d+:\d+\)/, // "at fn (file:line:col)"
  /\n\s+at \S/, // a stack's frame lines
  /\.ts:\d/, // a TypeScript source position
  /\/work\//, // the repository's location
  /node_modules/,
  /\/tmp\/calls-/, // the node's data directory
];

/** The first leak marker found in a body or message, or null. */
export function findLeak(text: string): string | null {
  for (const re of LEAK_PATTERNS) {
    const m = re.exec(text);
    if (m) return `${re}: …${text.slice(Math.max(0, m.index - 60), m.index + 100)}…`;
  }
  return null;
}

/** Removes anything a leak pattern would match from fuzz input. */
export function scrub(text: string): string {
  return text
    .replace(/\bat /g, 'a_')
    .replace(/\.ts:/g, '_ts_')
    .replace(/\/work\//g, '/w_/')
    .replace(/node_modules/g, 'n_m')
    .replace(/\/tmp\/calls-/g, '/t/c-');
}

const NAUGHTY = [
  '',
  ' ',
  '\u0000',
  'null',
  'undefined',
  'NaN',
  'true',
  '0',
  '-1',
  '1e309',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '%s%s%s%n',
  '%00',
  '%',
  '%25',
  '%zz',
  '../../../../etc/passwd',
  '..\\..\\windows',
  "' OR 1=1 --",
  '"; DROP TABLE calls; --',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '\r\nSet-Cookie: x=1',
  '\u202e\u0627\u0644\u0639\u0631\u0628\u064a\u0629',
  '🎉🔥👩‍👩‍👧‍👦',
  '\ud800',
  '\udfff\ud800',
  'Ω≈ç√∫',
  '\ufeff',
  '\u2028\u2029',
  'ａｄｍｉｎ',
  'admin',
  'alice',
  'system_admin',
  'custom_com.mattermost.calls_join',
  'offer',
  'answer',
  'candidate',
  'a'.repeat(26),
  'z'.repeat(27),
  '0'.repeat(26),
  'A'.repeat(26),
];

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  2 ** 31,
  -(2 ** 31),
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  -1e308,
  5e-324,
  1e21,
  123456789012,
];

export interface ValueContext {
  /** Real ids of the test world (users, channels, posts, connections), to reach code past id validation. */
  ids: readonly string[];
}

/** A random string: naughty, random unicode, a real id, or huge. */
export function hostileString(rng: Rng, ctx: ValueContext, maxLen = 70_000): string {
  const kind = rng.weighted([
    [4, 'naughty'],
    [3, 'id'],
    [3, 'random'],
    [1, 'huge'],
    [1, 'unicode'],
  ] as const);
  let s: string;
  switch (kind) {
    case 'naughty':
      s = rng.pick(NAUGHTY);
      break;
    case 'id':
      s = ctx.ids.length && rng.chance(0.7) ? rng.pick(ctx.ids) : randomId(rng);
      break;
    case 'random': {
      const n = rng.range(1, 64);
      let out = '';
      for (let i = 0; i < n; i++)
        out += String.fromCharCode(rng.chance(0.8) ? rng.range(0x20, 0x7e) : rng.range(0, 0xffff));
      s = out;
      break;
    }
    case 'huge':
      s = rng.pick(['x', 'é', '🎉', '\u0000', 'ab']).repeat(rng.range(1000, Math.max(1000, maxLen)));
      break;
    case 'unicode':
      s = Array.from({length: rng.range(1, 200)}, () => String.fromCodePoint(rng.range(0x80, 0x10ffff))).join('');
      break;
  }
  return scrub(s);
}

/** encodeURIComponent that does not throw on lone surrogates (they become U+FFFD, as a browser would send them). */
export function encodeComponent(text: string): string {
  return encodeURIComponent(
    text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
  );
}

export function randomId(rng: Rng): string {
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < 26; i++) s += abc[rng.int(abc.length)];
  return s;
}

export function hostileNumber(rng: Rng): number {
  return rng.chance(0.7) ? rng.pick(NUMBERS) : (rng.next() - 0.5) * 10 ** rng.int(20);
}

/** Nested arrays or objects `depth` deep (as JSON text, since building the value could itself overflow). */
export function deepJSON(rng: Rng, depth: number): string {
  if (rng.chance(0.5)) return '['.repeat(depth) + ']'.repeat(depth);
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Any JSON-able value, biased towards the wrong type for whatever field receives it. */
export function hostileValue(rng: Rng, ctx: ValueContext, depth = 0): unknown {
  const kind = rng.weighted([
    [5, 'string'],
    [3, 'number'],
    [1, 'bool'],
    [1, 'null'],
    [depth < 3 ? 2 : 0, 'array'],
    [depth < 3 ? 2 : 0, 'object'],
  ] as const);
  switch (kind) {
    case 'string':
      return hostileString(rng, ctx, 20_000);
    case 'number':
      return hostileNumber(rng);
    case 'bool':
      return rng.chance(0.5);
    case 'null':
      return null;
    case 'array':
      return Array.from({length: rng.range(0, 5)}, () => hostileValue(rng, ctx, depth + 1));
    case 'object':
      return hostileObject(rng, ctx, depth + 1);
  }
}

export function hostileObject(rng: Rng, ctx: ValueContext, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = rng.range(0, 6);
  for (let i = 0; i < n; i++) {
    const key = rng.chance(0.3)
      ? rng.pick(['__proto__', 'constructor', 'data', 'channelID', 'type', 'sdp', 'id', 'token'])
      : hostileString(rng, ctx, 200);
    out[key] = hostileValue(rng, ctx, depth);
  }
  return out;
}

/**
 * A copy of a well-formed object with some fields replaced by hostile values, removed, or joined by
 * unexpected ones: the shape that passes a first glance and breaks a careless handler.
 */
export function mutateObject(rng: Rng, ctx: ValueContext, base: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {...base};
  const keys = Object.keys(out);
  const edits = rng.range(1, Math.max(1, keys.length));
  for (let i = 0; i < edits; i++) {
    const op = rng.weighted([
      [5, 'replace'],
      [2, 'delete'],
      [2, 'add'],
      [1, 'nest'],
    ] as const);
    const key = keys.length ? rng.pick(keys) : 'x';
    if (op === 'replace') out[key] = hostileValue(rng, ctx);
    else if (op === 'delete') delete out[key];
    else if (op === 'add') out[hostileString(rng, ctx, 100)] = hostileValue(rng, ctx);
    else out[key] = {[key]: out[key], nested: hostileValue(rng, ctx)};
  }
  return out;
}
