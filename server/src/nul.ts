// PostgreSQL stores no U+0000 (text and jsonb refuse it; SQLite takes it), so a NUL that reaches a query
// is a 500. Input carrying one is refused where it enters: the HTTP URL and JSON body, the websocket frame,
// and the JSON strings inside calls actions.

/** Whether any string (or object key) in `value` contains U+0000; iterative, so depth is no risk. */
export function hasNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) return true;
        stack.push(x);
      }
    }
  }
  return false;
}
