// cpu_load is 1 / (idle CPUs over the last second), from /proc/stat's aggregate line, 0 before two samples.
import os from 'node:os';
import {cpuLoad, idleTicks, startCpuLoadSampler} from './cpu-load';

const stat = (idle: number) => `cpu  100 0 50 ${idle} 3 0 1 0 0 0\ncpu0 50 0 25 ${idle / 2} 1 0 0 0 0 0\nintr 1\n`;

test('reads the idle ticks of the aggregate cpu line', () => {
  expect(idleTicks(stat(12345))).toBe(12345);
  expect(idleTicks('nothing here')).toBeUndefined();
});

test('one and a half idle CPUs over a second is a load of 1/1.5; no idle time at all is the highest load, not Infinity', () => {
  expect(cpuLoad(1000, 0, 1150, 1000)).toBeCloseTo(1 / 1.5, 6);
  expect(cpuLoad(1000, 0, 1000, 1000)).toBe(os.availableParallelism() * 1000);
  expect(Number.isFinite(cpuLoad(1000, 0, 1000, 1000))).toBe(true);
});

test('the sampler reports 0 until its second sample, then the load of the last interval', async () => {
  let idle = 0;
  const sampler = startCpuLoadSampler(() => stat((idle += 10)), 20);
  expect(sampler.load()).toBe(0);
  await new Promise((r) => setTimeout(r, 120));
  sampler.stop();
  expect(sampler.load()).toBeGreaterThan(0);
  // On this machine: a real reading is a finite positive number.
  const real = startCpuLoadSampler(undefined, 50);
  await new Promise((r) => setTimeout(r, 200));
  real.stop();
  expect(Number.isFinite(real.load())).toBe(true);
  expect(real.load()).toBeGreaterThan(0);
});
