// Prometheus metrics with the upstream names and labels (reference calls-protocol §9, rtcd §6), in a
// registry of our own. The plugin uses the `mattermost_plugin_calls` namespace, the rtcd service `rtcd`;
// both expose the same RtcMetrics to their SFU so media code is written once.
import {Counter, Gauge, Histogram, Registry} from 'prom-client';
import {collectDefaultMetricsWithLoopLag} from './loop-lag';
import type {CallsStats} from '../store/types';

export type MetricsNamespace = 'mattermost_plugin_calls' | 'rtcd';

const LATENCY_BUCKETS = [0.001, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.3, 0.4, 0.5, 0.75, 1];
const LOSS_BUCKETS = [0.001, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1];

/** What the SFU reports (the method set of rtcd's rtc.Metrics). groupID is "default" in the plugin. */
export interface RtcMetrics {
  incRTPTracks(groupID: string, direction: 'in' | 'out', type: string): void;
  decRTPTracks(groupID: string, direction: 'in' | 'out', type: string): void;
  observeRTPTracksWrite(groupID: string, type: string, seconds: number): void;
  incRTCSessions(groupID: string): void;
  decRTCSessions(groupID: string): void;
  incRTCConnState(state: string): void;
  incRTCErrors(groupID: string, type: string): void;
  observeRTCConnectionTime(groupID: string, seconds: number): void;
  observeRTCDCOpenTime(groupID: string, seconds: number): void;
  observeRTCSignalingLockGrabTime(groupID: string, seconds: number): void;
  observeRTCSignalingLockLockedTime(groupID: string, seconds: number): void;
  observeRTCClientLossRate(groupID: string, rate: number): void;
  observeRTCClientRTT(groupID: string, seconds: number): void;
  observeRTCClientJitter(groupID: string, seconds: number): void;
  /**
   * Ours (not upstream): the SFU's RTP packet and byte counters, read at scrape time so the media path
   * only bumps plain numbers (rtc_rtp_packets_total, rtc_rtp_bytes_total). Returns the unregister function.
   */
  registerRTPCounters?(groupID: string, read: () => RtpCounters | Promise<RtpCounters>): () => void;
  /**
   * Ours: the SFU's media worker processes, read at scrape time (rtc_worker_cpu_seconds_total,
   * rtc_worker_resident_memory_bytes, rtc_worker_rtp_packets_total, rtc_worker_sessions), since the
   * process_* metrics describe only the main process. Returns the unregister function.
   */
  registerWorkerStats?(read: () => Promise<RtcWorkerStats[]>): () => void;
}

/** One media worker process as its metrics show it. */
export interface RtcWorkerStats {
  worker: number;
  cpuSeconds: number;
  rssBytes: number;
  sessions: number;
  packetsIn: number;
  packetsOut: number;
  /** Datagrams the primary relayed to the worker, and those it received on its own sockets (directSockets.ts). */
  relayedDatagrams?: number;
  directDatagrams?: number;
  /** The worker's own client sockets open now. */
  directSockets?: number;
}

/** Cumulative RTP through the SFU: `in` from publishers, `out` forwarded to receivers. */
export interface RtpCounters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** Counters at zero: plain numbers, so the hot path that bumps them stays cheap. */
export function newRtpCounters(): RtpCounters {
  return {packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0};
}

/** A no-op RtcMetrics for SFUs used without a registry (tools, some tests). */
export const noRtcMetrics: RtcMetrics = {
  incRTPTracks() {},
  decRTPTracks() {},
  observeRTPTracksWrite() {},
  incRTCSessions() {},
  decRTCSessions() {},
  incRTCConnState() {},
  incRTCErrors() {},
  observeRTCConnectionTime() {},
  observeRTCDCOpenTime() {},
  observeRTCSignalingLockGrabTime() {},
  observeRTCSignalingLockLockedTime() {},
  observeRTCClientLossRate() {},
  observeRTCClientRTT() {},
  observeRTCClientJitter() {},
};

function rtcMetricsIn(reg: Registry, ns: MetricsNamespace) {
  const c = (name: string, help: string, labelNames: string[]) =>
    new Counter({name: `${ns}_${name}`, help, labelNames, registers: [reg]});
  const g = (name: string, help: string, labelNames: string[]) =>
    new Gauge({name: `${ns}_${name}`, help, labelNames, registers: [reg]});
  const h = (name: string, help: string, labelNames: string[], buckets?: number[]) =>
    new Histogram({name: `${ns}_${name}`, help, labelNames, registers: [reg], ...(buckets ? {buckets} : {})});
  const tracks = g('rtc_rtp_tracks_total', 'Number of active RTP tracks', ['groupID', 'direction', 'type']);
  const writes = h(
    'rtc_rtp_tracks_writes_time',
    'Time taken to write to outgoing RTP tracks',
    ['groupID', 'type'],
    LATENCY_BUCKETS,
  );
  const sessions = g('rtc_sessions_total', 'Number of active RTC sessions', ['groupID']);
  const connStates = c('rtc_conn_states_total', 'Count of RTC connection state changes', ['type']);
  const errors = c('rtc_errors_total', 'Count of RTC errors', ['groupID', 'type']);
  const connTime = h('rtc_connection_time', 'Time taken to establish RTC connections', ['groupID']);
  const dcOpen = h('rtc_dc_open_time', 'Time taken to open the data channel', ['groupID']);
  const lockGrab = h('rtc_signaling_lock_grab_time', 'Time taken to grab the signaling lock', ['groupID']);
  const lockLocked = h('rtc_signaling_lock_locked_time', 'Time the signaling lock was held', ['groupID']);
  const loss = h('rtc_client_loss_rate', 'Client reported loss rate', ['groupID'], LOSS_BUCKETS);
  const rtt = h('rtc_client_rtt', 'Client reported round trip time', ['groupID'], LATENCY_BUCKETS);
  const jitter = h('rtc_client_jitter', 'Client reported jitter', ['groupID'], LATENCY_BUCKETS);
  const rtpSources = new Set<{groupID: string; read: () => RtpCounters | Promise<RtpCounters>}>();
  // The SFU's RTP counters, summed over its sources at scrape time: one Counter per quantity.
  const rtpTotal = (name: string, help: string, pick: (c: RtpCounters, dir: 'in' | 'out') => number) =>
    new Counter({
      name: `${ns}_${name}`,
      help,
      labelNames: ['groupID', 'direction'],
      registers: [reg],
      async collect() {
        const values = await Promise.all([...rtpSources].map(async (s) => ({groupID: s.groupID, c: await s.read()})));
        this.reset();
        for (const {groupID, c} of values) {
          for (const dir of ['in', 'out'] as const) this.inc({groupID, direction: dir}, pick(c, dir));
        }
      },
    });
  rtpTotal('rtc_rtp_packets_total', 'RTP packets received from publishers (in) and forwarded (out)', (c, dir) =>
    dir === 'in' ? c.packetsIn : c.packetsOut,
  );
  rtpTotal('rtc_rtp_bytes_total', 'RTP payload bytes received from publishers (in) and forwarded (out)', (c, dir) =>
    dir === 'in' ? c.bytesIn : c.bytesOut,
  );
  const workerSources = new Set<() => Promise<RtcWorkerStats[]>>();
  // One read per scrape serves all the worker metrics.
  let workerRead: {at: number; stats: Promise<RtcWorkerStats[]>} | undefined;
  const workerStats = () => {
    const now = Date.now();
    if (!workerRead || now - workerRead.at > 100) {
      workerRead = {
        at: now,
        stats: Promise.all([...workerSources].map((read) => read().catch(() => []))).then((l) => l.flat()),
      };
    }
    return workerRead.stats;
  };
  /**
   * A metric per media worker, read at scrape time: `read` gives the worker's value, or one value per value of
   * the `label` it names. After the reset, inc sets a Gauge as it counts a Counter.
   */
  const workerMetric = (
    kind: 'counter' | 'gauge',
    name: string,
    help: string,
    read: (w: RtcWorkerStats) => number | Record<string, number>,
    label?: string,
  ) => {
    const config = {
      name: `${ns}_rtc_worker_${name}`,
      help,
      labelNames: label ? ['worker', label] : ['worker'],
      registers: [reg],
      async collect(this: Counter | Gauge) {
        const stats = await workerStats();
        this.reset();
        for (const w of stats) {
          const worker = String(w.worker);
          const value = read(w);
          if (typeof value === 'number') this.inc({worker}, value);
          else for (const [k, v] of Object.entries(value)) this.inc({worker, [label ?? '']: k}, v);
        }
      },
    };
    return kind === 'counter' ? new Counter(config) : new Gauge(config);
  };
  workerMetric('counter', 'cpu_seconds_total', 'CPU time of each media worker process', (w) => w.cpuSeconds);
  workerMetric('gauge', 'resident_memory_bytes', 'Resident memory of each media worker process', (w) => w.rssBytes);
  workerMetric('gauge', 'sessions', 'RTC sessions on each media worker', (w) => w.sessions);
  workerMetric(
    'counter',
    'rtp_packets_total',
    'RTP packets in and out of each media worker',
    (w) => ({in: w.packetsIn, out: w.packetsOut}),
    'direction',
  );
  workerMetric(
    'counter',
    'datagrams_total',
    "Datagrams each media worker received: relayed by the main process, or direct on the worker's own sockets",
    (w) => ({relayed: w.relayedDatagrams ?? 0, direct: w.directDatagrams ?? 0}),
    'path',
  );
  workerMetric(
    'gauge',
    'direct_sockets',
    "Each media worker's own client sockets (SO_REUSEPORT, connected to one client)",
    (w) => w.directSockets ?? 0,
  );
  const rtc: RtcMetrics = {
    incRTPTracks: (gid, dir, type) => tracks.inc({groupID: gid, direction: dir, type}),
    decRTPTracks: (gid, dir, type) => tracks.dec({groupID: gid, direction: dir, type}),
    observeRTPTracksWrite: (gid, type, s) => writes.observe({groupID: gid, type}, s),
    incRTCSessions: (gid) => sessions.inc({groupID: gid}),
    decRTCSessions: (gid) => sessions.dec({groupID: gid}),
    incRTCConnState: (state) => connStates.inc({type: state}),
    incRTCErrors: (gid, type) => errors.inc({groupID: gid, type}),
    observeRTCConnectionTime: (gid, s) => connTime.observe({groupID: gid}, s),
    observeRTCDCOpenTime: (gid, s) => dcOpen.observe({groupID: gid}, s),
    observeRTCSignalingLockGrabTime: (gid, s) => lockGrab.observe({groupID: gid}, s),
    observeRTCSignalingLockLockedTime: (gid, s) => lockLocked.observe({groupID: gid}, s),
    observeRTCClientLossRate: (gid, v) => loss.observe({groupID: gid}, v),
    observeRTCClientRTT: (gid, v) => rtt.observe({groupID: gid}, v),
    observeRTCClientJitter: (gid, v) => jitter.observe({groupID: gid}, v),
    registerRTPCounters: (gid, read) => {
      const source = {groupID: gid, read};
      rtpSources.add(source);
      return () => rtpSources.delete(source);
    },
    registerWorkerStats: (read) => {
      workerSources.add(read);
      return () => workerSources.delete(read);
    },
  };
  return {rtc, c, g, h};
}

/** The plugin's metrics (mattermost_plugin_calls_*). */
export class CallsMetrics {
  readonly registry = new Registry();
  readonly rtc: RtcMetrics;
  readonly wsConnections: Gauge;
  readonly wsEvents: Counter;
  readonly clusterEvents: Counter;
  readonly clusterMutexGrabTime: Histogram;
  readonly clusterMutexLockedTime: Histogram;
  readonly clusterMutexRetries: Counter;
  readonly appHandlersTime: Histogram;
  readonly storeOps: Counter;
  readonly storeMethodsTime: Histogram;
  readonly clientICECandidatePairs: Counter;
  readonly dailyCalls: Gauge;
  readonly monthlyCalls: Gauge;
  readonly callsByChannelType: Gauge;
  readonly aggregateStats: Gauge;
  /** Ours: messages over the cluster bus and how long lock holders waited (not upstream). */
  readonly clusterBusMessages: Counter;
  readonly clusterLockWaitTime: Histogram;

  constructor() {
    const ns = 'mattermost_plugin_calls';
    collectDefaultMetricsWithLoopLag(this.registry, `${ns}_`);
    const {rtc, c, g, h} = rtcMetricsIn(this.registry, ns);
    this.rtc = rtc;
    this.wsConnections = g('websocket_connections_total', 'Number of open websocket connections', []);
    this.wsEvents = c('websocket_events_total', 'Count of websocket events', ['direction', 'type']);
    this.clusterEvents = c('cluster_events_total', 'Count of cluster events', ['type']);
    this.clusterMutexGrabTime = h('cluster_mutex_grab_time', 'Time taken to grab the cluster mutex', ['group']);
    this.clusterMutexLockedTime = h('cluster_mutex_locked_time', 'Time the cluster mutex was held', ['group']);
    this.clusterMutexRetries = c('cluster_mutex_lock_retries_total', 'Count of cluster mutex lock retries', ['group']);
    this.appHandlersTime = h('app_handlers_time', 'Time taken by app handlers', ['handler']);
    this.storeOps = c('store_ops_total', 'Count of store operations', ['type']);
    this.storeMethodsTime = h('store_methods_time', 'Time taken by store methods', ['method']);
    h(
      'jobs_live_captions_new_audio_len_ms',
      'Length of new audio per live captions window',
      [],
      [2000, 4000, 6000, 8000],
    );
    c('jobs_live_captions_window_dropped', 'Count of dropped live captions windows', []);
    c('jobs_live_captions_transcriber_buf_full', 'Count of full transcriber buffers', []);
    c('jobs_live_captions_pktPayloadCh_buf_full', 'Count of full packet payload channels', []);
    this.clientICECandidatePairs = c('client_ice_candidate_pairs_total', 'Count of client ICE candidate pairs', [
      'state',
      'local_type',
      'local_protocol',
      'remote_type',
      'remote_protocol',
    ]);
    this.dailyCalls = g('daily_calls_total', 'Number of calls by day', ['date']);
    this.monthlyCalls = g('monthly_calls_total', 'Number of calls by month', ['month']);
    this.callsByChannelType = g('calls_by_channel_type', 'Number of calls by channel type', ['type']);
    this.aggregateStats = g('aggregate_stats', 'Aggregate call statistics', ['stat']);
    g('ws_connections_total', 'Number of rtcd websocket connections', ['clientID']);
    c('ws_messages_total', 'Count of rtcd websocket messages', ['clientID', 'type', 'direction']);
    this.clusterBusMessages = c('cluster_bus_messages_total', 'Count of messages over the cluster bus', [
      'direction',
      'type',
    ]);
    this.clusterLockWaitTime = h('cluster_lock_wait_time', 'Time spent waiting for a call lock', [], LATENCY_BUCKETS);
  }

  /** Times an async store method (store_methods_time, store_ops_total). */
  async timeStore<T>(method: string, fn: () => Promise<T>): Promise<T> {
    const end = this.storeMethodsTime.startTimer({method});
    this.storeOps.inc({type: method});
    try {
      return await fn();
    } finally {
      end();
    }
  }

  /** Sets the usage gauges from a /stats snapshot. */
  setStats(s: CallsStats): void {
    const agg: Record<string, number> = {
      total_calls: s.total_calls,
      total_active_calls: s.total_active_calls,
      total_active_sessions: s.total_active_sessions,
      avg_duration_seconds: s.avg_duration,
      avg_participants: s.avg_participants,
      avg_video_duration_seconds: s.avg_video_duration,
      total_video_duration_seconds: s.total_video_duration,
      total_video_calls: s.total_video_calls,
      total_screen_share_calls: s.total_screen_share_calls,
    };
    for (const [stat, v] of Object.entries(agg)) this.aggregateStats.set({stat}, v);
    for (const [date, v] of Object.entries(s.calls_by_day)) this.dailyCalls.set({date}, v);
    for (const [month, v] of Object.entries(s.calls_by_month)) this.monthlyCalls.set({month}, v);
    for (const [type, v] of Object.entries(s.calls_by_channel_type)) this.callsByChannelType.set({type}, v);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The rtcd service's metrics (rtcd_*). */
export class RtcdMetrics {
  readonly registry = new Registry();
  readonly rtc: RtcMetrics;
  readonly wsConnections: Gauge;
  readonly wsMessages: Counter;

  constructor() {
    collectDefaultMetricsWithLoopLag(this.registry, 'rtcd_');
    const {rtc, c, g} = rtcMetricsIn(this.registry, 'rtcd');
    this.rtc = rtc;
    this.wsConnections = g('ws_connections_total', 'Number of open websocket connections', ['clientID']);
    this.wsMessages = c('ws_messages_total', 'Count of websocket messages', ['clientID', 'type', 'direction']);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
