import {FRAME_COST_BYTES, InboundBudget} from './inbound-budget';

test('a key within its burst is read on; past it, it waits as long as the deficit takes to earn back', () => {
  let now = 0;
  const b = new InboundBudget({bytesPerSecond: 1000, burstBytes: 10_000}, () => now);
  expect(b.take('u:a', 10_000 - FRAME_COST_BYTES)).toBe(0);
  expect(b.take('u:a', 2000 - FRAME_COST_BYTES)).toBe(2000);
  // Another key has its own budget.
  expect(b.take('u:b', 100)).toBe(0);
  now += 2000;
  expect(b.take('u:a', 0)).toBe(FRAME_COST_BYTES);
});

test('idle keys are forgotten', () => {
  let now = 0;
  const b = new InboundBudget({bytesPerSecond: 1000, burstBytes: 10_000}, () => now);
  for (let i = 0; i < 100; i++) b.take(`a:${i}`, 10);
  now += 61_000;
  b.take('a:new', 10);
  expect(b.size).toBe(1);
});
