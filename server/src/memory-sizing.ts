// How much memory a process's allocators keep beside what it uses (issue 16: RSS per session). Both knobs are set at
// start-up and measured by `npm run bench -- --only start --sessions 300`:
// - malloc's mmap threshold (rtc_native.c, setMmapThreshold): glibc's rises to the size of every mapped block freed,
//   so after the first login's scrypt (16 MB, on libuv's pool) the later ones were carved from threads' arenas and
//   their pages stayed: the main process's memory outside V8 went from 8 to ≈ 40 KB per session at 300.
// - V8's heap in a process that forwards no media (the main process beside media workers or rtcd), where a
//   collection more or less delays no packet:
//   - the young generation: V8 doubles the semi-spaces under a burst of allocation (the joins) up to 16 MB each and
//     keeps them, ≈ 24 KB per session at 300; it stays at its initial size;
//   - the old generation: V8 lets it grow to 1.1–4× what the last full collection left (more when collections are
//     quick), so the joins' promoted garbage stayed: ≈ 30 KB per session of 60 committed at 300; it grows by 20 %.
import v8 from 'node:v8';
import {setNativeMmapThreshold} from './rtc/fastpath/native';

/** Large enough for every buffer of the packet path (≤ 256 KB), small enough for scrypt's 16 MB. */
export const MMAP_THRESHOLD_BYTES = 1024 * 1024;

/** Makes malloc map large blocks on their own from now on; false where that is not possible (no addon, no glibc). */
export function mapLargeAllocations(bytes = MMAP_THRESHOLD_BYTES): boolean {
  return setNativeMmapThreshold(bytes) === true;
}

/** How far the old generation may grow beyond what the last full collection left, where no media is forwarded. */
export const SIGNALING_HEAP_GROWING_PERCENT = 20;

/**
 * Sizes V8's heap for a process that forwards no media: the young generation stays at its present (initial) size
 * and the old one grows by SIGNALING_HEAP_GROWING_PERCENT between full collections. V8 reads both flags each time it
 * resizes, so they take effect after start, unlike --max-semi-space-size.
 */
export function sizeHeapForSignaling(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString(`--heap-growing-percent=${SIGNALING_HEAP_GROWING_PERCENT}`);
}

/** The young generation's committed size in bytes. */
export function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
