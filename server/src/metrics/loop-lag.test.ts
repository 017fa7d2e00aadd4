// The event-loop lag an operator scrapes: prom-client's names, 0 on an idle loop (not the sampling period), and a
// stall shown in full.
import {Registry} from 'prom-client';
import {collectDefaultMetricsWithLoopLag} from './loop-lag';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function gauges(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    const m = /^(test_nodejs_eventloop_lag\w*) (\S+)$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

it('reports the lag under prom-client names, each once, with the rest of the default metrics', async () => {
  const registry = new Registry();
  collectDefaultMetricsWithLoopLag(registry, 'test_');
  const text = await registry.metrics();
  for (const stat of ['', '_min', '_max', '_mean', '_stddev', '_p50', '_p90', '_p99'])
    expect(text.match(new RegExp(`^# TYPE test_nodejs_eventloop_lag${stat}_seconds gauge$`, 'gm'))).toHaveLength(1);
  expect(text).toContain('test_process_cpu_user_seconds_total');
  expect(text).toContain('test_nodejs_heap_size_used_bytes');
});

it('reads about 0 on an idle loop and shows a stall in full', async () => {
  const registry = new Registry();
  collectDefaultMetricsWithLoopLag(registry, 'test_');
  await sleep(1100);
  const idle = await gauges(registry);
  // prom-client's own sampler reported its 10 ms period as lag: an idle loop never read below 0.009 s.
  expect(idle.get('test_nodejs_eventloop_lag_min_seconds')).toBeLessThan(0.005);

  const until = performance.now() + 600;
  while (performance.now() < until); // a 600 ms stall
  await sleep(600);
  const stalled = await gauges(registry);
  // The sample due inside the stall came at its end: at least 600 - 250 ms late.
  expect(stalled.get('test_nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.3);
  expect(stalled.get('test_nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0.3);
});
