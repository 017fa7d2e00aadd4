// Node's default metrics with a cheaper event-loop lag. prom-client samples the loop with a 10 ms timer: 100
// wake-ups a second in every process, about 0.6 % of a core on this VM (a wake-up costs some 57 µs here) and, in a
// small call, more than a tenth of the SFU's CPU. It also reports the 10 ms period as part of the lag, and misses a
// stall inside a timer callback (Node's sampler reads the loop's cached clock). Here a timer samples the loop every
// 250 ms and the nodejs_eventloop_lag_* gauges report how late it ran by the real clock: 0 on an idle loop, and a
// stall in full, since it delays the sample that falls inside it.
import {createHistogram} from 'node:perf_hooks';
import {collectDefaultMetrics, Gauge, type Registry} from 'prom-client';

const SAMPLE_MS = 250;
/** prom-client's own sampler is parked at setTimeout's longest period (its gauges are replaced below). */
const PARKED_MS = 2 ** 31 - 1;
const NS_PER_S = 1e9;

const STATS = [
  ['min', 'The minimum recorded event loop delay.'],
  ['max', 'The maximum recorded event loop delay.'],
  ['mean', 'The mean of the recorded event loop delays.'],
  ['stddev', 'The standard deviation of the recorded event loop delays.'],
  ['p50', 'The 50th percentile of the recorded event loop delays.'],
  ['p90', 'The 90th percentile of the recorded event loop delays.'],
  ['p99', 'The 99th percentile of the recorded event loop delays.'],
] as const;

type Stat = (typeof STATS)[number][0];

/** Node's default metrics (process, heap, GC, handles…) in `registry`, names prefixed, with the lag sampled as above. */
export function collectDefaultMetricsWithLoopLag(registry: Registry, prefix: string): void {
  collectDefaultMetrics({register: registry, prefix, eventLoopMonitoringPrecision: PARKED_MS});
  registry.removeSingleMetric(`${prefix}nodejs_eventloop_lag_seconds`);
  for (const [stat] of STATS) registry.removeSingleMetric(`${prefix}nodejs_eventloop_lag_${stat}_seconds`);

  const histogram = createHistogram();
  let due = performance.now() + SAMPLE_MS;
  setInterval(() => {
    const now = performance.now();
    // Nanoseconds late; the histogram takes integers ≥ 1 (a timer may run a hair early by this clock).
    histogram.record(Math.max(1, Math.round((now - due) * 1e6)));
    due = now + SAMPLE_MS;
  }, SAMPLE_MS).unref();
  const value: Record<Stat, () => number> = {
    min: () => histogram.min / NS_PER_S,
    max: () => histogram.max / NS_PER_S,
    mean: () => histogram.mean / NS_PER_S,
    stddev: () => histogram.stddev / NS_PER_S,
    p50: () => histogram.percentile(50) / NS_PER_S,
    p90: () => histogram.percentile(90) / NS_PER_S,
    p99: () => histogram.percentile(99) / NS_PER_S,
  };
  let gauges: (readonly [Stat, Gauge])[] = [];
  // The gauge whose collect sets the others comes first: a registry reads its metrics in order.
  const lag = new Gauge({
    name: `${prefix}nodejs_eventloop_lag_seconds`,
    help: 'Lag of event loop in seconds.',
    registers: [registry],
    // One collect sets every gauge, then starts the next window (as prom-client does). An empty window (no sample
    // yet) leaves the gauges at their last values rather than at Node's placeholder extremes.
    collect() {
      const start = process.hrtime.bigint();
      setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / NS_PER_S));
      if (histogram.count === 0) return;
      for (const [stat, gauge] of gauges) gauge.set(value[stat]());
      histogram.reset();
    },
  });
  gauges = STATS.map(
    ([stat, help]) =>
      [stat, new Gauge({name: `${prefix}nodejs_eventloop_lag_${stat}_seconds`, help, registers: [registry]})] as const,
  );
}
