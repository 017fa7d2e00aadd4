// What the main process's allocators keep beside what it uses. Each probe runs in a process of its own: the settings
// are process-wide and jest's own allocations move memory by more than the bytes at stake.
import {spawnSync} from 'node:child_process';
import path from 'node:path';
import {nativeHeapFreeBytes} from './rtc/fastpath/native';

function probe(body: string): Record<string, number> {
  const script = `
    const mod = await import(${JSON.stringify(path.join(__dirname, 'memory-sizing.ts'))});
    const sizing = mod.sizeHeapForSignaling ? mod : mod.default;
    ${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {encoding: 'utf8'});
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, number>;
}

const haveGlibcAddon = nativeHeapFreeBytes() !== undefined;

describe('memory sizing', () => {
  (haveGlibcAddon ? it : it.skip)(
    "gives logins' scrypt memory back when it is freed, not when the heap is next trimmed",
    () => {
      // Six at a time on libuv's pool, twenty rounds, as a burst of logins: 16 MB each.
      const rounds = (set: boolean) =>
        probe(`
          const crypto = await import('node:crypto');
          const set = ${set} ? sizing.mapLargeAllocations() : false;
          const one = () => new Promise((r) => crypto.scrypt('pw', 'salt', 32, {N: 16384, r: 8, p: 1}, r));
          const before = process.memoryUsage().rss;
          for (let k = 0; k < 20; k++) await Promise.all([one(), one(), one(), one(), one(), one()]);
          console.log(JSON.stringify({set: Number(set), kept: (process.memoryUsage().rss - before) / 1e6}));`);
      const tuned = rounds(true);
      const stock = rounds(false);
      expect(tuned.set).toBe(1);
      // glibc's own threshold rises past 16 MB after the first mapped block is freed: later blocks stay in arenas.
      expect(stock.kept).toBeGreaterThan(30);
      expect(tuned.kept).toBeLessThan(12);
    },
  );

  it('keeps the young generation at its initial size under a burst of allocation', () => {
    const burst = (hold: boolean) =>
      probe(`
        if (${hold}) sizing.sizeHeapForSignaling();
        const before = sizing.youngGenerationBytes();
        // Objects that survive a scavenge or two, as a burst of joins makes: V8 grows the semi-spaces for them.
        const keep = [];
        for (let round = 0; round < 200; round++) {
          for (let i = 0; i < 20000; i++) {
            const o = {a: i, b: [i, i + 1], s: 'x' + i};
            if (i % 5 === 0) keep.push(o);
          }
          if (keep.length > 200000) keep.length = 0;
        }
        console.log(JSON.stringify({before, after: sizing.youngGenerationBytes()}));`);
    const held = burst(true);
    const grown = burst(false);
    expect(grown.after).toBeGreaterThan(4 * grown.before);
    expect(held.after).toBeLessThanOrEqual(held.before);
  });

  it("collects the old generation's garbage before it doubles the heap, where no media is forwarded", () => {
    const churn = (sized: boolean) =>
      probe(`
        if (${sized}) sizing.sizeHeapForSignaling();
        // 200,000 live objects, and garbage that outlives a few scavenges (a join's state) before it is dropped.
        const live = [];
        for (let i = 0; i < 200000; i++) live.push({i, s: 'v' + i, a: [i]});
        let recent = [];
        const totals = [];
        for (let round = 0; round < 300; round++) {
          for (let i = 0; i < 5000; i++) recent.push({round, i, b: [i, i], s: 'g' + i});
          if (recent.length > 50000) recent = recent.slice(-20000);
          if (round % 10 === 0) totals.push(process.memoryUsage().heapTotal);
        }
        totals.sort((a, b) => a - b);
        console.log(JSON.stringify({median: totals[totals.length >> 1] / 1e6, live: live.length}));`);
    const sized = churn(true);
    const stock = churn(false);
    // Measured: ≈ 44 MB against ≈ 118.
    expect(stock.median).toBeGreaterThan(80);
    expect(sized.median).toBeLessThan(65);
  });
});
