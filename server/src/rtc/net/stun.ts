// Just enough STUN (RFC 5389) for the port mux to route a datagram before werift parses it,
// and for public-address discovery against a STUN server at startup.
import {createHmac, randomBytes, timingSafeEqual} from 'node:crypto';
import type {Socket as UdpSocket, RemoteInfo} from 'node:dgram';

const MAGIC_COOKIE = 0x2112a442;
const HEADER_LENGTH = 20;
const ATTR_USERNAME = 0x0006;
const ATTR_MESSAGE_INTEGRITY = 0x0008;
const INTEGRITY_LENGTH = 20;
const ATTR_MAPPED_ADDRESS = 0x0001;
const ATTR_XOR_MAPPED_ADDRESS = 0x0020;
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
