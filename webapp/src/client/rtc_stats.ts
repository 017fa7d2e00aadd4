// A compact summary of a peer connection's stats for `/call stats` (reference webapp.md §4.4 parseRTCStats): the ICE
// candidate pairs by state (with the selected one's addresses types and RTT), and the RTP streams in and out. The last
// summary of a call is kept in localStorage when it ends, so `/call stats` works after leaving too.

export const LAST_STATS_KEY = 'calls_last_stats';

export interface RTPSummary {
  kind: string;
  ssrc: number;
  mid?: string;
  packets: number;
  bytes: number;
  packetsLost?: number;
  jitter?: number;
  framesDecoded?: number;
  framesEncoded?: number;
}

export interface StatsSummary {
  at: number;
  iceCandidatePairs: Record<string, number>;
  selectedPair?: {local: string; remote: string; protocol: string; rtt?: number};
  in: RTPSummary[];
  out: RTPSummary[];
}

type Stat = RTCStats & Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** What an RTP stream reports either way; its counters are packetsReceived/bytesReceived or …Sent. */
function rtpStream(s: Stat, counted: 'Received' | 'Sent'): RTPSummary {
  return {
    kind: String(s.kind),
    ssrc: Number(s.ssrc),
    mid: s.mid as string | undefined,
    packets: Number(s[`packets${counted}`] || 0),
    bytes: Number(s[`bytes${counted}`] || 0),
  };
}

export function summarizeStats(report: RTCStatsReport, now = Date.now()): StatsSummary {
  const all = new Map<string, Stat>();
  report.forEach((s: Stat) => all.set(s.id, s));
  const summary: StatsSummary = {at: now, iceCandidatePairs: {}, in: [], out: []};
  for (const s of all.values()) {
    if (s.type === 'candidate-pair') {
      const state = String(s.state || 'unknown');
      summary.iceCandidatePairs[state] = (summary.iceCandidatePairs[state] || 0) + 1;
      if (s.nominated && state === 'succeeded') {
        const local = all.get(String(s.localCandidateId));
        const remote = all.get(String(s.remoteCandidateId));
        summary.selectedPair = {
          local: String(local?.candidateType || ''),
          remote: String(remote?.candidateType || ''),
          protocol: String(local?.protocol || ''),
          rtt: num(s.currentRoundTripTime),
        };
      }
    } else if (s.type === 'inbound-rtp') {
      summary.in.push({
        ...rtpStream(s, 'Received'),
        packetsLost: num(s.packetsLost),
        jitter: num(s.jitter),
        framesDecoded: num(s.framesDecoded),
      });
    } else if (s.type === 'outbound-rtp') {
      summary.out.push({...rtpStream(s, 'Sent'), framesEncoded: num(s.framesEncoded)});
    }
  }
  return summary;
}

export function saveLastStats(summary: StatsSummary): void {
  try {
    window.localStorage.setItem(LAST_STATS_KEY, JSON.stringify(summary));
  } catch {
    // storage disabled: /call stats after the call has nothing to show
  }
}

export function loadLastStats(): StatsSummary | null {
  try {
    const raw = window.localStorage.getItem(LAST_STATS_KEY);
    return raw ? (JSON.parse(raw) as StatsSummary) : null;
  } catch {
    return null;
  }
}
