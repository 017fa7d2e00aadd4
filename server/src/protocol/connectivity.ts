// The connectivity check's shared shapes: what a browser measured per transport (UDP, TCP, TURN, and the
// path a call would take), and the verdict in plain words that the user panel and the admin page both show.
// Pure TypeScript: the server recomputes the verdict from the measurements rather than trusting a client's.

export type CheckTransport = 'udp' | 'tcp' | 'relay' | 'auto';
export const CHECK_TRANSPORTS: readonly CheckTransport[] = ['udp', 'tcp', 'relay', 'auto'];

export interface CheckCandidate {
  type: 'host' | 'srflx' | 'prflx' | 'relay';
  protocol: 'udp' | 'tcp';
  address: string;
  port: number;
}

export interface TransportCheck {
  /** A data channel opened through this transport. */
  ok: boolean;
  /** false: nothing to try (no TURN server configured, or the server advertises no TCP candidate). */
  tried: boolean;
  /** Median round-trip time of the pings, ms. */
  rtt_ms?: number;
  /** Share of pings never answered (0..1). */
  loss?: number;
  /** The candidate pair that carried the check. */
  local?: CheckCandidate;
  remote?: CheckCandidate;
  error?: string;
}

export interface ClientCheckResult {
  udp: TransportCheck;
  tcp: TransportCheck;
  relay: TransportCheck;
  auto: TransportCheck;
  /** The RTC ports the server advertised to this browser. */
  udp_port: number | null;
  tcp_port: number | null;
  turn_urls: string[];
}

export type CheckVerdictCode = 'udp' | 'tcp_only' | 'relay_only' | 'inbound_only' | 'no_route';

export interface CheckVerdict {
  code: CheckVerdictCode;
  /** What to tell the user, in plain words. */
  text: string;
  /** Quality remarks (loss, round-trip time). */
  notes: string[];
}

const portText = (p: number | null) => (p ? `port ${p}` : 'the RTC port');

/** The plain-words verdict of one browser's measurements. */
export function checkVerdict(r: ClientCheckResult): CheckVerdict {
  const udp = portText(r.udp_port);
  const tcp = portText(r.tcp_port);
  const turn = r.turn_urls.length > 0 ? r.turn_urls.join(', ') : '';
  const notes: string[] = [];
  const used = r.auto.ok ? r.auto : r.udp.ok ? r.udp : r.tcp.ok ? r.tcp : r.relay;
  if (used.ok && used.loss !== undefined && used.loss >= 0.05)
    notes.push(`${Math.round(used.loss * 100)} % of test packets were lost: expect choppy audio.`);
  if (used.ok && used.rtt_ms !== undefined && used.rtt_ms >= 300)
    notes.push(`Round-trip time is ${Math.round(used.rtt_ms)} ms: expect a noticeable delay.`);
  if (r.udp.ok) {
    const via = r.auto.ok && r.auto.local?.type === 'relay' ? ` (this call would go through TURN ${turn})` : '';
    return {code: 'udp', text: `Your browser reaches the call server over UDP ${udp}: calls work${via}.`, notes};
  }
  if (r.tcp.ok) {
    return {
      code: 'tcp_only',
      text: `UDP to ${udp} is blocked on your network; the call uses TCP (${tcp}). Audio may lag under packet loss.`,
      notes,
    };
  }
  if (r.relay.ok) {
    return {
      code: 'relay_only',
      text: `The call server cannot be reached directly (UDP ${udp}${r.tcp.tried ? `, TCP ${tcp}` : ''}); the call goes through the TURN server ${turn}.`,
      notes,
    };
  }
  if (r.auto.ok) {
    // Only the path a call takes worked: the server reached the browser itself (same network), not the other way.
    return {
      code: 'inbound_only',
      text: `Your browser cannot reach the address the call server advertises (UDP ${udp}${r.tcp_port ? `, TCP ${tcp}` : ''}); calls connect here only because the server can reach your browser directly. Ask your admin to check ICEHostOverride.`,
      notes,
    };
  }
  const open = r.tcp_port ? `UDP ${udp} (or TCP ${tcp})` : `UDP ${udp}`;
  const turnAdvice = r.turn_urls.length
    ? `, or check that the TURN server ${turn} is reachable and accepts Calls' credentials`
    : ', or to configure a TURN server';
  return {
    code: 'no_route',
    text: `No route to the call server: ask your admin to open ${open} towards the server and to check the address it advertises (ICEHostOverride)${turnAdvice}.`,
    notes,
  };
}

export type ConnectivityLevel = 'ok' | 'warning' | 'error';

/** GET /connectivity (admin report): what the server sends and the System Console page reads. */
export interface ConnectivityReportData {
  generated_at: number;
  rtc: {
    available: boolean;
    udp_port: number | null;
    tcp_port: number | null;
    ice_host_override: string;
    ice_host_port_override: number | null;
    advertised: {
      type: string;
      transport: string;
      address: string;
      port: number;
      kind: string;
      level: ConnectivityLevel;
      advice: string;
    }[];
    notes: string[];
  };
  stun: {server: string; public_address: string | null; detail: string; matches_override: boolean | null} | null;
  turn: {url: string; verdict: string; relayed?: string; elapsedMs: number; detail: string}[];
  client_checks: {
    username: string;
    at: number;
    user_agent?: string;
    result: ClientCheckResult;
    verdict: CheckVerdict;
  }[];
}
