import {FailureBackoff} from './failure-backoff';

const opts = {freeFailures: 3, baseLockMs: 1000, maxLockMs: 8000, forgetAfterMs: 60_000, maxKeys: 100};

test('free failures, then a lock that doubles with each failure up to the cap', () => {
  const b = new FailureBackoff(opts);
  let now = 0;
  expect([b.fail('k', now), b.fail('k', now), b.fail('k', now)]).toEqual([0, 0, 0]);
  expect(b.lockedFor('k', now)).toBe(0);
  const locks: number[] = [];
  for (let i = 0; i < 6; i++) {
    locks.push(b.fail('k', now));
    now += locks[i];
  }
  expect(locks).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  now -= 8000;
  expect(b.lockedFor('k', now + 100)).toBe(7900);
  expect(b.lockedFor('other', now)).toBe(0);
});

test('a reset key starts afresh, and so does one quiet for forgetAfterMs', () => {
  const b = new FailureBackoff(opts);
  for (let i = 0; i < 5; i++) b.fail('k', 0);
  expect(b.lockedFor('k', 0)).toBeGreaterThan(0);
  b.reset('k');
  expect(b.lockedFor('k', 0)).toBe(0);
  expect(b.fail('k', 0)).toBe(0);
  for (let i = 0; i < 5; i++) b.fail('q', 0);
  // Still remembered within forgetAfterMs: the next failure locks again at once.
  expect(b.fail('q', 30_000)).toBe(4000);
  // Forgotten after it.
  expect(b.lockedFor('q', 100_000)).toBe(0);
  expect(b.fail('q', 100_000)).toBe(0);
});

test('memory is bounded: rotating keys keeps at most maxKeys, dropping the least recently failed', () => {
  const b = new FailureBackoff(opts);
  for (let i = 0; i < 5; i++) b.fail('victim', 0);
  for (let i = 0; i < 10_000; i++) b.fail(`rotating-${i}`, 1);
  expect(b.size).toBe(100);
  expect(b.lockedFor('rotating-9999', 1)).toBe(0);
  // The newest keys are the ones kept.
  for (let i = 0; i < 3; i++) b.fail('rotating-9999', 1);
  expect(b.lockedFor('rotating-9999', 1)).toBe(1000);
});
