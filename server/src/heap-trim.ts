// Gives memory the process freed back to the OS. glibc keeps what V8's background threads and libuv's pool malloc'd
// and freed in per-thread arenas (3–4 of ~16 MB each after a start, a third of an idle server's RSS), and what a
// burst of joins allocated and freed (the main process kept ≈ 70 MB after 300 joins at once); it never trims them by
// itself. So: once after start-up, then whenever `freedBytes` more are free in malloc's arenas than after the last
// trim (checked every `checkMs`: a burst's leftovers go within seconds, not a minute later), and at least every
// `everyMs`. Free bytes, not RSS: RSS cannot tell live memory from freed, and a check in the middle of a burst would
// take the burst's peak for the new normal. Through the native addon; a no-op without.
import {nativeHeapFreeBytes, trimNativeHeap} from './rtc/fastpath/native';

export interface HeapTrimOptions {
  /** After start-up: module loading and the first requests are over. */
  firstMs?: number;
  checkMs?: number;
  everyMs?: number;
  freedBytes?: number;
  /** Ports, for tests: bytes free in malloc's arenas (undefined: unknown), and the trim. */
  heapFree?: () => number | undefined;
  trim?: () => unknown;
}

/** Starts the trims (timers that never keep the process alive); returns the stop. */
export function startHeapTrim({
  firstMs = 5_000,
  checkMs = 5_000,
  everyMs = 60_000,
  freedBytes = 16 * 1024 * 1024,
  heapFree = nativeHeapFreeBytes,
  trim = trimNativeHeap,
}: HeapTrimOptions = {}): () => void {
  // A trim releases the pages of free chunks but leaves them free, so what is free right after it is the mark.
  let mark = 0;
  let lastTrim = 0;
  let check: NodeJS.Timeout | undefined;
  const trimNow = () => {
    trim();
    lastTrim = performance.now();
    mark = heapFree() ?? 0;
  };
  const first = setTimeout(() => {
    trimNow();
    check = setInterval(() => {
      const free = heapFree();
      if ((free !== undefined && free - mark >= freedBytes) || performance.now() - lastTrim >= everyMs) trimNow();
      // Free chunks malloc'd again are resident again once used: count from the lower level.
      else if (free !== undefined && free < mark) mark = free;
    }, checkMs);
    check.unref();
  }, firstMs);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(check);
  };
}
