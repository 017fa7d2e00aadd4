// Just enough STUN (RFC 5389) for the port mux to route a datagram before werift parses it,
// and for public-address discovery against a STUN server at startup.
import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto';
import type {Socket as UdpSocket, RemoteInfo} from 'node:dgram';
import {isIPv6} from 'node:net';
import {crc32} from 'node:zlib';
import {ipv4Word} from '../fastpath/egress';

const MAGIC_COOKIE = 0x2112a442;
const HEADER_LENGTH = 20;
const ATTR_USERNAME = 0x0006;
const ATTR_MESSAGE_INTEGRITY = 0x0008;
const INTEGRITY_LENGTH = 20;
const ATTR_MAPPED_ADDRESS = 0x0001;
const ATTR_XOR_MAPPED_ADDRESS = 0x0020;
const ATTR_ICE_CONTROLLED = 0x8029;
const ATTR_ICE_CONTROLLING = 0x802a;
const ATTR_FINGERPRINT = 0x8028;
const FINGERPRINT_XOR = 0x5354554e;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;

/** True when the datagram looks like a STUN message (first two bits zero and the magic cookie). */
export function isStun(buf: Buffer): boolean {
  return buf.length >= HEADER_LENGTH && (buf[0] & 0xc0) === 0 && buf.readUInt32BE(4) === MAGIC_COOKIE;
}

export function isBindingRequest(buf: Buffer): boolean {
  return isStun(buf) && buf.readUInt16BE(0) === BINDING_REQUEST;
}

interface StunAttribute {
  type: number;
  /** Where the attribute's header starts. */
  pos: number;
  /** Where its value starts, and its length (without padding). */
  start: number;
  len: number;
}

/**
 * The attributes of a STUN message in order, as far as the caller reads; `null` (and the end) when one
 * runs past the message's length, which makes the whole message malformed.
 */
function* attributes(buf: Buffer): Generator<StunAttribute | null> {
  const end = Math.min(buf.length, HEADER_LENGTH + buf.readUInt16BE(2));
  let pos = HEADER_LENGTH;
  while (pos + 4 <= end) {
    const type = buf.readUInt16BE(pos);
    const len = buf.readUInt16BE(pos + 2);
    const start = pos + 4;
    if (start + len > end) {
      yield null;
      return;
    }
    yield {type, pos, start, len};
    pos = start + len + ((4 - (len % 4)) % 4);
  }
}

/**
 * The local ufrag addressed by a connectivity check: USERNAME is "<receiver ufrag>:<sender ufrag>",
 * and the receiver is us. Returns undefined for anything malformed.
 */
export function bindingRequestUfrag(buf: Buffer): string | undefined {
  if (!isBindingRequest(buf)) return undefined;
  for (const attr of attributes(buf)) {
    if (!attr) return undefined;
    const {type, start, len} = attr;
    if (type === ATTR_USERNAME) {
      const username = buf.toString('utf8', start, start + len);
      const colon = username.indexOf(':');
      return colon > 0 ? username.slice(0, colon) : undefined;
    }
  }
  return undefined;
}

/**
 * Whether a STUN message carries a MESSAGE-INTEGRITY (RFC 5389 §15.4) made with `key` (ICE: the
 * receiver's password). werift answers binding requests without checking it, so anyone who learnt a
 * session's ufrag could otherwise steer its ICE agent (nominate their own address) and have their
 * datagrams routed into its DTLS.
 */
export function hasMessageIntegrity(buf: Buffer, key: string): boolean {
  if (!isStun(buf)) return false;
  for (const attr of attributes(buf)) {
    if (!attr) return false;
    const {type, pos, start, len} = attr;
    if (type === ATTR_MESSAGE_INTEGRITY) {
      if (len !== INTEGRITY_LENGTH) return false;
      // The HMAC covers the message up to the attribute, with the header's length ending after it.
      const covered = Buffer.from(buf.subarray(0, pos));
      covered.writeUInt16BE(pos + 4 + INTEGRITY_LENGTH - HEADER_LENGTH, 2);
      const mac = createHmac('sha1', key).update(covered).digest();
      return timingSafeEqual(mac, buf.subarray(start, start + INTEGRITY_LENGTH));
    }
  }
  return false;
}

/** Whether a binding request claims the ICE role (ICE-CONTROLLING true, ICE-CONTROLLED false); undefined: neither. */
export function claimsControlling(buf: Buffer): boolean | undefined {
  for (const attr of attributes(buf)) {
    if (!attr) return undefined;
    if (attr.type === ATTR_ICE_CONTROLLING) return true;
    if (attr.type === ATTR_ICE_CONTROLLED) return false;
  }
  return undefined;
}

/**
 * The binding success response (RFC 5389 §7.3.1, RFC 8445 §7.3.1.1) to `request` from `address`:`port`, as an
 * ICE agent answers a check: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY with `password`, FINGERPRINT. Undefined for an
 * address that is not an IP literal.
 */
export function bindingSuccess(request: Buffer, address: string, port: number, password: string): Buffer | undefined {
  // The destination word the batched sender keeps for every client address anyway.
  const word = ipv4Word(address);
  const v4 = word !== null;
  if (!v4 && !isIPv6(address)) return undefined;
  const addressLength = v4 ? 4 : 16;
  const xorLength = 4 + addressLength;
  const integrityAt = HEADER_LENGTH + 4 + xorLength;
  const fingerprintAt = integrityAt + 4 + INTEGRITY_LENGTH;
  const out = Buffer.alloc(fingerprintAt + 8);
  out.writeUInt16BE(BINDING_SUCCESS, 0);
  out.writeUInt32BE(MAGIC_COOKIE, 4);
  request.copy(out, 8, 8, HEADER_LENGTH);
  out.writeUInt16BE(ATTR_XOR_MAPPED_ADDRESS, HEADER_LENGTH);
  out.writeUInt16BE(xorLength, HEADER_LENGTH + 2);
  const value = HEADER_LENGTH + 4;
  out[value + 1] = v4 ? 0x01 : 0x02;
  out.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), value + 2);
  if (v4) {
    out.writeUInt32BE((word ^ MAGIC_COOKIE) >>> 0, value + 4);
  } else {
    // XOR with the magic cookie and the transaction id: bytes 4-19 of the header.
    const raw = ipv6Bytes(address);
    for (let i = 0; i < addressLength; i++) out[value + 4 + i] = raw[i] ^ out[4 + i];
  }
  // MESSAGE-INTEGRITY covers the message up to itself, the header's length counting it in (RFC 5389 §15.4).
  out.writeUInt16BE(fingerprintAt - HEADER_LENGTH, 2);
  out.writeUInt16BE(ATTR_MESSAGE_INTEGRITY, integrityAt);
  out.writeUInt16BE(INTEGRITY_LENGTH, integrityAt + 2);
  createHmac('sha1', password)
    .update(out.subarray(0, integrityAt))
    .digest()
    .copy(out, integrityAt + 4);
  out.writeUInt16BE(out.length - HEADER_LENGTH, 2);
  out.writeUInt16BE(ATTR_FINGERPRINT, fingerprintAt);
  out.writeUInt16BE(4, fingerprintAt + 2);
  out.writeUInt32BE((crc32(out.subarray(0, fingerprintAt)) ^ FINGERPRINT_XOR) >>> 0, fingerprintAt + 4);
  return out;
}

/** The 16 bytes of an IPv6 literal (validated by the caller). */
function ipv6Bytes(address: string): Buffer {
  const out = Buffer.alloc(16);
  let text = address;
  // An IPv4-mapped or -compatible tail ("::ffff:1.2.3.4") becomes two groups.
  const dot = text.lastIndexOf('.');
  if (dot >= 0) {
    const colon = text.lastIndexOf(':');
    const [a, b, c, d] = text
      .slice(colon + 1)
      .split('.')
      .map(Number);
    text = `${text.slice(0, colon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) & 0xffff, i * 2));
  return out;
}

export function buildBindingRequest(): {bytes: Buffer; transactionId: Buffer} {
  const bytes = Buffer.alloc(HEADER_LENGTH);
  bytes.writeUInt16BE(BINDING_REQUEST, 0);
  bytes.writeUInt16BE(0, 2);
  bytes.writeUInt32BE(MAGIC_COOKIE, 4);
  const transactionId = randomBytes(12);
  transactionId.copy(bytes, 8);
  return {bytes, transactionId};
}

/** The (XOR-)MAPPED-ADDRESS of a binding success response for this transaction, if it is one. */
export function parseBindingResponse(buf: Buffer, transactionId: Buffer): {address: string; port: number} | undefined {
  if (!isStun(buf) || buf.readUInt16BE(0) !== BINDING_SUCCESS) return undefined;
  if (!buf.subarray(8, 20).equals(transactionId)) return undefined;
  let mapped: {address: string; port: number} | undefined;
  for (const attr of attributes(buf)) {
    if (!attr) return undefined;
    const {type, start, len} = attr;
    if ((type === ATTR_XOR_MAPPED_ADDRESS || type === ATTR_MAPPED_ADDRESS) && len >= 8) {
      const xor = type === ATTR_XOR_MAPPED_ADDRESS;
      const family = buf[start + 1];
      let port = buf.readUInt16BE(start + 2);
      if (xor) port ^= MAGIC_COOKIE >>> 16;
      if (family === 0x01) {
        const raw = buf.readUInt32BE(start + 4);
        const v = xor ? (raw ^ MAGIC_COOKIE) >>> 0 : raw;
        const address = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
        if (xor || !mapped) mapped = {address, port};
      } else if (family === 0x02 && len >= 20) {
        const bytes = Buffer.from(buf.subarray(start + 4, start + 20));
        if (xor) {
          const mask = Buffer.alloc(16);
          mask.writeUInt32BE(MAGIC_COOKIE, 0);
          transactionId.copy(mask, 4);
          for (let i = 0; i < 16; i++) bytes[i] ^= mask[i];
        }
        const parts: string[] = [];
        for (let i = 0; i < 16; i += 2) parts.push(bytes.readUInt16BE(i).toString(16));
        const address = parts.join(':');
        if (xor || !mapped) mapped = {address, port};
      }
    }
  }
  return mapped;
}

/**
 * Sends binding requests from `socket` to the STUN server until one answers or `timeoutMs` passes.
 * The caller routes every datagram the socket receives meanwhile to `onDatagram` of the returned handle.
 */
export function stunBinding(
  socket: UdpSocket,
  server: {host: string; port: number},
  timeoutMs: number,
): {
  result: Promise<{address: string; port: number} | undefined>;
  onDatagram: (buf: Buffer, rinfo: RemoteInfo) => boolean;
} {
  const {bytes, transactionId} = buildBindingRequest();
  let settle: (v: {address: string; port: number} | undefined) => void = () => {};
  let done = false;
  const result = new Promise<{address: string; port: number} | undefined>((resolve) => {
    settle = (v) => {
      if (done) return;
      done = true;
      clearInterval(retry);
      clearTimeout(timer);
      resolve(v);
    };
  });
  const send = () => socket.send(bytes, server.port, server.host, () => {});
  const retry = setInterval(send, 500);
  const timer = setTimeout(() => settle(undefined), timeoutMs);
  send();
  return {
    result,
    onDatagram: (buf) => {
      if (done) return false;
      const mapped = parseBindingResponse(buf, transactionId);
      if (!mapped) return false;
      settle(mapped);
      return true;
    },
  };
}
