import {jsonNestsDeeperThan} from './json-depth';

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings or escapes', () => {
    expect(jsonNestsDeeperThan('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":[1,{"b":2}]}', 2)).toBe(true);
    expect(jsonNestsDeeperThan(JSON.stringify({s: '[[[[[[{{{{{{', t: 'a\\"[[[['}), 1)).toBe(false);
    expect(jsonNestsDeeperThan('"just a string"', 0)).toBe(false);
  });

  it('handles a body nested far deeper than any stack', () => {
    const depth = 500_000;
    expect(jsonNestsDeeperThan('['.repeat(depth) + ']'.repeat(depth), 64)).toBe(true);
    expect(jsonNestsDeeperThan('{"a":'.repeat(depth) + '1' + '}'.repeat(depth), 64)).toBe(true);
  });
});
