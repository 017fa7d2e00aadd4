// How deeply a JSON text nests, counted before parsing and without recursion: a request body nested
// thousands deep parses, but every later JSON.stringify of it (storing, answering, logging) overflows
// the stack. No body of this API nests beyond a handful of levels.
export const MAX_BODY_DEPTH = 64;

/** True when arrays/objects in `text` nest deeper than `limit` (strings and escapes are skipped). */
export function jsonNestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
