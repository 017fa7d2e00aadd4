import {hasUnstorableText} from './unstorable';

describe('hasUnstorableText', () => {
  it('finds U+0000 and unpaired surrogates in strings, nested values and keys, not in bytes', () => {
    expect(hasUnstorableText('a\u0000b')).toBe(true);
    expect(hasUnstorableText({a: [1, {b: 'x\u0000'}]})).toBe(true);
    expect(hasUnstorableText({['k\u0000']: 1})).toBe(true);
    expect(hasUnstorableText('lone \ud800 high')).toBe(true);
    expect(hasUnstorableText('lone \udc00 low')).toBe(true);
    expect(hasUnstorableText(['\udfff\ud800'])).toBe(true);
    expect(hasUnstorableText({data: new Uint8Array([0, 0, 0])})).toBe(false);
    expect(hasUnstorableText({a: 'fine 🎉 é', b: [null, true, 3, '\\u0000 as text']})).toBe(false);
  });
});
