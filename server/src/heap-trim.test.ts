// The trim policy: freed C heap from a burst goes back to the OS within seconds; live growth is not trimmed again
// and again; an idle process is still trimmed now and then.
import v8 from 'node:v8';
import vm from 'node:vm';
import {startHeapTrim} from './heap-trim';
import {trimNativeHeap} from './rtc/fastpath/native';

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startHeapTrim', () => {
  const stops: Array<() => void> = [];
  afterEach(() => stops.splice(0).forEach((stop) => stop()));

  it('gives back the C heap a burst allocated and freed, within a check', async () => {
    if (trimNativeHeap() === undefined) throw new Error('the native addon is not built (npm run build:native)');
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    let trims = 0;
    stops.push(
      startHeapTrim({firstMs: 10, checkMs: 50, growthBytes: 16 * MB, trim: () => (trims++, trimNativeHeap())}),
    );
    await sleep(30);
    expect(trims).toBe(1);
    // 64 MB in 16 KB pieces (below glibc's mmap threshold, so from the arena), with small pins between them so the
    // arena's top cannot shrink by itself when they are freed: what a burst of joins leaves.
    let burst: Buffer[] | undefined = [];
    const pins: Buffer[] = [];
    for (let i = 0; i < 4096; i++) {
      burst.push(Buffer.allocUnsafeSlow(16 * 1024).fill(i));
      if (i % 128 === 127) pins.push(Buffer.allocUnsafeSlow(64));
    }
    burst = undefined;
    gc();
    gc();
    const freed = process.memoryUsage.rss();
    const until = Date.now() + 2_000;
    while (process.memoryUsage.rss() > freed - 40 * MB && Date.now() < until) await sleep(20);
    expect(process.memoryUsage.rss()).toBeLessThan(freed - 40 * MB);
    expect(trims).toBeGreaterThanOrEqual(2);
    expect(pins).toHaveLength(32);
  });

  it('trims once for growth that stays, again after more growth, and every `everyMs` when idle', () => {
    jest.useFakeTimers();
    try {
      let rss = 100 * MB;
      const trims: number[] = [];
      stops.push(
        startHeapTrim({
          firstMs: 5,
          checkMs: 10,
          everyMs: 400,
          growthBytes: 16 * MB,
          rss: () => rss,
          trim: () => trims.push(rss),
        }),
      );
      jest.advanceTimersByTime(40);
      expect(trims).toEqual([100 * MB]);
      rss = 130 * MB; // live: the trim gives nothing back
      jest.advanceTimersByTime(100);
      expect(trims).toEqual([100 * MB, 130 * MB]);
      rss = 120 * MB; // some freed by V8: the mark follows down
      jest.advanceTimersByTime(50);
      rss = 137 * MB; // 17 MB over the lowered mark
      jest.advanceTimersByTime(50);
      expect(trims).toEqual([100 * MB, 130 * MB, 137 * MB]);
      jest.advanceTimersByTime(450);
      expect(trims).toHaveLength(4);
    } finally {
      jest.useRealTimers();
    }
  });
});
