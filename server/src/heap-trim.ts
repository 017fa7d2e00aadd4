// Gives memory the process freed back to the OS, once after start-up and then every minute: glibc keeps what
// V8's background threads and libuv's pool malloc'd and freed in per-thread arenas (3–4 of ~16 MB each after a
// start, a third of an idle server's RSS) and never trims them by itself. Through the native addon; a no-op without.
import {trimNativeHeap} from './rtc/fastpath/native';

export interface HeapTrimTimings {
  /** After start-up: module loading and the first requests are over. */
  firstMs?: number;
  everyMs?: number;
}

/** Starts the trims (timers that never keep the process alive); returns the stop. */
export function startHeapTrim({firstMs = 5_000, everyMs = 60_000}: HeapTrimTimings = {}): () => void {
  let every: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    trimNativeHeap();
    every = setInterval(() => trimNativeHeap(), everyMs);
    every.unref();
  }, firstMs);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
