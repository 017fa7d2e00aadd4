// Judges the addresses the SFU advertises as ICE candidates: the support cases behind "calls do not connect"
// are loopback, private, link-local and container addresses advertised to users who cannot reach them.
import {isIP} from 'node:net';

export type AddressKind =
  | 'loopback'
  | 'private'
  | 'container'
  | 'link_local'
  | 'shared'
  | 'documentation'
  | 'unspecified'
  | 'public'
  | 'hostname';

export type Level = 'ok' | 'warning' | 'error';

export interface AddressVerdict {
  kind: AddressKind;
  level: Level;
  /** What it means for users, and what to change. */
  advice: string;
}

function ipv4(address: string): number[] | undefined {
  if (isIP(address) !== 4) return undefined;
  return address.split('.').map(Number);
}

/** What kind of address this is (RFC 1918, 6598, 3927, 5737, 4193 and the like). */
export function addressKind(address: string): AddressKind {
  const v4 = ipv4(address);
  if (v4) {
    const [a, b, c] = v4;
    if (a === 127) return 'loopback';
    if (a === 0) return 'unspecified';
    if (a === 169 && b === 254) return 'link_local';
    // Docker's default bridge and the networks it creates next (172.17–172.31).
    if (a === 172 && b >= 17 && b <= 31) return 'container';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
    if (a === 100 && b >= 64 && b <= 127) return 'shared';
    if (
      (a === 192 && b === 0 && c === 2) ||
      (a === 198 && b === 51 && c === 100) ||
      (a === 203 && b === 0 && c === 113)
    )
      return 'documentation';
    return 'public';
  }
  if (isIP(address) === 6) {
    const lower = address.toLowerCase();
    if (lower === '::1') return 'loopback';
    if (lower === '::') return 'unspecified';
    if (/^fe[89ab]/.test(lower)) return 'link_local';
    if (/^f[cd]/.test(lower)) return 'private';
    if (lower.startsWith('2001:db8:')) return 'documentation';
    return 'public';
  }
  return 'hostname';
}

/** The verdict on one advertised address, given whether ICEHostOverride is set. */
export function judgeAddress(address: string, overrideSet: boolean): AddressVerdict {
  const kind = addressKind(address);
  switch (kind) {
    case 'loopback':
      return {
        kind,
        level: 'warning',
        advice: 'Loopback: only browsers on this machine can use it. Other users need a reachable address.',
      };
    case 'container':
      return overrideSet
        ? {
            kind,
            level: 'warning',
            advice: 'Looks like a container address, advertised although ICEHostOverride is set.',
          }
        : {
            kind,
            level: 'error',
            advice:
              'Looks like a container (Docker) address: users cannot reach it. Set ICEHostOverride to the host’s public address and publish the RTC ports.',
          };
    case 'private':
      return {
        kind,
        level: 'warning',
        advice: overrideSet
          ? 'Private address: reachable on the same network only.'
          : 'Private (RFC 1918) address: users outside this network cannot reach it. Set ICEHostOverride to the public address, or configure a STUN server.',
      };
    case 'link_local':
      return {kind, level: 'error', advice: 'Link-local address: no other machine can route to it.'};
    case 'shared':
      return {
        kind,
        level: 'warning',
        advice: 'Carrier-grade NAT address (100.64/10): not reachable from the internet.',
      };
    case 'documentation':
      return {
        kind,
        level: 'error',
        advice: 'A documentation-only address (RFC 5737): nobody can reach it. Check ICEHostOverride.',
      };
    case 'unspecified':
      return {kind, level: 'error', advice: 'Unspecified address: not an address clients can use.'};
    case 'hostname':
      return {kind, level: 'warning', advice: 'Not an IP address.'};
    default:
      return {kind, level: 'ok', advice: 'Public address.'};
  }
}

export interface AdvertisedCandidate {
  type: 'host' | 'srflx';
  transport: 'udp' | 'tcp';
  address: string;
  port: number;
}

/** Parses the SFU's own candidate descriptions ("udp 1.2.3.4:8443", "srflx udp 1.2.3.4:8443"). */
export function parseAdvertised(lines: readonly string[]): AdvertisedCandidate[] {
  const out: AdvertisedCandidate[] = [];
  for (const line of lines) {
    const m = /^(srflx )?(udp|tcp) (.+):(\d+)$/.exec(line.trim());
    if (!m) continue;
    out.push({
      type: m[1] ? 'srflx' : 'host',
      transport: m[2] as 'udp' | 'tcp',
      address: m[3].replace(/^\[|\]$/g, ''),
      port: Number(m[4]),
    });
  }
  return out;
}
