// The fuzz suite's only source of randomness: a seeded PRNG (mulberry32), so a failing run is replayed
// with FUZZ_SEED=<seed>. Each fuzzer forks its own stream by name, so what one socket or request sends
// does not depend on how the others interleave.

/** The run's seed: FUZZ_SEED, or a fresh random one. */
export function fuzzSeed(): number {
  const raw = process.env.FUZZ_SEED;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw new Error(`FUZZ_SEED must be an integer in [0, 2^32): got "${raw}"`);
    return n;
  }
  return Math.floor(Math.random() * 0x100000000);
}

/** Multiplier of every count (FUZZ_SCALE=5 runs five times as many inputs). */
export function fuzzScale(): number {
  const n = Number(process.env.FUZZ_SCALE ?? '1');
  return Number.isFinite(n) && n > 0 ? n : 1;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class Rng {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** An independent stream for one named fuzzer. */
  fork(name: string): Rng {
    return new Rng((hash(name) ^ Math.imul(this.seed, 2654435761)) >>> 0);
  }

  /** [0, 1) */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    const total = items.reduce((s, [w]) => s + w, 0);
    let x = this.next() * total;
    for (const [w, v] of items) {
      if ((x -= w) < 0) return v;
    }
    return items[items.length - 1][1];
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}
