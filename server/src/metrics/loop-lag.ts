// Node's default metrics with a cheaper event-loop lag. prom-client samples the loop with a 10 ms timer: 100
// wake-ups a second in every process, about 0.6 % of a core on this VM (a wake-up costs some 57 µs here) and, in a
// small call, more than a tenth of the SFU's CPU. It also reports the 10 ms period as part of the lag, and misses a
// stall inside a timer callback (Node's sampler reads the loop's cached clock). Here the nodejs_eventloop_lag_*
// gauges report how late the loop ran the process's 250 ms sample by the real clock (loop-lateness.ts, the stall
// warning's sampler too): 0 on an idle loop, and a stall in full, since it delays the sample that falls inside it.
import {createHistogram, type RecordableHistogram} from 'node:perf_hooks';
import {collectDefaultMetrics, Gauge, type Registry} from 'prom-client';
import {onLoopLateness} from '../loop-lateness';

const SAMPLE_MS = 250;
/** prom-client's own sampler is parked at setTimeout's longest period (its gauges are replaced below). */
const PARKED_MS = 2 ** 31 - 1;
const NS_PER_S = 1e9;

/** Each gauge: its stat, help (prom-client's) and how it is read off the histogram (nanoseconds). */
const STATS: [string, string, (h: RecordableHistogram) => number][] = [
  ['min', 'The minimum recorded event loop delay.', (h) => h.min],
  ['max', 'The maximum recorded event loop delay.', (h) => h.max],
  ['mean', 'The mean of the recorded event loop delays.', (h) => h.mean],
  ['stddev', 'The standard deviation of the recorded event loop delays.', (h) => h.stddev],
  ['p50', 'The 50th percentile of the recorded event loop delays.', (h) => h.percentile(50)],
  ['p90', 'The 90th percentile of the recorded event loop delays.', (h) => h.percentile(90)],
  ['p99', 'The 99th percentile of the recorded event loop delays.', (h) => h.percentile(99)],
];

/** Node's default metrics (process, heap, GC, handles…) in `registry`, names prefixed, with the lag sampled as above. */
export function collectDefaultMetricsWithLoopLag(registry: Registry, prefix: string): void {
  collectDefaultMetrics({register: registry, prefix, eventLoopMonitoringPrecision: PARKED_MS});
  registry.removeSingleMetric(`${prefix}nodejs_eventloop_lag_seconds`);
  for (const [stat] of STATS) registry.removeSingleMetric(`${prefix}nodejs_eventloop_lag_${stat}_seconds`);

  const histogram = createHistogram();
  // Nanoseconds; the histogram takes integers ≥ 1.
  onLoopLateness(SAMPLE_MS, (late) => histogram.record(Math.max(1, Math.round(late * 1e6))));
  let gauges: [Gauge, (h: RecordableHistogram) => number][] = [];
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
      for (const [gauge, read] of gauges) gauge.set(read(histogram) / NS_PER_S);
      histogram.reset();
    },
  });
  gauges = STATS.map(([stat, help, read]) => [
    new Gauge({name: `${prefix}nodejs_eventloop_lag_${stat}_seconds`, help, registers: [registry]}),
    read,
  ]);
}
