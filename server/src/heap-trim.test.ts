// The trim policy: C heap a burst allocated and freed goes back to the OS within seconds, however the checks fall
// during the burst; memory freed once is not trimmed again and again; an idle process is still trimmed now and then.
import v8 from 'node:v8';
import vm from 'node:vm';
import {startHeapTrim} from './heap-trim';
import {nativeHeapFreeBytes, trimNativeHeap} from './rtc/fastpath/native';

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startHeapTrim', () => {
  const stops: Array<() => void> = [];
  afterEach(() => stops.splice(0).forEach((stop) => stop()));

  it('gives back the C heap a burst allocated and freed, within a few checks', async () => {
    if (trimNativeHeap() === undefined) throw new Error('the native addon is not built (npm run build:native)');
    expect(nativeHeapFreeBytes()).toBeGreaterThan(0);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    let trims = 0;
    stops.push(startHeapTrim({firstMs: 10, checkMs: 50, freedBytes: 16 * MB, trim: () => (trims++, trimNativeHeap())}));
    await sleep(30);
    expect(trims).toBe(1);
    // 64 MB in 16 KB pieces (below glibc's mmap threshold, so from an arena), with small pins between them so the
    // arena's top cannot shrink by itself when they are freed: what a burst of joins leaves. Allocated over several
    // checks, as a burst of joins is.
    let burst: Buffer[] | undefined = [];
    const pins: Buffer[] = [];
    for (let i = 0; i < 4096; i++) {
      burst.push(Buffer.allocUnsafeSlow(16 * 1024).fill(i));
      if (i % 128 === 127) pins.push(Buffer.allocUnsafeSlow(64));
      if (i % 512 === 511) await sleep(60);
    }
    const peak = process.memoryUsage.rss();
    burst = undefined;
    gc();
    gc();
    const until = Date.now() + 3_000;
    while (process.memoryUsage.rss() > peak - 40 * MB && Date.now() < until) await sleep(20);
    expect(process.memoryUsage.rss()).toBeLessThan(peak - 40 * MB);
    expect(trims).toBeGreaterThanOrEqual(2);
    expect(pins).toHaveLength(32);
  });

  it('trims once what was freed, again after more is freed, and every `everyMs` when idle', () => {
    jest.useFakeTimers();
    try {
      let free = 2 * MB;
      const trims: number[] = [];
      stops.push(
        startHeapTrim({
          firstMs: 5,
          checkMs: 10,
          everyMs: 400,
          freedBytes: 16 * MB,
          heapFree: () => free,
          trim: () => trims.push(free),
        }),
      );
      jest.advanceTimersByTime(40);
      expect(trims).toEqual([2 * MB]);
      free = 12 * MB; // not yet worth it
      jest.advanceTimersByTime(50);
      expect(trims).toHaveLength(1);
      free = 30 * MB; // a burst freed: trimmed once, and the chunks stay free after it
      jest.advanceTimersByTime(100);
      expect(trims).toEqual([2 * MB, 30 * MB]);
      free = 10 * MB; // malloc'd again: the mark follows down
      jest.advanceTimersByTime(50);
      free = 27 * MB; // 17 MB freed over it
      jest.advanceTimersByTime(50);
      expect(trims).toEqual([2 * MB, 30 * MB, 27 * MB]);
      jest.advanceTimersByTime(450);
      expect(trims).toHaveLength(4);
    } finally {
      jest.useRealTimers();
    }
  });
});
