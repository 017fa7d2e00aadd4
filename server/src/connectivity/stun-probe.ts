// Asks a STUN server, now, which public address this host's UDP traffic leaves from: the admin page compares
// it with ICEHostOverride. A fresh socket on an ephemeral port: the public IP is the media port's too
// unless the NAT maps per port, which the page says.
import dgram from 'node:dgram';
import {lookup} from 'node:dns/promises';
import {isIP} from 'node:net';
import type {ParsedServer} from '../rtc/net/network';
import {stunBinding} from '../rtc/net/stun';

export interface StunProbeResult {
  server: string;
  /** The address the STUN server saw, or null without an answer. */
  public_address: string | null;
  detail: string;
}

/** Never throws. */
export async function probeStun(server: ParsedServer, timeoutMs: number): Promise<StunProbeResult> {
  let host = server.host;
  try {
    if (isIP(host) === 0) host = (await lookup(server.host, {family: 4})).address;
  } catch {
    return {server: server.url, public_address: null, detail: `${server.host} does not resolve`};
  }
  const socket = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  socket.on('error', () => undefined);
  try {
    await new Promise<void>((r) => socket.bind(0, r));
    const binding = stunBinding(socket, {host, port: server.port}, timeoutMs);
    socket.on('message', (buf, rinfo) => binding.onDatagram(buf, rinfo));
    const mapped = await binding.result;
    return mapped
      ? {server: server.url, public_address: mapped.address, detail: 'answered'}
      : {server: server.url, public_address: null, detail: `no answer within ${timeoutMs} ms`};
  } finally {
    socket.close();
  }
}
