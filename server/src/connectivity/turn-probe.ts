// A real TURN Allocate (RFC 5766, long-term credentials) against one TURN URL, over UDP, TCP or TLS, to tell
// an admin whether that server accepts the credentials Calls hands out. The allocation is released at once.
import {createHash, createHmac, randomBytes} from 'node:crypto';
import dgram from 'node:dgram';
import {lookup} from 'node:dns/promises';
import {isIP} from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import type {ParsedServer} from '../rtc/net/network';

const MAGIC_COOKIE = 0x2112a442;
const HEADER = 20;
const ALLOCATE = 0x0003;
const REFRESH = 0x0004;
const SUCCESS = 0x0100;
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  LIFETIME: 0x000d,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
} as const;

export type TurnVerdict =
  'ok' | 'credentials_refused' | 'unreachable' | 'tls_failed' | 'no_credentials' | 'invalid_url' | 'error';

export interface TurnProbeResult {
  url: string;
  verdict: TurnVerdict;
  /** The relay address the server allocated, when it did. */
  relayed?: string;
  /** Time from the first request to the allocation (or the failure), ms. */
  elapsedMs: number;
  /** For people: what happened, without any credential. */
  detail: string;
}

interface Attr {
  type: number;
  value: Buffer;
}

function encode(method: number, tid: Buffer, attrs: Attr[], integrityKey?: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(a.type, 0);
    head.writeUInt16BE(a.value.length, 2);
    parts.push(head, a.value, Buffer.alloc((4 - (a.value.length % 4)) % 4));
  }
  let body = Buffer.concat(parts);
  const header = Buffer.alloc(HEADER);
  header.writeUInt16BE(method, 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  tid.copy(header, 8);
  if (integrityKey) {
    // The HMAC covers everything before MESSAGE-INTEGRITY, with the length already counting it.
    header.writeUInt16BE(body.length + 24, 2);
    const mac = createHmac('sha1', integrityKey)
      .update(Buffer.concat([header, body]))
      .digest();
    const head = Buffer.alloc(4);
    head.writeUInt16BE(ATTR.MESSAGE_INTEGRITY, 0);
    head.writeUInt16BE(20, 2);
    body = Buffer.concat([body, head, mac]);
  }
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

interface Decoded {
  type: number;
  tid: Buffer;
  attrs: Map<number, Buffer>;
}

function decode(buf: Buffer): Decoded | undefined {
  if (buf.length < HEADER || buf.readUInt32BE(4) !== MAGIC_COOKIE) return undefined;
  const len = buf.readUInt16BE(2);
  if (HEADER + len > buf.length) return undefined;
  const attrs = new Map<number, Buffer>();
  let pos = HEADER;
  while (pos + 4 <= HEADER + len) {
    const type = buf.readUInt16BE(pos);
    const alen = buf.readUInt16BE(pos + 2);
    if (pos + 4 + alen > HEADER + len) return undefined;
    if (!attrs.has(type)) attrs.set(type, buf.subarray(pos + 4, pos + 4 + alen));
    pos += 4 + alen + ((4 - (alen % 4)) % 4);
  }
  return {type: buf.readUInt16BE(0), tid: buf.subarray(8, 20), attrs};
}

function xorAddress(value: Buffer): string | undefined {
  if (value.length < 8 || value[1] !== 0x01) return undefined;
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const ip = (value.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0;
  return `${[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.')}:${port}`;
}

function errorCode(value: Buffer | undefined): {code: number; reason: string} | undefined {
  if (!value || value.length < 4) return undefined;
  return {code: (value[2] & 7) * 100 + value[3], reason: value.toString('utf8', 4).slice(0, 100)};
}

/** A request/response channel to the TURN server over one transport; `request` resolves the matching answer. */
interface Channel {
  request(msg: Buffer, tid: Buffer, timeoutMs: number): Promise<Decoded>;
  close(): void;
}

class Timeout extends Error {}

async function openChannel(server: ParsedServer, address: string, timeoutMs: number): Promise<Channel> {
  const waiters = new Map<string, (d: Decoded) => void>();
  const deliver = (buf: Buffer) => {
    const d = decode(buf);
    if (d && (d.type & 0x0110) !== 0) waiters.get(d.tid.toString('hex'))?.(d);
  };
  const wait = (tid: Buffer, ms: number, resend?: () => void) =>
    new Promise<Decoded>((resolve, reject) => {
      const key = tid.toString('hex');
      const retry = resend ? setInterval(resend, 500) : undefined;
      const timer = setTimeout(() => {
        clearInterval(retry);
        waiters.delete(key);
        reject(new Timeout());
      }, ms);
      waiters.set(key, (d) => {
        clearInterval(retry);
        clearTimeout(timer);
        waiters.delete(key);
        resolve(d);
      });
    });

  if (server.transport !== 'tcp' && server.scheme === 'turn') {
    const sock = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    sock.on('message', deliver);
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.bind(0, r));
    const send = (msg: Buffer) => sock.send(msg, server.port, address, () => undefined);
    return {
      request: (msg, tid, ms) => {
        const p = wait(tid, ms, () => send(msg));
        send(msg);
        return p;
      },
      close: () => sock.close(),
    };
  }

  const stream = await new Promise<net.Socket>((resolve, reject) => {
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Timeout());
    }, timeoutMs);
    const onConnect = () => {
      clearTimeout(timer);
      resolve(s);
    };
    const s =
      server.scheme === 'turns'
        ? tls.connect(
            {host: address, port: server.port, servername: isIP(server.host) ? undefined : server.host},
            onConnect,
          )
        : net.connect({host: address, port: server.port}, onConnect);
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  stream.on('error', () => undefined);
  let pending = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    // STUN over a stream is self-delimiting (RFC 5766 §2.1): header length, no extra framing.
    while (pending.length >= HEADER) {
      const total = HEADER + pending.readUInt16BE(2);
      if (pending.length < total) break;
      deliver(pending.subarray(0, total));
      pending = pending.subarray(total);
    }
    if (pending.length > 65_536) stream.destroy();
  });
  return {
    request: (msg, tid, ms) => {
      const p = wait(tid, ms);
      stream.write(msg);
      return p;
    },
    close: () => stream.destroy(),
  };
}

export interface TurnProbeOptions {
  server: ParsedServer;
  username: string;
  credential: string;
  timeoutMs: number;
}

/** Allocates a UDP relay with the given credentials, then releases it. Never throws. */
export async function probeTurn(opts: TurnProbeOptions): Promise<TurnProbeResult> {
  const {server, username, credential, timeoutMs} = opts;
  const started = performance.now();
  const done = (verdict: TurnVerdict, detail: string, relayed?: string): TurnProbeResult => ({
    url: server.url,
    verdict,
    detail,
    elapsedMs: Math.round(performance.now() - started),
    ...(relayed ? {relayed} : {}),
  });
  let address = server.host;
  try {
    if (isIP(address) === 0) address = (await lookup(server.host, {family: 4})).address;
  } catch {
    return done('unreachable', `${server.host} does not resolve`);
  }
  let channel: Channel;
  try {
    channel = await openChannel(server, address, timeoutMs);
  } catch (err) {
    if (err instanceof Timeout) return done('unreachable', `no connection within ${timeoutMs} ms`);
    const msg = (err as Error).message ?? String(err);
    if (server.scheme === 'turns' && !/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/.test(msg))
      return done('tls_failed', `TLS handshake failed: ${msg.slice(0, 120)}`);
    return done('unreachable', `connection failed: ${msg.slice(0, 120)}`);
  }
  try {
    const transport = {type: ATTR.REQUESTED_TRANSPORT, value: Buffer.from([17, 0, 0, 0])};
    const tid1 = randomBytes(12);
    const first = await channel.request(encode(ALLOCATE, tid1, [transport]), tid1, timeoutMs);
    if (first.type === (ALLOCATE | SUCCESS)) return done('ok', 'allocated without authentication (open relay!)');
    const realm = first.attrs.get(ATTR.REALM);
    const nonce = first.attrs.get(ATTR.NONCE);
    const err1 = errorCode(first.attrs.get(ATTR.ERROR_CODE));
    if (err1?.code !== 401 || !realm || !nonce)
      return done('error', `unexpected answer to Allocate: ${err1 ? `${err1.code} ${err1.reason}` : 'no error code'}`);
    const key = createHash('md5')
      .update(`${username}:${realm.toString('utf8')}:${credential}`)
      .digest();
    const auth = [
      {type: ATTR.USERNAME, value: Buffer.from(username)},
      {type: ATTR.REALM, value: realm},
      {type: ATTR.NONCE, value: nonce},
    ];
    const tid2 = randomBytes(12);
    const second = await channel.request(encode(ALLOCATE, tid2, [transport, ...auth], key), tid2, timeoutMs);
    if (second.type !== (ALLOCATE | SUCCESS)) {
      const e = errorCode(second.attrs.get(ATTR.ERROR_CODE));
      if (e?.code === 401 || e?.code === 403 || e?.code === 441)
        return done('credentials_refused', `the server refused the credentials (${e.code} ${e.reason})`.trim());
      return done('error', `Allocate failed: ${e ? `${e.code} ${e.reason}` : 'no error code'}`);
    }
    const relayed = second.attrs.get(ATTR.XOR_RELAYED_ADDRESS);
    const result = done('ok', 'credentials accepted; relay allocated', relayed ? xorAddress(relayed) : undefined);
    // Release the allocation (Refresh, LIFETIME 0); its answer does not matter.
    const tid3 = randomBytes(12);
    const zero = {type: ATTR.LIFETIME, value: Buffer.alloc(4)};
    await channel.request(encode(REFRESH, tid3, [zero, ...auth], key), tid3, 1000).catch(() => undefined);
    return result;
  } catch (err) {
    if (err instanceof Timeout) return done('unreachable', `no answer within ${timeoutMs} ms`);
    return done('error', (err as Error).message.slice(0, 120));
  } finally {
    channel.close();
  }
}
