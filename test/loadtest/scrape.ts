// Reads the server's Prometheus endpoint (or an rtcd service's): its own process metrics and the SFU's counters.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    out.push({name: m[1], labels, value: Number(m[3])});
  }
  return out;
}

/** What the load test needs from one scrape. */
export interface ServerSnapshot {
  at: number;
  /** CPU seconds of the server: the main process plus its media workers (if any). */
  cpuSeconds: number;
  /** Per media worker CPU seconds and forwarded packets (empty without workers). */
  workerCpuSeconds: number[];
  workerPacketsOut: number[];
  rssBytes: number;
  /** User and system CPU seconds of the main process. */
  mainUserSeconds: number;
  mainSystemSeconds: number;
  packetsIn: number;
  packetsOut: number;
  /** The main process's event-loop lag p99 (prom-client's rolling histogram), seconds. */
  eventLoopLagP99: number;
}

/** Where the metrics are and their prefix: the plugin's, or an rtcd service's (`rtcd_…` at /metrics). */
export interface MetricsSource {
  path: string;
  ns: string;
}
export const PLUGIN_METRICS: MetricsSource = {
  path: '/plugins/com.mattermost.calls/metrics',
  ns: 'mattermost_plugin_calls',
};
export const RTCD_METRICS: MetricsSource = {path: '/metrics', ns: 'rtcd'};

export async function scrape(url: string, source: MetricsSource = PLUGIN_METRICS): Promise<ServerSnapshot> {
  const NS = source.ns;
  const at = performance.now();
  const res = await fetch(`${url}${source.path}`);
  if (res.status !== 200) throw new Error(`metrics: HTTP ${res.status}`);
  const samples = parsePrometheus(await res.text());
  const sum = (name: string, pred: (l: Record<string, string>) => boolean = () => true) =>
    samples.filter((s) => s.name === `${NS}_${name}` && pred(s.labels)).reduce((n, s) => n + s.value, 0);
  const workers = samples
    .filter((s) => s.name === `${NS}_rtc_worker_cpu_seconds_total`)
    .sort((a, b) => Number(a.labels.worker) - Number(b.labels.worker))
    .map((s) => s.value);
  const workerOut = samples
    .filter((s) => s.name === `${NS}_rtc_worker_rtp_packets_total` && s.labels.direction === 'out')
    .sort((a, b) => Number(a.labels.worker) - Number(b.labels.worker))
    .map((s) => s.value);
  return {
    at,
    cpuSeconds: sum('process_cpu_seconds_total') + workers.reduce((a, b) => a + b, 0),
    workerCpuSeconds: workers,
    workerPacketsOut: workerOut,
    rssBytes: sum('process_resident_memory_bytes') + sum('rtc_worker_resident_memory_bytes'),
    mainUserSeconds: sum('process_cpu_user_seconds_total'),
    mainSystemSeconds: sum('process_cpu_system_seconds_total'),
    packetsIn: sum('rtc_rtp_packets_total', (l) => l.direction === 'in'),
    packetsOut: sum('rtc_rtp_packets_total', (l) => l.direction === 'out'),
    eventLoopLagP99: sum('nodejs_eventloop_lag_p99_seconds'),
  };
}
