// The HTTP Range header of a single byte range (RFC 9110 §14.1.2), as a `<video>` element sends it to seek:
// `bytes=a-b`, `bytes=a-` and `bytes=-n`. Several ranges are served as the whole file (allowed by the RFC).

export type RangeResult = {start: number; end: number} | 'unsatisfiable' | null;

/** The inclusive byte range asked for in a file of `size` bytes; null to send the whole file. */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return null;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return {start: Math.max(0, size - n), end: size - 1};
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return {start, end};
}
