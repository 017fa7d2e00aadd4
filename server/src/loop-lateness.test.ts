// One sampler per period: listeners of the same period see the same samples; each stop removes only its listener.
import {onLoopLateness} from './loop-lateness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('gives listeners of one period the same samples, a stall in full, and stops each on its own', async () => {
  const a: number[] = [];
  const b: number[] = [];
  const stopA = onLoopLateness(20, (late) => a.push(late));
  const stopB = onLoopLateness(20, (late) => b.push(late));
  await sleep(70);
  const until = performance.now() + 300;
  while (performance.now() < until); // a 300 ms stall
  await sleep(50);
  stopA();
  const seenByA = a.length;
  await sleep(70);
  stopB();
  const seenByB = b.length;
  await sleep(70);
  expect(a).toEqual(b.slice(0, seenByA));
  expect(Math.max(...a)).toBeGreaterThanOrEqual(250);
  expect(a.every((late) => late >= 0)).toBe(true);
  expect(b.length).toBeGreaterThan(seenByA);
  expect(b).toHaveLength(seenByB);
});
