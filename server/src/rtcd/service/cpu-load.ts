// `GET /system`'s cpu_load as upstream computes it: sampled every second from /proc/stat, the idle
// CPUs over the last second (idle seconds summed over all CPUs per wall second), reported as
// 1 / idle — lower is less loaded, 0 until the second sample. Where upstream's value becomes +Inf
// (no idle time at all) and breaks its JSON, ours reports the number of CPUs × 1000: busiest of all.
import fs from 'node:fs';
import os from 'node:os';

const USER_HZ = 100;

export interface CpuLoadSampler {
  /** The last computed load (0 before two samples). */
  load(): number;
  stop(): void;
}

/** Idle ticks of all CPUs from the text of /proc/stat; undefined when the line is missing. */
export function idleTicks(procStat: string): number | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const idle = Number(line.trim().split(/\s+/)[4]);
  return Number.isFinite(idle) ? idle : undefined;
}

/** cpu_load from two samples (idle ticks, wall milliseconds). */
export function cpuLoad(prevIdle: number, prevMs: number, idle: number, ms: number): number {
  const wall = (ms - prevMs) / 1000;
  if (wall <= 0) return 0;
  const idleCPUs = (idle - prevIdle) / USER_HZ / wall;
  return idleCPUs > 0 ? 1 / idleCPUs : os.availableParallelism() * 1000;
}

export function startCpuLoadSampler(
  readStat: () => string = () => fs.readFileSync('/proc/stat', 'utf8'),
  intervalMs = 1000,
): CpuLoadSampler {
  let last: {idle: number; ms: number} | undefined;
  let value = 0;
  const sample = () => {
    let idle: number | undefined;
    try {
      idle = idleTicks(readStat());
    } catch {
      idle = undefined;
    }
    if (idle === undefined) return;
    const ms = performance.now();
    if (last) value = cpuLoad(last.idle, last.ms, idle, ms);
    last = {idle, ms};
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {load: () => value, stop: () => clearInterval(timer)};
}
