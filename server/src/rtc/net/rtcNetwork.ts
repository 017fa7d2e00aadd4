// The shared RTC ports a node opens once, in-process SFU or media-worker primary alike: bound, overridden,
// discovered (STUN) and planned into the host candidates every session advertises. Kept apart from the SFU (server.ts)
// so a primary with media workers opens them without loading werift and the sessions' code.
import type {Logger} from '../../log';
import {DEFAULT_TIMEOUTS, type RtcServerOptions} from '../options';
import type {HostCandidate} from './iceMux';
import {
  discoverPublicAddresses,
  firstStunServer,
  localAddresses,
  overrideMappings,
  planHostCandidates,
} from './network';
import {TcpMux} from './tcpMux';
import {UdpMux} from './udpMux';

/** The RTC ports and the host candidates every session advertises on them. */
export interface RtcNetwork {
  udp: UdpMux;
  tcp: TcpMux | undefined;
  candidates: HostCandidate[];
}

/** Binds the RTC ports (port 0 = ephemeral), resolves overrides, runs STUN discovery and plans the candidates. */
export async function openRtcNetwork(
  opts: RtcServerOptions,
  log: Logger,
  udpOpts: {reusePort?: boolean} = {},
): Promise<RtcNetwork> {
  const timeouts = {...DEFAULT_TIMEOUTS, ...opts.timeouts};
  const udpAddresses = opts.udpAddresses.length > 0 ? opts.udpAddresses : localAddresses(opts.enableIPv6);
  const udp = await UdpMux.bind(udpAddresses, opts.udpPort, log, udpOpts);
  let tcp: TcpMux | undefined;
  try {
    if (opts.tcpPort !== null) {
      const tcpAddresses = opts.tcpAddresses.length > 0 ? opts.tcpAddresses : udpAddresses;
      tcp = await TcpMux.listen(tcpAddresses, opts.tcpPort, log);
    }
    const locals = [...new Set([...udpAddresses, ...(tcp?.listeners.map((l) => l.localAddress) ?? [])])];
    const mappings = await overrideMappings(opts.iceHostOverride, locals, timeouts.hostResolveMs);
    let discovered = new Map<string, string>();
    if (!opts.iceHostOverride) {
      const stun = firstStunServer(opts.iceServers);
      if (stun) discovered = await discoverPublicAddresses(udp.sockets, stun, timeouts.stunDiscoveryMs, log);
    }
    const candidates = planHostCandidates(udp, tcp, mappings, opts.iceHostPortOverride, discovered);
    log.info(
      {
        candidates: candidates.filter((c) => c.advertise).map((c) => `${c.transport} ${c.address}:${c.port}`),
        reflexive: [...discovered.values()],
      },
      'rtc server ready',
    );
    return {udp, tcp, candidates};
  } catch (err) {
    await tcp?.close();
    await udp.close();
    throw err;
  }
}

/** What every session advertises: "udp 203.0.113.7:8443", "srflx udp 198.51.100.9:8443" and the like. */
export function describeCandidates(candidates: HostCandidate[]): string[] {
  return candidates.flatMap((c) => [
    ...(c.advertise ? [`${c.transport} ${c.address}:${c.port}`] : []),
    ...(c.transport === 'udp' && c.reflexive ? [`srflx udp ${c.reflexive}:${c.port}`] : []),
  ]);
}
