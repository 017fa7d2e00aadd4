import {hasNul} from './nul';

describe('hasNul', () => {
  it('finds U+0000 in strings, nested values and keys, not in bytes', () => {
    expect(hasNul('a\u0000b')).toBe(true);
    expect(hasNul({a: [1, {b: 'x\u0000'}]})).toBe(true);
    expect(hasNul({['k\u0000']: 1})).toBe(true);
    expect(hasNul({data: new Uint8Array([0, 0, 0])})).toBe(false);
    expect(hasNul({a: 'fine', b: [null, true, 3, '\\u0000 as text']})).toBe(false);
  });
});
