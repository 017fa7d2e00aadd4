// A blocked event loop is logged once with how long it was blocked; a loop that keeps running logs nothing.
import {startStallWatch} from './stall-watch';
import type {Logger} from './log';

function capture(): {log: Logger; warnings: Array<{blockedMs: number}>} {
  const warnings: Array<{blockedMs: number}> = [];
  const log = {warn: (o: {blockedMs: number}) => warnings.push(o)} as unknown as Logger;
  return {log, warnings};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the event loop cannot run
  }
}

test('a stall longer than the threshold is logged with its length', async () => {
  const {log, warnings} = capture();
  const stop = startStallWatch(log, {everyMs: 20, warnAfterMs: 200});
  await sleep(60);
  block(400);
  await sleep(60);
  stop();
  // One line for the stall (a loaded machine may add one of its own).
  expect(warnings.length).toBeGreaterThanOrEqual(1);
  expect(Math.max(...warnings.map((w) => w.blockedMs))).toBeGreaterThanOrEqual(350);
});

test('a loop that keeps running logs nothing', async () => {
  const {log, warnings} = capture();
  // Short busy turns (30 ms) never add up to a stall; the threshold leaves room for a loaded machine.
  const stop = startStallWatch(log, {everyMs: 20, warnAfterMs: 1_500});
  for (let i = 0; i < 5; i++) {
    block(30);
    await sleep(20);
  }
  stop();
  expect(warnings).toHaveLength(0);
});
