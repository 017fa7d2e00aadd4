// The pool's figures summed or listed over its media workers (the RtcServer stats, the rtc_worker_*
// metrics, the RTP counters), each asked with a timeout so a stuck worker never holds a scrape up.
import type {RtcWorkerStats, RtpCounters} from '../../metrics';
import type {RtcNetwork, RtcServerStats} from '../server';
import type {MediaWorker} from './mediaWorker';
import type {WorkerStatsReply} from './workerProtocol';

/**
 * Stats (metrics scrapes, the usage figures) wait this long for each worker: a worker that stops
 * answering is the watchdog's business, and must not hold a scrape up until it is replaced.
 */
const STATS_TIMEOUT_MS = 2_000;

/**
 * Asks `worker` for its stats and remembers the reply (`lastStats`). A worker that does not answer within
 * `timeoutMs` (busy, stopped, stuck) is counted as of its last reply: counters that left it out would go
 * back and forth between scrapes, which Prometheus reads as resets. Undefined for a worker that has exited
 * (the pool holds its last counters then) or never answered.
 */
export async function askWorkerStats(
  worker: MediaWorker,
  timeoutMs = STATS_TIMEOUT_MS,
): Promise<WorkerStatsReply | undefined> {
  try {
    const reply = await worker.call('stats', undefined, timeoutMs);
    worker.lastStats = reply;
    return reply;
  } catch {
    return worker.exited ? undefined : worker.lastStats;
  }
}

/** Each worker's stats reply, its last one when it did not answer in time. */
function statsReplies(workers: readonly MediaWorker[]): Promise<(WorkerStatsReply | undefined)[]> {
  return Promise.all(workers.map((w) => askWorkerStats(w)));
}

export async function poolStats(workers: readonly MediaWorker[], network: RtcNetwork): Promise<RtcServerStats> {
  const replies = await statsReplies(workers);
  const sum = (f: (r: WorkerStatsReply) => number) => replies.reduce((n, r) => n + (r ? f(r) : 0), 0);
  return {
    calls: sum((r) => r.calls),
    sessions: sum((r) => r.sessions),
    udpPort: network.udp.port,
    tcpPort: network.tcp?.port ?? null,
    droppedDatagrams: sum((r) => r.droppedDatagrams) + network.udp.sockets.reduce((n, s) => n + s.dropped, 0),
    muxEndpoints: sum((r) => r.muxEndpoints),
  };
}

/** Each worker's CPU, memory, sessions and packets (rtc_worker_* metrics, the load test). */
export async function perWorkerStats(workers: readonly MediaWorker[]): Promise<RtcWorkerStats[]> {
  const replies = await statsReplies(workers);
  const out: RtcWorkerStats[] = [];
  replies.forEach((r, i) => {
    if (!r) return;
    out.push({
      worker: workers[i].index,
      cpuSeconds: r.cpuSeconds,
      rssBytes: r.rssBytes,
      sessions: r.sessions,
      packetsIn: r.packetsIn,
      packetsOut: r.packetsOut,
      relayedDatagrams: r.relayedDatagrams,
      directDatagrams: r.directDatagrams,
      directSockets: r.directSockets,
    });
  });
  return out;
}

/** Adds `c` into `into`. */
export function addRtpCounters(into: RtpCounters, c: RtpCounters): void {
  into.packetsIn += c.packetsIn;
  into.packetsOut += c.packetsOut;
  into.bytesIn += c.bytesIn;
  into.bytesOut += c.bytesOut;
}

/** The RTP counters summed over the workers, from `base` (the counts of workers that have exited). */
export async function poolRtpCounters(workers: readonly MediaWorker[], base: RtpCounters): Promise<RtpCounters> {
  const out: RtpCounters = {...base};
  for (const r of await statsReplies(workers)) if (r) addRtpCounters(out, r);
  return out;
}
