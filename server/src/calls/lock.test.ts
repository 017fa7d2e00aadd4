import {InProcessCallLock} from './lock';

test('the per-call lock runs holders of one channel one at a time, in order, and channels independently', async () => {
  const lock = new InProcessCallLock();
  const order: string[] = [];
  const slow = (tag: string, ms: number) => async () => {
    order.push(`${tag}+`);
    await new Promise((r) => setTimeout(r, ms));
    order.push(`${tag}-`);
  };
  await Promise.all([
    lock.withLock('a', slow('a1', 30)),
    lock.withLock('a', slow('a2', 1)),
    lock.withLock('b', slow('b1', 5)),
  ]);
  expect(order.indexOf('a1-')).toBeLessThan(order.indexOf('a2+'));
  expect(order.indexOf('b1+')).toBeLessThan(order.indexOf('a1-'));
});

test('a holder that throws releases the lock', async () => {
  const lock = new InProcessCallLock();
  await expect(
    lock.withLock('a', async () => {
      throw new Error('boom');
    }),
  ).rejects.toThrow('boom');
  await expect(lock.withLock('a', async () => 42)).resolves.toBe(42);
});

test('waiting longer than the timeout fails with app.calls.lock_timeout and does not break the queue', async () => {
  const lock = new InProcessCallLock(50);
  let release!: () => void;
  const held = lock.withLock('a', () => new Promise<void>((r) => (release = r)));
  await expect(lock.withLock('a', async () => 1)).rejects.toMatchObject({id: 'app.calls.lock_timeout'});
  release();
  await held;
  await expect(lock.withLock('a', async () => 2)).resolves.toBe(2);
});

test('a queue of holders lets the event loop run between them (I/O and timers are not starved)', async () => {
  const lock = new InProcessCallLock();
  const order: string[] = [];
  // Holders whose work never leaves the microtask queue, as SQLite's synchronous driver under promises.
  const busy = (tag: string) => async () => {
    order.push(tag);
    await Promise.resolve();
  };
  const holders = Array.from({length: 20}, (_, i) => lock.withLock('a', busy(`h${i}`)));
  setImmediate(() => order.push('loop'));
  await Promise.all(holders);
  // The event loop got a turn before the queue was done (before: only after the twentieth holder).
  expect(order.indexOf('loop')).toBeGreaterThan(-1);
  expect(order.indexOf('loop')).toBeLessThan(order.indexOf('h19'));
});
