// The browser half of the connectivity check: four short peer connections to check sessions on the server's
// real RTC ports — UDP candidates only, TCP candidates only, through TURN only, and everything (the path a
// call takes) — each timed and pinged over its data channel for round-trip time and loss.
import type {CheckCandidate, CheckTransport, ClientCheckResult, TransportCheck} from '@calls/protocol';

export interface CheckAnswer {
  session_id: string;
  answer: RTCSessionDescriptionInit;
  candidates: RTCIceCandidateInit[];
}

export interface CheckDeps {
  /** POST /connectivity/check: the server's answer to an offer, with its candidates. */
  openSession(offer: RTCSessionDescriptionInit): Promise<CheckAnswer>;
  /** STUN and TURN servers a call would be given (TURN with credentials). */
  iceServers: RTCIceServer[];
  connectTimeoutMs?: number;
  pings?: number;
}

const CONNECT_TIMEOUT_MS = 8000;
const PING_TIMEOUT_MS = 500;
/** After the last ping: how long a slow answer still counts (a ping never answered by then is lost). */
const LATE_ANSWER_WAIT_MS = 1500;

/** "candidate:… 1 udp 2130706431 10.0.0.1 8443 typ host …" → protocol, address, port, type. */
export function parseCandidate(line: string): {protocol: string; address: string; port: number; type: string} | null {
  const parts = line
    .replace(/^a=/, '')
    .replace(/^candidate:/, '')
    .trim()
    .split(/\s+/);
  if (parts.length < 8 || parts[6] !== 'typ') {
    return null;
  }
  return {protocol: parts[2].toLowerCase(), address: parts[4], port: Number(parts[5]), type: parts[7]};
}

function keepCandidate(mode: CheckTransport, line: string): boolean {
  const c = parseCandidate(line);
  if (!c) {
    return false;
  }
  if (mode === 'udp') {
    return c.protocol === 'udp';
  }
  if (mode === 'tcp') {
    return c.protocol === 'tcp';
  }
  return true;
}

function filterSdp(sdp: string, mode: CheckTransport): string {
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || keepCandidate(mode, l))
    .join('\r\n');
}

function turnOnly(servers: RTCIceServer[]): RTCIceServer[] {
  return servers.flatMap((s) => {
    const urls = (Array.isArray(s.urls) ? s.urls : [s.urls]).filter((u) => /^turns?:/i.test(u));
    return urls.length > 0 && s.username && s.credential ? [{...s, urls}] : [];
  });
}

function waitFor<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function iceGathered(pc: RTCPeerConnection, ms: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') {
    return;
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

const ADDRESS_RE = /^[0-9a-fA-F:.]+$|^[0-9a-zA-Z-]{1,40}\.local$/;

function candidateOf(stat: Record<string, unknown> | undefined): CheckCandidate | undefined {
  if (!stat) {
    return undefined;
  }
  const address = String(stat.address ?? stat.ip ?? '');
  const type = String(stat.candidateType ?? '');
  const protocol = String(stat.protocol ?? '');
  if (!ADDRESS_RE.test(address) || !['host', 'srflx', 'prflx', 'relay'].includes(type)) {
    return undefined;
  }
  if (protocol !== 'udp' && protocol !== 'tcp') {
    return undefined;
  }
  return {type: type as CheckCandidate['type'], protocol, address, port: Number(stat.port) || 0};
}

async function selectedPair(pc: RTCPeerConnection): Promise<{local?: CheckCandidate; remote?: CheckCandidate}> {
  const stats = await pc.getStats();
  const byId = new Map<string, Record<string, unknown>>();
  stats.forEach((s: Record<string, unknown>) => byId.set(String(s.id), s));
  let pairID = '';
  stats.forEach((s: Record<string, unknown>) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      pairID = String(s.selectedCandidatePairId);
    }
  });
  let pair = pairID ? byId.get(pairID) : undefined;
  if (!pair) {
    stats.forEach((s: Record<string, unknown>) => {
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
        pair = s;
      }
    });
  }
  if (!pair) {
    return {};
  }
  return {
    local: candidateOf(byId.get(String(pair.localCandidateId))),
    remote: candidateOf(byId.get(String(pair.remoteCandidateId))),
  };
}

/**
 * Numbered pings, one at a time (each waits for its answer up to PING_TIMEOUT_MS), then a last wait for
 * late answers: a ping is lost only if it is never answered; a slow one counts with its own round trip.
 */
async function ping(dc: RTCDataChannel, count: number): Promise<{rtt_ms?: number; loss: number}> {
  const sentAt: number[] = [];
  const rtts = new Map<number, number>();
  let waiting: {n: number; resolve: () => void} | undefined;
  let allAnswered: (() => void) | undefined;
  const onMessage = (e: MessageEvent) => {
    const m = typeof e.data === 'string' ? /^pong:(\d+)$/.exec(e.data) : null;
    const n = m ? Number(m[1]) : -1;
    if (sentAt[n] === undefined || rtts.has(n)) {
      return;
    }
    rtts.set(n, performance.now() - sentAt[n]);
    if (waiting?.n === n) {
      waiting.resolve();
    }
    if (rtts.size === count) {
      allAnswered?.();
    }
  };
  dc.addEventListener('message', onMessage);
  try {
    for (let n = 0; n < count; n++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, PING_TIMEOUT_MS);
        waiting = {
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        sentAt[n] = performance.now();
        dc.send(`ping:${n}`);
      });
    }
    if (rtts.size < count) {
      await new Promise<void>((resolve) => {
        allAnswered = resolve;
        setTimeout(resolve, LATE_ANSWER_WAIT_MS);
      });
    }
  } finally {
    dc.removeEventListener('message', onMessage);
  }
  const sorted = [...rtts.values()].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : undefined;
  return {rtt_ms: median === undefined ? undefined : Math.round(median * 10) / 10, loss: (count - rtts.size) / count};
}

/** One transport's run; never throws. */
async function runOne(mode: CheckTransport, d: CheckDeps): Promise<TransportCheck & {ports?: Ports}> {
  const servers = mode === 'relay' ? turnOnly(d.iceServers) : mode === 'auto' ? d.iceServers : [];
  if (mode === 'relay' && servers.length === 0) {
    return {ok: false, tried: false, error: 'no TURN server is configured'};
  }
  const pc = new RTCPeerConnection({
    iceServers: servers,
    iceTransportPolicy: mode === 'relay' ? 'relay' : 'all',
    bundlePolicy: 'max-bundle',
  });
  let ports: Ports | undefined;
  try {
    // Unordered and unretransmitted, so a lost ping stays lost and counts as loss.
    const dc = pc.createDataChannel('connectivity-check', {ordered: false, maxRetransmits: 0});
    const opened = new Promise<void>((resolve, reject) => {
      dc.onopen = () => resolve();
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'failed') {
          reject(new Error('the connection failed'));
        }
      });
    });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc, mode === 'relay' || mode === 'auto' ? 3000 : 1500);
    // UDP and TCP: only the browser's own checks may succeed (can it reach the port?), so the server does not
    // learn the browser's addresses and cannot open the path from its side. TURN and a call: as a call does.
    const local = pc.localDescription?.sdp ?? '';
    const offerSdp =
      mode === 'udp' || mode === 'tcp'
        ? local
            .split('\r\n')
            .filter((l) => !l.startsWith('a=candidate:'))
            .join('\r\n')
        : local;
    const ans = await d.openSession({type: 'offer', sdp: offerSdp});
    const lines = [
      ...(ans.answer.sdp ?? '').split('\r\n').filter((l) => l.startsWith('a=candidate:')),
      ...ans.candidates.map((c) => c.candidate ?? ''),
    ];
    ports = advertisedPorts(lines);
    const kept = ans.candidates.filter((c) => c.candidate && keepCandidate(mode, c.candidate));
    const sdp = filterSdp(ans.answer.sdp ?? '', mode);
    if (mode === 'tcp' && !lines.some((l) => parseCandidate(l)?.protocol === 'tcp')) {
      return {ok: false, tried: false, error: 'the server offers no TCP candidate', ports};
    }
    await pc.setRemoteDescription({type: 'answer', sdp});
    for (const c of kept) {
      await pc.addIceCandidate(c).catch(() => undefined);
    }
    await waitFor(opened, d.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, 'no connection');
    const {rtt_ms: rtt, loss} = await ping(dc, d.pings ?? 10);
    const pair = await selectedPair(pc);
    return {ok: true, tried: true, ...(rtt === undefined ? {} : {rtt_ms: rtt}), loss, ...pair, ports};
  } catch (err) {
    return {ok: false, tried: true, error: String((err as Error).message || err).slice(0, 200), ports};
  } finally {
    pc.close();
  }
}

interface Ports {
  udp: number | null;
  tcp: number | null;
}

function advertisedPorts(lines: string[]): Ports {
  const out: Ports = {udp: null, tcp: null};
  for (const l of lines) {
    const c = parseCandidate(l);
    if (c?.type === 'host' && (c.protocol === 'udp' || c.protocol === 'tcp') && out[c.protocol] === null) {
      out[c.protocol] = c.port;
    }
  }
  return out;
}

/** Runs the four checks side by side (about 2–10 s) and returns what a result post carries. */
export async function runConnectivityCheck(d: CheckDeps): Promise<ClientCheckResult> {
  const [udp, tcp, relay, auto] = await Promise.all(
    (['udp', 'tcp', 'relay', 'auto'] as const).map((m) => runOne(m, d)),
  );
  const ports = [udp, tcp, relay, auto].find((r) => r.ports)?.ports ?? {udp: null, tcp: null};
  const strip = ({ports: _ports, ...r}: TransportCheck & {ports?: Ports}): TransportCheck => r;
  const turnUrls = turnOnly(d.iceServers).flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
  return {
    udp: strip(udp),
    tcp: strip(tcp),
    relay: strip(relay),
    auto: strip(auto),
    udp_port: ports.udp,
    tcp_port: ports.tcp,
    turn_urls: turnUrls.slice(0, 8),
  };
}
