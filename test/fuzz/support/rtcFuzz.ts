// Hostile media-plane input: messages on a real peer's calls-dc (the codec of server/src/protocol/dc-message.ts
// and everything around it), and stray datagrams at the RTC UDP port and segments at the ICE-TCP port —
// garbage, RTP/RTCP/DTLS look-alikes, and STUN binding requests with broken attributes, some naming a
// live session's ufrag so they reach its ICE agent.
import dgram from 'node:dgram';
import net from 'node:net';
import {deflateSync} from 'node:zlib';
import {encode as msgpackEncode} from '@msgpack/msgpack';
import type {Rng} from './rng';
import {mutateSdp, zlibBomb} from './sdp';
import {hostileValue} from './values';

/** One hostile calls-dc message: bytes or text. */
export function hostileDcMessage(rng: Rng, offer: string): Buffer | string {
  const kind = rng.weighted([
    [3, 'random'],
    [1, 'text'],
    [2, 'badType'],
    [4, 'sdp'],
    [2, 'lock'],
    [2, 'metric'],
    [1, 'mediaMap'],
    [1, 'empty'],
    [1, 'trailing'],
  ] as const);
  const pack = (...values: unknown[]) => Buffer.concat(values.map((v) => Buffer.from(msgpackEncode(v))));
  switch (kind) {
    case 'random':
      return rng.bytes(rng.range(1, 4000));
    case 'text':
      return rng.pick(['ping', '{"type":3}', '', 'x'.repeat(rng.range(1, 20_000)), '\u0000']) || ' ';
    case 'badType':
      return pack(
        rng.pick([0, 10, 255, 65536, -1, 1.5, 'SDP', null, true, [3], {type: 3}, 2 ** 40]),
        hostileValue(rng, {ids: []}),
      );
    case 'sdp': {
      const payload = rng.weighted<() => Buffer | string>([
        [
          4,
          () =>
            deflateSync(Buffer.from(JSON.stringify({type: rng.pick(['offer', 'answer']), sdp: mutateSdp(rng, offer)}))),
        ],
        [1, () => zlibBomb(rng.pick([1, 8]))],
        [1, () => deflateSync(Buffer.from(JSON.stringify(hostileValue(rng, {ids: []}))))],
        [1, () => rng.bytes(rng.range(0, 500))],
        [1, () => 'not binary'],
        [1, () => deflateSync(Buffer.from(JSON.stringify({type: 'rollback', sdp: ''})))],
      ] as const)();
      return pack(3, payload);
    }
    case 'lock':
      // Lock without unlock, unlock without lock, lock with a payload.
      return rng.chance(0.5) ? pack(7, ...(rng.chance(0.5) ? [hostileValue(rng, {ids: []})] : [])) : pack(8);
    case 'metric':
      return pack(
        rng.pick([4, 5, 6]),
        rng.pick([Number.NaN, Infinity, -Infinity, -1, 1e308, '1e999', 'x', null, [1], {}, 2 ** 64]),
      );
    case 'mediaMap':
      return pack(9, rng.pick([{}, {'0': {type: 'voice', sender_id: 'x'}}, 'map', [1, 2], {__proto__: 1}]));
    case 'empty':
      return Buffer.alloc(1, 0xc1); // a byte msgpack never uses
    case 'trailing':
      return Buffer.concat([pack(1), rng.bytes(rng.range(1, 300))]);
  }
}

const MAGIC = Buffer.from([0x21, 0x12, 0xa4, 0x42]);

function stunAttr(type: number, value: Buffer, lie = 0): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(Math.max(0, Math.min(0xffff, value.length + lie)), 2);
  const pad = Buffer.alloc((4 - (value.length % 4)) % 4);
  return Buffer.concat([head, value, pad]);
}

/** A STUN message with hostile attributes; `ufrag` names a live session's ICE agent as the receiver. */
function hostileStun(rng: Rng, ufrag: string | undefined): Buffer {
  const type = rng.weighted([
    [6, 0x0001],
    [1, 0x0101],
    [1, 0x0111],
    [1, 0x0003],
    [1, 0x0016],
    [1, rng.int(0x4000)],
  ] as const);
  const attrs: Buffer[] = [];
  const user =
    ufrag && rng.chance(0.7)
      ? `${ufrag}:${rng.bytes(4).toString('hex')}`
      : rng.bytes(rng.range(0, 600)).toString('latin1');
  if (rng.chance(0.9))
    attrs.push(stunAttr(0x0006, Buffer.from(user, 'latin1'), rng.chance(0.2) ? rng.range(-8, 400) : 0));
  if (rng.chance(0.5)) attrs.push(stunAttr(0x0024, rng.bytes(rng.pick([4, 0, 3, 9])))); // PRIORITY
  if (rng.chance(0.4)) attrs.push(stunAttr(rng.pick([0x8029, 0x802a]), rng.bytes(rng.pick([8, 0, 1])))); // ICE-CONTROLLED/-CONTROLLING
  if (rng.chance(0.3)) attrs.push(stunAttr(0x0025, Buffer.alloc(0))); // USE-CANDIDATE
  if (rng.chance(0.3)) attrs.push(stunAttr(0x0020, rng.bytes(rng.pick([8, 20, 2, 0])))); // XOR-MAPPED-ADDRESS
  if (rng.chance(0.3)) attrs.push(stunAttr(0x0009, rng.bytes(rng.pick([4, 0, 100])))); // ERROR-CODE
  if (rng.chance(0.2)) attrs.push(stunAttr(rng.int(0x10000), rng.bytes(rng.range(0, 200)), rng.chance(0.3) ? 3000 : 0));
  if (rng.chance(0.6)) attrs.push(stunAttr(0x0008, rng.bytes(rng.pick([20, 19, 32, 0])))); // MESSAGE-INTEGRITY
  if (rng.chance(0.5)) attrs.push(stunAttr(0x8028, rng.bytes(rng.pick([4, 3])))); // FINGERPRINT
  const body = Buffer.concat(attrs);
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(rng.chance(0.85) ? body.length : rng.int(0x10000), 2);
  const msg = Buffer.concat([head, rng.chance(0.9) ? MAGIC : rng.bytes(4), rng.bytes(12), body]);
  return rng.chance(0.1) ? msg.subarray(0, rng.int(msg.length)) : msg;
}

/** One stray datagram: garbage, STUN, or something that looks like RTP, RTCP or DTLS. */
export function hostileDatagram(rng: Rng, ufrag: string | undefined): Buffer {
  const kind = rng.weighted([
    [3, 'random'],
    [5, 'stun'],
    [2, 'rtp'],
    [1, 'rtcp'],
    [2, 'dtls'],
    [1, 'tiny'],
  ] as const);
  switch (kind) {
    case 'random':
      return rng.bytes(rng.range(0, 1400));
    case 'stun':
      return hostileStun(rng, ufrag);
    case 'rtp':
      return Buffer.concat([Buffer.from([0x80 | rng.int(0x40), rng.int(256)]), rng.bytes(rng.range(0, 1200))]);
    case 'rtcp':
      return Buffer.concat([Buffer.from([0x80 | rng.int(32), rng.range(192, 223)]), rng.bytes(rng.range(0, 600))]);
    case 'dtls':
      return Buffer.concat([
        Buffer.from([rng.range(20, 63), 0xfe, rng.pick([0xfd, 0xff, 0x00])]),
        rng.bytes(rng.range(0, 1200)),
      ]);
    case 'tiny':
      return rng.bytes(rng.range(0, 3));
  }
}

/** Sends `count` hostile datagrams to the RTC port from a few source ports. */
export async function runUdpFuzz(
  rng: Rng,
  host: string,
  port: number,
  count: number,
  ufrags: () => string[],
): Promise<number> {
  const sockets = await Promise.all(
    Array.from(
      {length: 4},
      () =>
        new Promise<dgram.Socket>((resolve) => {
          const s = dgram.createSocket('udp4');
          s.on('error', () => undefined);
          s.bind(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  let sent = 0;
  try {
    for (let i = 0; i < count; i++) {
      const u = ufrags();
      const dg = hostileDatagram(rng, u.length ? rng.pick(u) : undefined);
      rng.pick(sockets).send(dg, port, host);
      sent++;
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    for (const s of sockets) s.close();
  }
  return sent;
}

/** Opens ICE-TCP connections and sends RFC 4571 frames that lie about their length, STUN with junk, or no framing at all. */
export async function runTcpFuzz(
  rng: Rng,
  host: string,
  port: number,
  connections: number,
  ufrags: () => string[],
): Promise<number> {
  let segments = 0;
  for (let c = 0; c < connections; c++) {
    const sock = net.connect(port, host);
    sock.on('error', () => undefined);
    const ok = await new Promise<boolean>((resolve) => {
      sock.once('connect', () => resolve(true));
      sock.once('error', () => resolve(false));
    });
    if (!ok) continue;
    for (let i = rng.range(1, 30); i > 0 && !sock.destroyed; i--) {
      const u = ufrags();
      const payload = hostileDatagram(rng, u.length ? rng.pick(u) : undefined);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(rng.chance(0.8) ? payload.length : rng.int(0x10000));
      sock.write(rng.chance(0.9) ? Buffer.concat([len, payload]) : payload);
      segments++;
    }
    await new Promise((r) => setTimeout(r, rng.int(30)));
    sock.destroy();
  }
  return segments;
}
