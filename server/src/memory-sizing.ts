// How much memory a process's allocators keep beside what it uses (issue 16: RSS per session). Both knobs are set at
// start-up and measured by `npm run bench -- --only start --sessions 300`:
// - malloc's mmap threshold (rtc_native.c, setMmapThreshold): glibc's rises to the size of every mapped block freed,
//   so after the first login's scrypt (16 MB, on libuv's pool) the later ones were carved from threads' arenas and
//   their pages stayed: the main process's memory outside V8 went from 8 to ≈ 40 KB per session at 300.
// - V8's young generation: V8 doubles the semi-spaces under a burst of allocation (the joins) up to 16 MB each and
//   keeps them, ≈ 24 KB per session at 300. In a process that forwards no media a scavenge more or less delays no
//   packet, so there it stays at its initial size.
import v8 from 'node:v8';
import {setNativeMmapThreshold} from './rtc/fastpath/native';

/** Large enough for every buffer of the packet path (≤ 256 KB), small enough for scrypt's 16 MB. */
export const MMAP_THRESHOLD_BYTES = 1024 * 1024;

/** Makes malloc map large blocks on their own from now on; false where that is not possible (no addon, no glibc). */
export function mapLargeAllocations(bytes = MMAP_THRESHOLD_BYTES): boolean {
  return setNativeMmapThreshold(bytes) === true;
}

/**
 * Stops V8 from growing the young generation beyond its present (initial) size. V8 reads the flag each time it
 * grows the new space, so it takes effect after start, unlike --max-semi-space-size.
 */
export function holdYoungGeneration(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** The young generation's committed size in bytes. */
export function youngGenerationBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
