// Text PostgreSQL cannot store: U+0000 (text and jsonb refuse it) and, in jsonb, an unpaired UTF-16
// surrogate (JSON.stringify writes it as a `\ud800` escape, which jsonb rejects). SQLite takes both, so
// each one that reached a query was a 500 on PostgreSQL only. Input carrying either is refused where it
// enters: the HTTP URL and JSON body, the websocket frame, and the JSON strings inside calls actions.

// eslint-disable-next-line no-control-regex -- NUL is exactly what this refuses
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What the refusals say. */
export const UNSTORABLE_TEXT = 'a NUL character or an unpaired surrogate';

/** Whether any string (or object key) in `value` is unstorable; iterative, so depth is no risk. */
export function hasUnstorableText(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
      for (const [k, x] of Object.entries(v)) {
        if (UNSTORABLE.test(k)) return true;
        stack.push(x);
      }
    }
  }
  return false;
}
