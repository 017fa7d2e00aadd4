import type {IncomingMessage} from 'node:http';
import {addressBlock, clientAddress, trustedProxyHeaders} from './client-address';

function req(
  remoteAddress: string | undefined,
  headers: Record<string, string | string[]> = {},
): Pick<IncomingMessage, 'headers' | 'socket'> {
  return {headers, socket: {remoteAddress} as IncomingMessage['socket']};
}

describe('clientAddress', () => {
  it('uses the socket address and ignores forwarding headers nobody trusts', () => {
    expect(clientAddress(req('203.0.113.9', {'x-forwarded-for': '198.51.100.1'}), [])).toBe('203.0.113.9');
  });

  it('takes the client from a trusted header: the address our proxy appended to X-Forwarded-For, not one the client sent', () => {
    const headers = trustedProxyHeaders('X-Forwarded-For, X-Real-IP');
    // The client sent "X-Forwarded-For: 1.2.3.4"; nginx appended the address it saw.
    expect(clientAddress(req('10.0.0.2', {'x-forwarded-for': '1.2.3.4, 198.51.100.1'}), headers)).toBe('198.51.100.1');
    expect(clientAddress(req('10.0.0.2', {'x-real-ip': '2001:db8::1'}), headers)).toBe('2001:db8::1');
  });

  it('falls back to the socket when the trusted header is missing or not an address', () => {
    const headers = trustedProxyHeaders('X-Forwarded-For');
    expect(clientAddress(req('10.0.0.2', {'x-forwarded-for': 'not-an-ip'}), headers)).toBe('10.0.0.2');
    expect(clientAddress(req('::ffff:127.0.0.1'), headers)).toBe('127.0.0.1');
    expect(clientAddress(req(undefined), headers)).toBe('unknown');
  });

  it('drops header names that are not header names', () => {
    expect(trustedProxyHeaders(' X-Real-IP ,, bad header ,x-forwarded-for')).toEqual(['x-real-ip', 'x-forwarded-for']);
  });
});

describe('addressBlock', () => {
  it('keeps an IPv4 address and groups IPv6 addresses by their /64', () => {
    expect(addressBlock('198.51.100.7')).toBe('198.51.100.7');
    expect(addressBlock('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressBlock('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressBlock('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBlock('::1')).toBe('0:0:0:0::/64');
    expect(addressBlock('64:ff9b::198.51.100.7')).toBe('64:ff9b:0:0::/64');
    expect(addressBlock('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressBlock('unknown')).toBe('unknown');
  });
});
