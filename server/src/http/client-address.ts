// The address a request or websocket really comes from, for per-IP limits and logs. Behind a reverse
// proxy every connection comes from the proxy, so, as Mattermost's ServiceSettings.TrustedProxyIPHeader,
// the operator names the header(s) the proxy sets (MM_CALLS_TRUSTED_PROXY_IP_HEADER); without it the
// socket's address is used and client-sent headers are ignored (they are trivially spoofed).
import type {IncomingMessage} from 'node:http';
import {isIP} from 'node:net';

/** Parses MM_CALLS_TRUSTED_PROXY_IP_HEADER: a comma-separated list of header names, in order of preference. */
export function trustedProxyHeaders(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => /^[a-z0-9-]{1,64}$/.test(h));
}

/** Normalises "::ffff:10.0.0.1" to "10.0.0.1" so one client has one key whatever the socket family. */
function normalise(address: string): string {
  const a = address.trim();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/**
 * The client's address: from the first trusted header present, else the socket's remote address, else
 * "unknown". Of X-Forwarded-For the last address is taken: the one our proxy appended (nginx's
 * $proxy_add_x_forwarded_for keeps whatever the client sent in front of it, so the first is forgeable).
 * Other headers (X-Real-IP) hold one address, which the proxy sets.
 */
export function clientAddress(
  req: Pick<IncomingMessage, 'headers' | 'socket'>,
  trustedHeaders: readonly string[],
): string {
  for (const name of trustedHeaders) {
    const value = req.headers[name];
    const list = (Array.isArray(value) ? value.join(',') : value)?.split(',').map(normalise).filter(Boolean) ?? [];
    const pick = name === 'x-forwarded-for' ? list[list.length - 1] : list[0];
    if (pick && isIP(pick)) return pick;
  }
  const remote = req.socket?.remoteAddress;
  return remote ? normalise(remote) : 'unknown';
}

/**
 * The key per-address limits count by: an IPv4 address as is, an IPv6 address by its /64 (one customer's
 * network, where every address is theirs to pick), anything else as is.
 */
export function addressBlock(address: string): string {
  if (isIP(address) !== 6) return address;
  // A link-local address may carry its zone (fe80::1%eth0): not part of the address.
  const [head, tail = ''] = address.split('%')[0].toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // A dotted IPv4 tail (::ffff:1.2.3.4) is one item but two groups.
  const missing = 8 - left.length - right.length - (address.includes('.') ? 1 : 0);
  const groups = [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
