// Which addresses the RTC ports bind and which addresses the host candidates advertise: local
// interfaces, ICEHostOverride (IP, hostname or NAT map), ICEHostPortOverride, and the public IP that a
// STUN server reports when no override is configured.
import {lookup} from 'node:dns/promises';
import {isIP} from 'node:net';
import {networkInterfaces} from 'node:os';
import type {ICEServerConfig} from '../../config/types';
import type {Logger} from '../../log';
import type {HostCandidate} from './iceMux';
import {stunBinding} from './stun';
import type {TcpMux} from './tcpMux';
import type {UdpMux, UdpMuxSocket} from './udpMux';

/** Every usable local address: IPv4 including loopback; with IPv6, global unicast ones only. */
export function localAddresses(enableIPv6: boolean): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) {
      if (info.family === 'IPv4') out.push(info.address);
      else if (enableIPv6 && !info.internal && !/^fe[89ab]/i.test(info.address)) out.push(info.address);
    }
  }
  return [...new Set(out)];
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}

export interface ParsedServer {
  scheme: 'stun' | 'stuns' | 'turn' | 'turns';
  host: string;
  port: number;
  transport?: 'udp' | 'tcp';
  url: string;
}

/** Parses "stun:host[:port]" / "turn:host[:port][?transport=tcp]"; undefined for anything else. */
export function parseIceUrl(url: string): ParsedServer | undefined {
  const m = /^(stuns?|turns?):(\[[^\]]+\]|[^:?]+)(?::(\d+))?(?:\?transport=(udp|tcp))?$/i.exec(url.trim());
  if (!m) return undefined;
  const scheme = m[1].toLowerCase() as ParsedServer['scheme'];
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  const port = m[3] ? Number(m[3]) : scheme === 'stuns' || scheme === 'turns' ? 5349 : 3478;
  if (!(port > 0 && port < 65536)) return undefined;
  const transport = m[4]?.toLowerCase() as ParsedServer['transport'];
  return {scheme, host, port, transport, url};
}

export function firstStunServer(servers: ICEServerConfig[]): ParsedServer | undefined {
  for (const s of servers) {
    for (const url of s.urls) {
      const parsed = parseIceUrl(url);
      if (parsed?.scheme === 'stun') return parsed;
    }
  }
  return undefined;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Local address → advertised address, from ICEHostOverride (reference rtcd rules): a "EXT/INT,…" map is
 * used verbatim; a single address pairs with the only same-family local address, or with every
 * non-loopback one (loopback keeps itself). A hostname is resolved once.
 */
export async function overrideMappings(
  override: string,
  locals: string[],
  resolveMs: number,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!override) return out;
  if (override.includes('/')) {
    for (const pair of override.split(',')) {
      const [ext, int] = pair.split('/').map((s) => s.trim());
      if (!ext || !int || isIP(ext) === 0 || isIP(int) === 0)
        throw new Error(`invalid ICEHostOverride mapping "${pair}"`);
      if (locals.includes(int)) out.set(int, ext);
    }
    return out;
  }
  let external = override;
  if (isIP(override) === 0) {
    const resolved = await withTimeout(
      lookup(override, {all: true}),
      resolveMs,
      `resolving ICEHostOverride ${override}`,
    );
    // The first address of a family we have a local address for (localhost may list ::1 first).
    const usable = resolved.find((r) => locals.some((l) => isIP(l) === r.family)) ?? resolved[0];
    if (!usable) throw new Error(`ICEHostOverride ${override} does not resolve`);
    external = usable.address;
  }
  const family = isIP(external);
  const sameFamily = locals.filter((a) => isIP(a) === family);
  if (sameFamily.length === 1) {
    out.set(sameFamily[0], external);
    return out;
  }
  for (const local of sameFamily) out.set(local, isLoopback(local) ? local : external);
  return out;
}

/**
 * Asks the STUN server for each socket's public address, from the media socket itself so the NAT
 * mapping is the one clients will reach. Loopback sockets only ask a loopback server, and vice versa.
 * The result is advertised as a server-reflexive candidate beside the host one (rtcd replaces the
 * host address instead, which breaks clients on the server's own LAN when the NAT does not hairpin).
 */
export async function discoverPublicAddresses(
  sockets: UdpMuxSocket[],
  server: ParsedServer,
  timeoutMs: number,
  logger: Logger,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let serverAddress = server.host;
  if (isIP(serverAddress) === 0) {
    try {
      serverAddress = (await withTimeout(lookup(server.host, {family: 4}), timeoutMs, 'resolving STUN server')).address;
    } catch (err) {
      logger.warn({err, stun: server.url}, 'stun server not resolvable; advertising local addresses');
      return out;
    }
  }
  const serverIsLoopback = isLoopback(serverAddress);
  await Promise.all(
    sockets.map(async (socket) => {
      if (socket.family !== isIP(serverAddress) || isLoopback(socket.localAddress) !== serverIsLoopback) return;
      const binding = stunBinding(socket.socket, {host: serverAddress, port: server.port}, timeoutMs);
      const remove = socket.addInterceptor((buf, rinfo) => binding.onDatagram(buf, rinfo));
      try {
        const mapped = await binding.result;
        if (mapped) {
          out.set(socket.localAddress, mapped.address);
          logger.info({local: socket.localAddress, public: mapped.address}, 'public address discovered by stun');
        } else {
          logger.warn({local: socket.localAddress, stun: server.url}, 'no stun answer; advertising the local address');
        }
      } finally {
        remove();
      }
    }),
  );
  return out;
}

/**
 * The host candidates every session gets. ICEHostPortOverride replaces the port of every UDP host
 * candidate (rtcd applies it to the external addresses, and every host candidate is one). Addresses
 * that map to the same address:port are advertised once, but every socket still carries the session
 * (the NAT decides which one sees its packets).
 */
export function planHostCandidates(
  udp: UdpMux,
  tcp: TcpMux | undefined,
  mappings: Map<string, string>,
  portOverride: number | null,
  discovered: Map<string, string> = new Map(),
): HostCandidate[] {
  const out: HostCandidate[] = [];
  const seen = new Set<string>();
  for (const socket of udp.sockets) {
    const address = mappings.get(socket.localAddress) ?? socket.localAddress;
    const port = portOverride ?? socket.port;
    const key = `udp ${address} ${port}`;
    const pub = discovered.get(socket.localAddress);
    const reflexiveKey = `srflx ${pub} ${port}`;
    const reflexive = pub && pub !== address && !seen.has(reflexiveKey) ? pub : undefined;
    if (reflexive) seen.add(reflexiveKey);
    out.push({transport: 'udp', socket, address, port, advertise: !seen.has(key), reflexive});
    seen.add(key);
  }
  for (const listener of tcp?.listeners ?? []) {
    const address = mappings.get(listener.localAddress) ?? listener.localAddress;
    const key = `tcp ${address} ${listener.port}`;
    out.push({transport: 'tcp', listener, address, port: listener.port, advertise: !seen.has(key)});
    seen.add(key);
  }
  return out;
}
