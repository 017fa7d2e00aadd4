// The trim policy: C heap a burst allocated and freed goes back to the OS within seconds, however the checks fall
// during the burst; memory freed once is not trimmed again and again; an idle process is still trimmed now and then.
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {startHeapTrim} from './heap-trim';
import {trimNativeHeap} from './rtc/fastpath/native';

const MB = 1024 * 1024;

/**
 * A fresh process (a test worker's own heap would muddle its RSS) allocates 64 MB of C heap in 16 KB pieces (below
 * glibc's mmap threshold, so from an arena) over several checks, as a burst of joins does, with small pins between
 * them so the arena's top cannot shrink by itself, frees them and reports its RSS at the peak and up to 2 s later.
 */
function burstScript(trigger: boolean): string {
  const src = JSON.stringify(__dirname);
  return `
import v8 from 'node:v8';
import vm from 'node:vm';
import path from 'node:path';
const {startHeapTrim} = require(path.join(${src}, 'heap-trim'));
const {trimNativeHeap} = require(path.join(${src}, 'rtc/fastpath/native'));
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
(async () => {
  let trims = 0;
  const stop = startHeapTrim({
    firstMs: 10, checkMs: 50, everyMs: 3_600_000, freedBytes: ${trigger ? '16 * MB' : 'Number.MAX_SAFE_INTEGER'},
    trim: () => (trims++, trimNativeHeap()),
  });
  await sleep(30);
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
  const until = Date.now() + 2_000;
  while (process.memoryUsage.rss() > peak - 40 * MB && Date.now() < until) await sleep(20);
  console.log(JSON.stringify({peak, after: process.memoryUsage.rss(), trims, pins: pins.length}));
  stop();
})();
`;
}

function runBurst(dir: string, trigger: boolean): {peak: number; after: number; trims: number; pins: number} {
  const file = path.join(dir, `burst-${trigger}.ts`);
  writeFileSync(file, burstScript(trigger));
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    cwd: path.resolve(__dirname, '../..'),
    encoding: 'utf8',
    timeout: 30_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`the burst process failed: ${r.stderr}`);
  return JSON.parse(line);
}

describe('startHeapTrim', () => {
  const stops: Array<() => void> = [];
  afterEach(() => stops.splice(0).forEach((stop) => stop()));

  it('gives back the C heap a burst allocated and freed, within a few checks (which glibc alone keeps)', () => {
    if (trimNativeHeap() === undefined) throw new Error('the native addon is not built (npm run build:native)');
    const dir = mkdtempSync(path.join(tmpdir(), 'heap-trim-'));
    try {
      const kept = runBurst(dir, false);
      expect(kept.trims).toBe(1); // the start-up trim only
      expect(kept.after).toBeGreaterThan(kept.peak - 40 * MB);
      const trimmed = runBurst(dir, true);
      expect(trimmed.trims).toBeGreaterThanOrEqual(2);
      expect(trimmed.after).toBeLessThan(trimmed.peak - 40 * MB);
      expect(trimmed.pins).toBe(32);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
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
