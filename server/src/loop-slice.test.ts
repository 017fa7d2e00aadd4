// LoopSlice (loop-slice.ts): steps of many sessions queued in one go run in order, one at a time, and let the event
// loop turn between slices instead of holding it until the last one is done.
import {LoopSlice} from './loop-slice';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('steps queued at once run in order, one at a time, and the event loop turns while they run', async () => {
  const slice = new LoopSlice(10);
  const order: number[] = [];
  let running = 0;
  let most = 0;
  let turnedAfter: number | undefined;
  setImmediate(() => (turnedAfter = order.length));
  const steps = Array.from({length: 40}, (_, i) =>
    slice.run(async () => {
      running++;
      most = Math.max(most, running);
      busy(2);
      await Promise.resolve();
      order.push(i);
      running--;
      return i * 2;
    }),
  );
  expect(await Promise.all(steps)).toEqual(Array.from({length: 40}, (_, i) => i * 2));
  expect(order).toEqual(Array.from({length: 40}, (_, i) => i));
  expect(most).toBe(1);
  // 80 ms of work: the loop turned after the first slice, long before the last step.
  expect(turnedAfter).toBeDefined();
  expect(turnedAfter!).toBeLessThan(20);
});

test('a step that throws rejects its own promise only', async () => {
  const slice = new LoopSlice();
  const a = slice.run(async () => {
    throw new Error('no offer');
  });
  const b = slice.run(async () => 'offer');
  await expect(a).rejects.toThrow('no offer');
  await expect(b).resolves.toBe('offer');
});

test('a step that never settles holds the next one back only until its wait is over', async () => {
  const slice = new LoopSlice();
  const stuck = slice.run(() => new Promise<never>(() => undefined), 50);
  // Without the wait's end the next step would never start (the test would time out).
  await expect(slice.run(async () => 'next')).resolves.toBe('next');
  void stuck;
});
