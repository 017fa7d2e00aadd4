// Batched receive (recvmmsg through the native addon) with real UDP sockets: a burst reaches each session whole and
// in order with its source, hostile datagrams of any size are dropped without harm, a connected socket's ICMP error
// is reported, a stream counted in the addon hands over only its samples, and a closed reader delivers nothing more
// and lets its process exit. On Linux the addon is required.
import {spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {createSocket, type Socket} from 'node:dgram';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {createLogger} from '../../log';
import {Egress} from '../fastpath/egress';
import {configureRtcNative, rtcNative, socketFd} from '../fastpath/native';
import {
  batchedReceiveStats,
  configureBatchedReceive,
  receiveBatched,
  setRtpCountGate,
  type BatchedSocket,
} from './batchedReceive';
import {udpHandleOf} from './udp-handle';
import {UdpMux, type MuxEndpoint} from './udpMux';

const logger = createLogger({level: 'silent'});
const LARGEST = 65507;

beforeAll(() => {
  expect(configureRtcNative('required')).toBe(true);
  configureBatchedReceive(true);
});

afterAll(() => configureRtcNative('auto'));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await sleep(10);
}

async function client(): Promise<Socket> {
  const socket = createSocket({type: 'udp4', sendBufferSize: 4 * 1024 * 1024});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

const send = (socket: Socket, data: Buffer, port: number) =>
  new Promise<void>((resolve, reject) =>
    socket.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );

/** A STUN binding request naming `ufrag` (USERNAME "ufrag:peer"): it binds its source to that ufrag's endpoint. */
function bindingRequest(ufrag: string): Buffer {
  const name = Buffer.from(`${ufrag}:peer`);
  const padded = Math.ceil(name.length / 4) * 4;
  const msg = Buffer.alloc(20 + 4 + padded);
  msg.writeUInt16BE(0x0001, 0);
  msg.writeUInt16BE(4 + padded, 2);
  msg.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(msg, 8);
  msg.writeUInt16BE(0x0006, 20);
  msg.writeUInt16BE(name.length, 22);
  name.copy(msg, 24);
  return msg;
}

interface Got {
  data: Buffer;
  host: string;
  port: number;
  key: string;
}

function endpoint(got: Got[]): MuxEndpoint {
  // A copy: the datagram is a view into the batch's buffer, as a session would keep it.
  return {receive: (data, addr, key) => got.push({data: Buffer.from(data), host: addr[0], port: addr[1], key})};
}

describe('the RTC port read in batches', () => {
  let mux: UdpMux;
  const clients: Socket[] = [];

  beforeEach(async () => {
    mux = await UdpMux.bind(['127.0.0.1'], 0, logger);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await mux.close();
  });

  it('delivers a burst from two sources whole, in order, each with its own source address', async () => {
    const socket = mux.sockets[0];
    expect(socket.batched).toBeDefined();
    const a: Got[] = [];
    const b: Got[] = [];
    socket.register('ufragA', endpoint(a));
    socket.register('ufragB', endpoint(b));
    const [ca, cb] = [await client(), await client()];
    clients.push(ca, cb);
    await send(ca, bindingRequest('ufragA'), mux.port);
    await send(cb, bindingRequest('ufragB'), mux.port);
    await until(() => a.length === 1 && b.length === 1);
    const sent: Buffer[] = [];
    const datagram = (i: number) => {
      const d = randomBytes(20 + ((i * 37) % 1400));
      d[0] = 0x80; // RTP-shaped: not STUN, so the learnt source routes it
      d.writeUInt16BE(i, 2);
      return d;
    };
    for (let i = 0; i < 300; i++) sent.push(datagram(i));
    const largest = Buffer.alloc(LARGEST, 0x80);
    // In a burst: no waiting between sends, so the kernel queues many datagrams for one read.
    await Promise.all([
      ...sent.flatMap((d) => [send(ca, d, mux.port), send(cb, d, mux.port)]),
      send(ca, largest, mux.port),
    ]);
    await until(() => a.length === 302 && b.length === 301);
    for (const [got, c] of [
      [a, ca],
      [b, cb],
    ] as const) {
      const port = c.address().port;
      for (const g of got) expect([g.host, g.port, g.key]).toEqual(['127.0.0.1', port, `127.0.0.1:${port}`]);
      expect(got.slice(1, 301).map((g) => g.data.toString('hex'))).toEqual(sent.map((d) => d.toString('hex')));
    }
    expect(a[301].data.equals(largest)).toBe(true);
    expect(batchedReceiveStats().truncated).toBe(0);
  });

  it('drops random datagrams of any size from unknown sources, and the sessions keep receiving', async () => {
    const socket = mux.sockets[0];
    const got: Got[] = [];
    socket.register('ufragA', endpoint(got));
    const [good, hostile] = [await client(), await client()];
    clients.push(good, hostile);
    await send(good, bindingRequest('ufragA'), mux.port);
    await until(() => got.length === 1);
    const dropped = socket.dropped;
    const fuzz: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const d = randomBytes(i % 100 === 0 ? LARGEST - (i % 7) : Math.floor(Math.random() * 1500));
      // Every first byte, and STUN-shaped ones (a binding request's type) with garbage after it.
      if (d.length >= 2) d[0] = i % 256;
      if (d.length >= 2 && i % 5 === 0) d.writeUInt16BE(0x0001, 0);
      fuzz.push(d);
    }
    fuzz.push(Buffer.alloc(0));
    for (let i = 0; i < fuzz.length; i += 200)
      await Promise.all(fuzz.slice(i, i + 200).map((d) => send(hostile, d, mux.port)));
    await until(() => socket.dropped - dropped === fuzz.length);
    expect(socket.dropped - dropped).toBe(fuzz.length);
    await send(good, Buffer.from([0x80, 0, 0, 1]), mux.port);
    await until(() => got.length === 2);
    expect(got[1].data).toEqual(Buffer.from([0x80, 0, 0, 1]));
  });

  it('stops reading when closed: later datagrams are not delivered', async () => {
    const socket = mux.sockets[0];
    const got: Got[] = [];
    socket.register('ufragA', endpoint(got));
    const c = await client();
    clients.push(c);
    await send(c, bindingRequest('ufragA'), mux.port);
    await until(() => got.length === 1);
    const port = mux.port;
    const open = batchedReceiveStats().open;
    await mux.close();
    expect(batchedReceiveStats().open).toBe(open - 1);
    await send(c, Buffer.from([0x80, 1, 2, 3]), port);
    await sleep(100);
    expect(got).toHaveLength(1);
    mux = await UdpMux.bind(['127.0.0.1'], 0, logger);
  });
});

it("reports a connected socket's ICMP error (the client's port closed) instead of failing silently", async () => {
  const native = rtcNative()!;
  const gone = await client();
  const goneAddr = gone.address();
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  const fd = native.udpReusePortSocket!(4, '127.0.0.1', 0, '127.0.0.1', goneAddr.port);
  const errors: NodeJS.ErrnoException[] = [];
  const reader = receiveBatched(fd, {
    dup: false,
    source: {host: '127.0.0.1', port: goneAddr.port, key: `127.0.0.1:${goneAddr.port}`},
    onDatagram: () => {},
    onError: (err) => errors.push(err),
  })!;
  const egress = new Egress(native, fd);
  egress.queue(Buffer.from('ping'), ['127.0.0.1', goneAddr.port]);
  await until(() => errors.length > 0);
  expect(errors[0].code).toBe('ECONNREFUSED');
  egress.close();
  reader.close();
});

/** An RTP (or, pt 64–95, RTCP-looking) datagram of `ssrc` with sequence number `seq`. */
function rtp(ssrc: number, seq: number, pt = 111): Buffer {
  const d = Buffer.alloc(40, 0xab);
  d[0] = 0x80;
  d[1] = pt;
  d.writeUInt16BE(seq, 2);
  d.writeUInt32BE(ssrc >>> 0, 8);
  return d;
}

/** A socket read in batches (what it hands over collected in `got`) and a sender to it. */
async function batchedPair(): Promise<{
  socket: Socket;
  sender: Socket;
  port: number;
  got: Buffer[];
  reader: BatchedSocket;
}> {
  const socket = await client();
  const sender = await client();
  const got: Buffer[] = [];
  const reader = receiveBatched(socketFd(socket)!, {dup: true, onDatagram: (d) => got.push(Buffer.from(d))})!;
  udpHandleOf(socket)!.recvStop();
  return {socket, sender, port: socket.address().port, got, reader};
}

it('counts a stream in the addon and hands over one packet in N, the gate deciding what is counted', async () => {
  const {socket, sender, port, got, reader} = await batchedPair();
  const counted = 0xf0000001;
  const other = 0x1234;
  try {
    expect(reader.countRtp(counted, 5)).toBe(true);
    for (let i = 0; i < 20; i++) await send(sender, rtp(counted, i), port);
    await send(sender, rtp(other, 1), port);
    await send(sender, rtp(counted, 99, 72), port); // RTCP (SR) once the socket counts streams: dropped
    await send(sender, Buffer.from([0, 1, 0, 0]), port); // STUN-like: handed over
    await until(() => got.length >= 6);
    await sleep(100);
    // One in five of the counted stream (the 5th, 10th, …), the other SSRC and the STUN-like datagram.
    expect(got.map((d) => (d[0] === 0x80 ? `${d.readUInt32BE(8).toString(16)}#${d.readUInt16BE(2)}` : 'stun'))).toEqual(
      ['f0000001#4', 'f0000001#9', 'f0000001#14', 'f0000001#19', '1234#1', 'stun'],
    );
    expect(reader.counted(counted)).toBe(20);
    expect(reader.counted(other)).toBe(0);

    // Gate closed: still one in five handed over, nothing counted.
    setRtpCountGate(false);
    for (let i = 20; i < 30; i++) await send(sender, rtp(counted, i), port);
    await until(() => got.length >= 8);
    await sleep(100);
    expect(got).toHaveLength(8);
    expect(reader.counted(counted)).toBe(20);
    setRtpCountGate(true);
    await send(sender, rtp(counted, 30), port);
    await until(() => reader.counted(counted) === 21);
    expect(reader.counted(counted)).toBe(21);
  } finally {
    setRtpCountGate(true);
    reader.close();
    socket.close();
    sender.close();
  }
  // A closed reader counts nothing more and takes no new streams.
  expect(reader.countRtp(other, 1)).toBe(false);
});

describe('a reader and its process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'batched-receive-'));
  });
  afterAll(() => rmSync(dir, {recursive: true, force: true}));

  it('a closed reader lets its process exit; an open one keeps it alive, as a socket does', async () => {
    for (const closeAfter of [true, false]) {
      const file = path.join(dir, `child-${closeAfter}.ts`);
      writeFileSync(file, childScript(closeAfter));
      const proc = spawn(process.execPath, ['--import', 'tsx', file], {
        cwd: path.resolve(__dirname, '../../../..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([
        new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code))),
        new Promise<'running'>(
          (resolve) => (timer = setTimeout(() => resolve('running'), closeAfter ? 15_000 : 3_000)),
        ),
      ]);
      clearTimeout(timer);
      if (exited === 'running') proc.kill('SIGKILL');
      const report = JSON.parse(out.trim().split('\n')[0]) as {got: string[]; uncaught: string[]};
      // The handler's error reaches uncaughtException, and the rest of the batch is still delivered.
      expect(report).toEqual({got: ['boom', 'after'], uncaught: ['handler failed']});
      expect(exited).toBe(closeAfter ? 0 : 'running');
    }
  }, 30_000);
});

function childScript(closeAfter: boolean): string {
  return `
import {createSocket} from 'node:dgram';
import {configureRtcNative, rtcNative} from ${JSON.stringify(path.resolve(__dirname, '../fastpath/native'))};
import {receiveBatched} from ${JSON.stringify(path.resolve(__dirname, 'batchedReceive'))};
configureRtcNative('required');
const got: string[] = [];
const uncaught: string[] = [];
process.on('uncaughtException', (err) => uncaught.push(err.message));
const sender = createSocket('udp4');
// A free port for the reader: a dgram socket finds one and lets it go.
const probe = createSocket('udp4');
probe.bind(0, '127.0.0.1', () => {
  const port = probe.address().port;
  probe.close();
  const fd = rtcNative()!.udpReusePortSocket!(4, '127.0.0.1', port);
  const reader = receiveBatched(fd, {
    dup: false,
    onDatagram: (data) => {
      got.push(data.toString());
      if (got.length === 1) throw new Error('handler failed');
      // After the batch: its handler's error has reached uncaughtException by then.
      setImmediate(() => {
        console.log(JSON.stringify({got, uncaught}));
        if (${closeAfter}) reader.close();
        sender.close();
      });
    },
  })!;
  // Both queued before the reader's first turn: one batch.
  sender.send('boom', port, '127.0.0.1');
  sender.send('after', port, '127.0.0.1');
});
`;
}

it('drops lone SRTCP receiver reports in the addon once asked, and hands over every other RTCP', async () => {
  const {socket, sender, port, got, reader} = await batchedPair();
  /** An RTCP packet of type `pt` with `blocks` report blocks, then an SRTCP trailer of `trailer` bytes. */
  const rtcp = (pt: number, blocks: number, trailer: number, extra = 0) => {
    const words = 2 + 6 * blocks;
    const d = randomBytes(words * 4 + extra + trailer);
    d[0] = 0x80 | blocks;
    d[1] = pt;
    d.writeUInt16BE(words - 1, 2);
    return d;
  };
  try {
    const before = batchedReceiveStats().receiverReports;
    await send(sender, rtcp(201, 1, 20), port); // handed over: not asked yet
    await until(() => got.length === 1);
    expect(reader.dropReceiverReports()).toBe(true);
    await send(sender, rtcp(201, 1, 20), port); // AES-GCM trailer: dropped
    await send(sender, rtcp(201, 0, 14), port); // AES-CM trailer: dropped
    await send(sender, rtcp(200, 1, 20), port); // a sender report
    await send(sender, rtcp(201, 1, 20, 12), port); // a compound (more after the report)
    await send(sender, rtcp(201, 1, 18), port); // a length that fits no trailer
    await until(() => got.length === 4);
    await sleep(100);
    expect(got.map((d) => `${d[1]}/${d.length}`)).toEqual(['201/52', '200/52', '201/64', '201/50']);
    expect(batchedReceiveStats().receiverReports - before).toBe(2);
  } finally {
    reader.close();
    socket.close();
    sender.close();
  }
});
