// The addon's native routes (server/native/routes.c) with real UDP sockets: SRTP audio from a route's source is
// opened, its statistics and audio levels recorded in the stream's block, and one sealed copy per writer reaches
// each receiver, numbered as the JavaScript writer numbers it (continuous across a source switch, no index sealed
// twice). Everything a route must not take reaches JavaScript byte for byte: forged, replayed, another source,
// RTCP, a deleted route; and hostile datagrams from the route's own source neither crash the process nor get
// forwarded. On Linux the addon is required.
import {randomBytes} from 'node:crypto';
import {createSocket, type Socket} from 'node:dgram';
import {configureRtcNative, rtcNative, socketFd, type RtcNative} from './native';
import {recordReceived} from './receiveStatistics';
import {
  F_BYTES,
  F_HEADER_BYTES,
  F_OUT_BYTES,
  F_TAKEN_BYTES,
  I_BASE_SEQ,
  I_CLOCK_RATE,
  I_CYCLES,
  I_HIGHEST,
  I_LAST_TS,
  I_LEVELS,
  I_LEVELS_WRITTEN,
  I_LEVEL_ID,
  I_MAX_SEQ,
  I_PACKETS_OUT,
  I_PAUSED,
  I_RECEIVED,
  I_ROC,
  I_SALT0,
  I_SALT1,
  I_SALT2,
  I_STATS,
  I_TAKEN,
  W_CLOCK,
  W_FD,
  W_HIGHEST,
  W_IP,
  W_IV0,
  W_IV1,
  W_KEY,
  W_PACKETS,
  W_PORT,
  W_PT,
  W_RESYNC,
  W_SALT2,
  W_SENT_COUNT,
  W_SSRC,
  ingressBlock,
  writerBlock,
  type Block,
} from './routeBlocks';
import {GCM_TAG_LENGTH, PROFILE_AEAD_AES_128_GCM, SessionCipher} from './srtpGcm';
import {configureBatchedReceive, receiveInsteadOfDgram, type BatchedSocket} from '../net/batchedReceive';

type Routes = Required<Pick<RtcNative, 'routeSet' | 'routeDelete' | 'routeStats'>>;

jest.setTimeout(30_000);

const LOCALHOST = 0x7f000001;
const IN_SSRC = 0x11223344;
const LEVEL_ID = 1;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(5);
}

async function socket(onMessage?: (data: Buffer) => void): Promise<Socket> {
  const s = createSocket('udp4');
  if (onMessage) s.on('message', onMessage);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

function cipher(): SessionCipher {
  return new SessionCipher({
    profile: PROFILE_AEAD_AES_128_GCM,
    srtpSessionKey: randomBytes(16),
    srtpSessionSalt: randomBytes(14),
  });
}

/** An SRTP packet of the test stream: audio-level extension, then the payload, sealed with `c`. */
function srtp(c: SessionCipher, seq: number, ts: number, payload: Buffer, level: number, roc = 0): Buffer {
  const header = 12 + 4 + 4;
  const buf = Buffer.alloc(header + payload.length + GCM_TAG_LENGTH);
  buf[0] = 0x90;
  buf[1] = 111 | (seq % 5 === 0 ? 0x80 : 0);
  buf.writeUInt16BE(seq, 2);
  buf.writeUInt32BE(ts, 4);
  buf.writeUInt32BE(IN_SSRC, 8);
  buf.writeUInt16BE(0xbede, 12);
  buf.writeUInt16BE(1, 14);
  buf[16] = (LEVEL_ID << 4) | 0; // one byte of data
  buf[17] = 0x80 | level;
  payload.copy(buf, header);
  c.seal(buf, header, payload.length, IN_SSRC, roc, seq);
  return buf;
}

interface Copy {
  seq: number;
  ts: number;
  ssrc: number;
  pt: number;
  marker: boolean;
  payload: Buffer;
}

/** Opens a copy a receiver got with its writer's key; undefined if it does not authenticate. */
function openCopy(c: SessionCipher, data: Buffer, roc = 0): Copy | undefined {
  const buf = Buffer.from(data);
  const seq = buf.readUInt16BE(2);
  const ssrc = buf.readUInt32BE(8);
  if (!c.open(buf, 12, buf.length, ssrc, roc, seq)) return undefined;
  return {
    seq,
    ts: buf.readUInt32BE(4),
    ssrc,
    pt: buf[1] & 0x7f,
    marker: (buf[1] & 0x80) !== 0,
    payload: buf.subarray(12, buf.length - GCM_TAG_LENGTH),
  };
}

function writer(c: SessionCipher, ssrc: number, port: number, fd: number): Block {
  const b = writerBlock();
  const s = b.i;
  s[W_KEY] = c.native!.id;
  s[W_SSRC] = ssrc;
  s[W_PT] = 111;
  s[W_CLOCK] = 48000;
  s[W_IV0] = (ssrc >>> 16) ^ c.salt0;
  s[W_IV1] = ((ssrc & 0xffff) << 16) ^ c.salt1;
  s[W_SALT2] = c.salt2;
  s[W_IP] = LOCALHOST;
  s[W_PORT] = port;
  s[W_FD] = fd;
  return b;
}

function ingress(c: SessionCipher, firstSeq: number): Block {
  const b = ingressBlock();
  const s = b.i;
  s[I_SALT0] = c.salt0;
  s[I_SALT1] = c.salt1;
  s[I_SALT2] = c.salt2;
  s[I_ROC] = 0;
  s[I_HIGHEST] = firstSeq - 1;
  s[I_STATS] = 1;
  s[I_CLOCK_RATE] = 48000;
  s[I_LEVEL_ID] = LEVEL_ID;
  return b;
}

describe('native routes', () => {
  let routes: Routes;
  let server: Socket;
  let serverFd: number;
  let batched: BatchedSocket;
  let sender: Socket;
  let other: Socket;
  const toJs: Buffer[] = [];
  const atReceiver: Buffer[][] = [[], []];
  const receivers: Socket[] = [];

  beforeAll(async () => {
    expect(configureRtcNative('required')).toBe(true);
    configureBatchedReceive(true);
    const n = rtcNative()!;
    expect(n.routeSet && n.routeDelete && n.routeStats).toBeTruthy();
    routes = n as Routes;
    server = await socket();
    serverFd = socketFd(server)!;
    batched = receiveInsteadOfDgram(server, (data) => toJs.push(Buffer.from(data)))!;
    sender = await socket();
    other = await socket();
    for (const i of [0, 1]) receivers.push(await socket((data) => atReceiver[i].push(Buffer.from(data))));
  });

  afterAll(() => {
    batched.close();
    for (const s of [server, sender, other, ...receivers]) s.close();
    configureRtcNative('auto');
  });

  beforeEach(() => {
    toJs.length = 0;
    atReceiver[0].length = 0;
    atReceiver[1].length = 0;
  });

  const send = (from: Socket, data: Buffer) =>
    new Promise<void>((resolve, reject) =>
      from.send(data, server.address().port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  const senderPort = () => sender.address().port;

  it('opens the route’s packets, records them, and sends each receiver one sealed, renumbered copy', async () => {
    const inKey = cipher();
    const out = [cipher(), cipher()];
    const firstSeq = 65536 - 40; // the input wraps within the run
    const block = ingress(inKey, firstSeq);
    const writers = [writer(out[0], 0xaaaa0001, receivers[0].address().port, serverFd)];
    writers.push(writer(out[1], 0xbbbb0002, receivers[1].address().port, serverFd));
    routes.routeSet(
      batched.id,
      LOCALHOST,
      senderPort(),
      IN_SSRC,
      inKey.native!.id,
      block.i,
      writers.map((w) => w.i),
    );
    expect(routes.routeStats()[0]).toBe(1);

    // What the JavaScript path records for the same packets (its arrival times are its own, so jitter is not compared).
    const reference = ingressBlock();
    reference.i[I_CLOCK_RATE] = 48000;
    const payloads: Buffer[] = [];
    for (let i = 0; i < 80; i++) {
      const seq = (firstSeq + i) & 0xffff;
      const payload = randomBytes(40 + (i % 60));
      payloads.push(payload);
      await send(sender, srtp(inKey, seq, 1000 + 960 * i, payload, i % 2 === 0 ? 30 : 100, seq < firstSeq ? 1 : 0));
      recordReceived(reference, seq, 1000 + 960 * i, 20, payload.length, Date.now());
    }
    await until(() => atReceiver[0].length === 80 && atReceiver[1].length === 80);
    expect(toJs).toHaveLength(0);
    for (const [k, c] of out.entries()) {
      const first = atReceiver[k][0].readUInt16BE(2);
      const offset = (first - firstSeq) & 0xffff;
      // The copies' numbering starts at random: past its wrap a copy is sealed with roll-over counter 1.
      const rocOf = (data: Buffer) => (data.readUInt16BE(2) < first ? 1 : 0);
      for (const [i, data] of atReceiver[k].entries()) {
        const roc = rocOf(data);
        const copy = openCopy(c, data, roc);
        expect(copy).toBeDefined();
        expect(copy!.payload.equals(payloads[i])).toBe(true);
        expect(copy!.seq).toBe((firstSeq + i + offset) & 0xffff);
        expect(copy!.ssrc).toBe(k === 0 ? 0xaaaa0001 : 0xbbbb0002);
        expect(copy!.pt).toBe(111);
        expect(copy!.marker).toBe(((firstSeq + i) & 0xffff) % 5 === 0);
        if (i > 0) {
          const previous = atReceiver[k][i - 1];
          expect((copy!.ts - openCopy(c, previous, rocOf(previous))!.ts) >>> 0).toBe(960);
        }
      }
      expect(writers[k].i[W_PACKETS]).toBe(80);
      expect(writers[k].i[W_SENT_COUNT]).toBe(80);
    }
    const s = block.i;
    for (const i of [I_BASE_SEQ, I_MAX_SEQ, I_CYCLES, I_RECEIVED, I_LAST_TS])
      expect([i, s[i]]).toEqual([i, reference.i[i]]);
    expect(block.f[F_BYTES]).toBe(reference.f[F_BYTES]);
    expect(block.f[F_HEADER_BYTES]).toBe(reference.f[F_HEADER_BYTES]);
    expect(s[I_CYCLES]).toBe(65536);
    expect(s[I_TAKEN]).toBe(80);
    expect(s[I_PACKETS_OUT]).toBe(160);
    expect(block.f[F_TAKEN_BYTES]).toBe(payloads.reduce((n, p) => n + p.length, 0));
    expect(block.f[F_OUT_BYTES]).toBe(2 * block.f[F_TAKEN_BYTES]);
    expect(s[I_ROC]).toBe(1);
    // The levels, in order, for voice activity.
    expect(s[I_LEVELS_WRITTEN]).toBe(80);
    expect(s[I_LEVELS + (79 % 64)]).toBe(100);
    expect(s[I_LEVELS + (78 % 64)]).toBe(30);
    expect(routes.routeDelete(batched.id, LOCALHOST, senderPort(), IN_SSRC)).toBe(true);
    expect(routes.routeStats()[0]).toBe(0);
  });

  it('hands JavaScript, untouched, what it must not take; a muted route counts and sends nothing', async () => {
    const inKey = cipher();
    const out = cipher();
    const block = ingress(inKey, 100);
    const w = writer(out, 0xcccc0003, receivers[0].address().port, serverFd);
    routes.routeSet(batched.id, LOCALHOST, senderPort(), IN_SSRC, inKey.native!.id, block.i, [w.i]);
    const good = srtp(inKey, 100, 5000, randomBytes(50), 20);
    const forged = Buffer.from(srtp(inKey, 101, 5960, randomBytes(50), 20));
    forged[forged.length - 1] ^= 1;
    const rtcp = Buffer.from(good);
    rtcp[1] = 201;
    await send(sender, good);
    await until(() => atReceiver[0].length === 1);
    await send(sender, good); // a replay
    await send(sender, forged);
    await send(sender, rtcp);
    await send(other, srtp(inKey, 102, 6920, randomBytes(50), 20)); // another source
    await until(() => toJs.length === 4);
    // The replay, the forgery and the RTCP from the route's source, byte for byte; then the other source's packet.
    expect(toJs[0].equals(good)).toBe(true);
    expect(toJs[1].equals(forged)).toBe(true);
    expect(toJs[2].equals(rtcp)).toBe(true);
    expect(toJs[3].readUInt16BE(2)).toBe(102);
    expect(atReceiver[0]).toHaveLength(1);
    expect(block.i[I_TAKEN]).toBe(1);

    block.i[I_PAUSED] = 1;
    await send(sender, srtp(inKey, 103, 7880, randomBytes(50), 20));
    await until(() => block.i[I_TAKEN] === 2);
    await sleep(50);
    expect(atReceiver[0]).toHaveLength(1);
    expect(block.i[I_LEVELS_WRITTEN]).toBe(1);
    block.i[I_PAUSED] = 0;

    // A new source continues the numbering (resync): the next copy follows the last one sent.
    const last = atReceiver[0][0].readUInt16BE(2);
    w.i[W_RESYNC] = 1;
    await send(sender, srtp(inKey, 30000, 90000, randomBytes(50), 20));
    await until(() => atReceiver[0].length === 2);
    expect(openCopy(out, atReceiver[0][1])!.seq).toBe((last + 1) & 0xffff);
    expect(w.i[W_HIGHEST]).toBe((last + 1) & 0xffff);

    expect(routes.routeDelete(batched.id, LOCALHOST, senderPort(), IN_SSRC)).toBe(true);
    const after = srtp(inKey, 30001, 90960, randomBytes(50), 20);
    await send(sender, after);
    await until(() => toJs.length === 5);
    expect(toJs[4].equals(after)).toBe(true);
    expect(atReceiver[0]).toHaveLength(2);
  });

  it('survives hostile datagrams from the route’s own source and still forwards afterwards', async () => {
    const inKey = cipher();
    const out = cipher();
    const block = ingress(inKey, 1);
    const w = writer(out, 0xdddd0004, receivers[1].address().port, serverFd);
    routes.routeSet(batched.id, LOCALHOST, senderPort(), IN_SSRC, inKey.native!.id, block.i, [w.i]);
    const valid = srtp(inKey, 1, 100, randomBytes(60), 10);
    let sent = 0;
    for (let i = 0; i < 1500; i++) {
      let d: Buffer;
      const kind = i % 5;
      if (kind === 0) d = randomBytes(1 + (i % 1600));
      else if (kind === 1) d = valid.subarray(0, i % valid.length);
      else {
        d = Buffer.from(valid);
        // Header fields that steer the parse: CSRC count, extension length, padding; and random bytes anywhere.
        // (Never the valid value again: each of these must fail to authenticate.)
        if (kind === 2) d[0] = (0x80 | (i & 0x3f)) === 0x90 ? 0x91 : 0x80 | (i & 0x3f);
        if (kind === 3) d.writeUInt16BE((i * 97) & 0xffff || 2, 14);
        if (kind === 3 && d.readUInt16BE(14) === 1) d.writeUInt16BE(2, 14);
        const at = (i * 13) % d.length;
        if (kind === 4) d[at >= 8 && at < 12 ? at + 4 : at] ^= 1 + (i % 255);
        d.writeUInt32BE(IN_SSRC, 8);
      }
      if (d.length === 0) continue;
      await send(sender, d);
      sent++;
      // A send's callback comes in the same turn: without a turn for the receive, its socket buffer would overflow.
      if (sent % 32 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => toJs.length === sent, 5000);
    expect(toJs).toHaveLength(sent);
    expect(atReceiver[1]).toHaveLength(0);
    expect(block.i[I_TAKEN]).toBe(0);
    await send(sender, valid);
    await until(() => atReceiver[1].length === 1);
    expect(openCopy(out, atReceiver[1][0])).toBeDefined();
    expect(routes.routeDelete(batched.id, LOCALHOST, senderPort(), IN_SSRC)).toBe(true);
  });

  it('refuses blocks of the wrong shape and unknown keys', () => {
    const inKey = cipher();
    const block = ingress(inKey, 1);
    const key = inKey.native!.id;
    expect(() => routes.routeSet(batched.id, LOCALHOST, 1, IN_SSRC, key, new Int32Array(10), [])).toThrow(
      /ingress block/,
    );
    expect(() => routes.routeSet(batched.id, LOCALHOST, 1, IN_SSRC, 1e6, block.i, [])).toThrow(/unknown GCM key/);
    expect(() => routes.routeSet(batched.id, LOCALHOST, 1, IN_SSRC, key, block.i, [new Int32Array(3)])).toThrow(
      /writer block/,
    );
    const keyless = writerBlock();
    expect(() => routes.routeSet(batched.id, LOCALHOST, 1, IN_SSRC, key, block.i, [keyless.i])).toThrow(/writer block/);
    expect(() => routes.routeSet(batched.id, LOCALHOST, 0, IN_SSRC, key, block.i, [])).toThrow(/expected/);
    expect(routes.routeStats()[0]).toBe(0);
    expect(routes.routeDelete(batched.id, LOCALHOST, 1, IN_SSRC)).toBe(false);
  });
});
