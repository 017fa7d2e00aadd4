// Gives memory the process freed back to the OS. glibc keeps what V8's background threads and libuv's pool malloc'd
// and freed in per-thread arenas (3–4 of ~16 MB each after a start, a third of an idle server's RSS), and what a
// burst of joins allocated and freed (the main process kept ≈ 70 MB after 300 joins at once); it never trims them by
// itself. So: once after start-up, then whenever RSS has grown by `growthBytes` since the last trim (checked every
// `checkMs`, so a burst's leftovers go within seconds, not a minute later), and at least every `everyMs`. Growth
// that is live memory stays after a trim and becomes the new mark, so it does not trim again and again. Through the
// native addon; a no-op without.
import {trimNativeHeap} from './rtc/fastpath/native';

export interface HeapTrimOptions {
  /** After start-up: module loading and the first requests are over. */
  firstMs?: number;
  checkMs?: number;
  everyMs?: number;
  growthBytes?: number;
  /** Ports, for tests. */
  rss?: () => number;
  trim?: () => unknown;
}

/** Starts the trims (timers that never keep the process alive); returns the stop. */
export function startHeapTrim({
  firstMs = 5_000,
  checkMs = 5_000,
  everyMs = 60_000,
  growthBytes = 16 * 1024 * 1024,
  rss = () => process.memoryUsage.rss(),
  trim = trimNativeHeap,
}: HeapTrimOptions = {}): () => void {
  let mark = 0;
  let lastTrim = 0;
  let check: NodeJS.Timeout | undefined;
  const trimNow = () => {
    trim();
    lastTrim = performance.now();
    mark = rss();
  };
  const first = setTimeout(() => {
    trimNow();
    check = setInterval(() => {
      const now = rss();
      if (now - mark >= growthBytes || performance.now() - lastTrim >= everyMs) trimNow();
      // Memory given back by V8 or freed sessions lowers the mark: the next burst counts from there.
      else if (now < mark) mark = now;
    }, checkMs);
    check.unref();
  }, firstMs);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(check);
  };
}
