// The native addon (server/native): its AES-GCM is OpenSSL's GCM byte for byte and rejects forgeries
// without touching the datagram, and the batched sender delivers queued datagrams, sealed or not, in
// order to a real UDP socket. `npm install` builds the addon; on Linux these tests require it.
import {createCipheriv, randomBytes} from 'node:crypto';
import {createSocket, type Socket} from 'node:dgram';
import {readFileSync} from 'node:fs';
import {atReceiveBatchEnd, handleReceiveBatch, receiveBatchOpen} from '../net/receiveBatchEnd';
import {Egress, ipv4Word} from './egress';
import {configureRtcNative, NativeGcmKey, rtcNative, socketFd, type RtcNative} from './native';

let native: RtcNative;

beforeAll(() => {
  expect(configureRtcNative('required')).toBe(true);
  native = rtcNative()!;
});

afterAll(() => configureRtcNative('auto'));

const ivWords = (iv: Buffer): [number, number, number] => [iv.readInt32BE(0), iv.readInt32BE(4), iv.readInt32BE(8)];

function opensslSeal(key: Buffer, iv: Buffer, aad: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv('aes-128-gcm', key, iv);
  c.setAAD(aad);
  return Buffer.concat([aad, c.update(plain), c.final(), c.getAuthTag()]);
}

// Direct (OpenSSL's GCM over AES-NI, where the machine has it) and EVP keys: both must be OpenSSL's GCM exactly.
const backends = [true, false];
afterEach(() => native.gcmDirect(true));

/** A new random key, made on the direct path or through EVP. */
function freshKey(direct: boolean): {key: Buffer; k: NativeGcmKey} {
  native.gcmDirect(direct);
  const key = randomBytes(16);
  return {key, k: new NativeGcmKey(native, key)};
}

test('the direct path is the default where the CPU has AES-NI and PCLMULQDQ', () => {
  const flags =
    readFileSync('/proc/cpuinfo', 'utf8')
      .match(/^flags\s*:(.*)$/m)?.[1]
      .split(' ') ?? [];
  const capable = process.arch === 'x64' && flags.includes('aes') && flags.includes('pclmulqdq');
  expect(native.gcmDirect()).toBe(capable);
  expect(native.gcmDirect(false)).toBe(false);
  expect(native.gcmDirect(true)).toBe(capable);
});

test.each(backends)(
  "seal and open match OpenSSL's AES-128-GCM for every AAD and payload length (direct: %s)",
  (direct) => {
    const {key, k} = freshKey(direct);
    for (const aad of [0, 12, 20, 40]) {
      for (let len = 0; len <= 1400; len += len < 40 ? 1 : 97) {
        const iv = randomBytes(12);
        const header = randomBytes(aad);
        const plain = randomBytes(len);
        const buf = Buffer.concat([header, plain, Buffer.alloc(16)]);
        native.gcmSeal(k.id, buf, aad, len, ...ivWords(iv));
        expect(buf.equals(opensslSeal(key, iv, header, plain))).toBe(true);
        expect(native.gcmOpen(k.id, buf, aad, buf.length, ...ivWords(iv))).toBe(true);
        expect(buf.subarray(aad, aad + len).equals(plain)).toBe(true);
      }
    }
  },
);

test.each(backends)(
  'open rejects any flipped bit, a wrong IV and a short datagram, leaving the buffer as it was (direct: %s)',
  (direct) => {
    const {key, k} = freshKey(direct);
    const iv = randomBytes(12);
    const sealed = opensslSeal(key, iv, randomBytes(12), randomBytes(1200));
    for (const flip of [0, 11, 12, 700, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[flip] ^= 0x01;
      const copy = Buffer.from(bad);
      expect(native.gcmOpen(k.id, bad, 12, bad.length, ...ivWords(iv))).toBe(false);
      expect(bad.equals(copy)).toBe(true);
    }
    const wrongIv = Buffer.from(iv);
    wrongIv[11] ^= 1;
    expect(native.gcmOpen(k.id, Buffer.from(sealed), 12, sealed.length, ...ivWords(wrongIv))).toBe(false);
    expect(native.gcmOpen(k.id, Buffer.alloc(20), 12, 20, 0, 0, 0)).toBe(false);
    expect(native.gcmOpen(k.id, Buffer.alloc(40), 12, 50, 0, 0, 0)).toBe(false);
  },
);

test('bad arguments are errors that name what was expected, not crashes', () => {
  const k = new NativeGcmKey(native, randomBytes(16));
  expect(() => native.gcmCreate(Buffer.alloc(15))).toThrow('16-byte key');
  expect(() => native.gcmSeal(k.id, Buffer.alloc(20), 12, 100, 0, 0, 0)).toThrow('exceed the buffer');
  expect(() => native.gcmSeal(123456, Buffer.alloc(40), 12, 4, 0, 0, 0)).toThrow('unknown GCM key');
  expect(() => (native.gcmSeal as (...a: unknown[]) => void)(k.id, 'text', 12, 4, 0, 0, 0)).toThrow(
    'expected (id, buffer',
  );
  expect(() => native.flush(-1, Buffer.alloc(8), new Int32Array(4), 1)).toThrow(
    'expected (fd, arena, descriptors, count)',
  );
  // A fan-out descriptor whose payload lies outside the arena, or whose AAD is not an RTP header: dropped, counted.
  const d = new Int32Array(40);
  for (const [o, src, aad] of [
    [0, 1_000_000, 12],
    [20, 0, 8],
  ]) {
    d.set([0, 40, k.id, aad, 0, 0, 0, 4, 9, 0x7f000001, 0, 0, 0, src, 0, 0, 0], o);
  }
  expect(native.flush(-1, Buffer.alloc(64), d, 2)).toEqual([0, 2]);
});

async function receiver(): Promise<{socket: Socket; port: number; got: Buffer[]}> {
  const socket = createSocket('udp4');
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {socket, port: socket.address().port, got};
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('batched sender', () => {
  let sender: Socket;
  let egress: Egress;

  /** Every receiver got exactly its expected datagrams, in order, and the sender dropped none. */
  async function receivedAsSent(receivers: {got: Buffer[]}[], expected: Buffer[][]): Promise<void> {
    await until(() => receivers.every((r, i) => r.got.length >= expected[i].length));
    receivers.forEach((r, i) => {
      expect(r.got.length).toBe(expected[i].length);
      expect(r.got.every((g, j) => g.equals(expected[i][j]))).toBe(true);
    });
    expect(egress.failed).toBe(0);
  }

  beforeAll(async () => {
    sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
    egress = new Egress(native, socketFd(sender)!);
  });

  afterAll(() => {
    egress.close();
    sender.close();
  });

  it('sends raw and sealed datagrams in the order queued, once the turn ends', async () => {
    // Several receivers, so that one turn's burst fits their socket buffers.
    const receivers = await Promise.all(Array.from({length: 16}, () => receiver()));
    try {
      const key = randomBytes(16);
      const k = new NativeGcmKey(native, key);
      const expected: Buffer[][] = receivers.map(() => []);
      for (let i = 0; i < 3000; i++) {
        // more than one flush's worth of descriptors
        const to = i % receivers.length;
        const port = receivers[to].port;
        if (i % 3 === 0) {
          const raw = randomBytes(20 + (i % 300));
          raw.writeUInt32BE(i, 0);
          expect(egress.queue(raw, ['127.0.0.1', port])).toBe(true);
          expected[to].push(raw);
        } else {
          const header = randomBytes(12);
          header.writeUInt32BE(i, 0);
          const payload = randomBytes(i % 200);
          const iv = randomBytes(12);
          const [h0, ts, ssrc] = [0, 4, 8].map((o) => header.readInt32BE(o));
          egress.queueFanout(k, payload, h0, ts, ssrc, ...ivWords(iv), ipv4Word('127.0.0.1')!, port);
          expected[to].push(opensslSeal(key, iv, header, payload));
        }
      }
      // Nothing leaves before the turn ends (one sendmmsg per batch).
      expect(receivers.every((r) => r.got.length === 0)).toBe(true);
      await receivedAsSent(receivers, expected);
    } finally {
      for (const r of receivers) r.socket.close();
    }
  });

  it("seals a fan-out: each receiver's header and key over one shared copy of the payload, across flushes", async () => {
    const receivers = await Promise.all(Array.from({length: 24}, () => receiver()));
    try {
      const keys = receivers.map(() => randomBytes(16));
      const native_ = keys.map((key) => new NativeGcmKey(native, key));
      const expected: Buffer[][] = receivers.map(() => []);
      // 100 packets × 24 receivers: more than one batch's descriptors, so a flush falls inside a fan-out.
      for (let p = 0; p < 100; p++) {
        const payload = randomBytes(20 + ((p * 37) % 400));
        receivers.forEach((r, i) => {
          const header = Buffer.alloc(12);
          const seq = (p * 7 + i) & 0xffff;
          const h0 = 0x80000000 | (p % 2 ? 0x800000 : 0) | (111 << 16) | seq | 0;
          header.writeInt32BE(h0, 0);
          header.writeUInt32BE((p * 960 + i) >>> 0, 4);
          header.writeUInt32BE((0xdead0000 + i) >>> 0, 8);
          const iv = randomBytes(12);
          egress.queueFanout(
            native_[i],
            payload,
            h0,
            (p * 960 + i) >>> 0,
            (0xdead0000 + i) | 0,
            ...ivWords(iv),
            ipv4Word('127.0.0.1')!,
            r.port,
          );
          expected[i].push(opensslSeal(keys[i], iv, header, payload));
        });
      }
      await receivedAsSent(receivers, expected);
    } finally {
      for (const r of receivers) r.socket.close();
    }
  });

  it('sends what a receive batch queued when the batch ends, without waiting for the next loop turn', async () => {
    const r = await receiver();
    const immediate = jest.spyOn(global, 'setImmediate');
    try {
      handleReceiveBatch(() => {
        expect(receiveBatchOpen()).toBe(true);
        egress.queue(Buffer.from('reply 1'), ['127.0.0.1', r.port]);
        egress.queue(Buffer.from('reply 2'), ['127.0.0.1', r.port]);
      });
      expect(receiveBatchOpen()).toBe(false);
      expect(immediate).not.toHaveBeenCalled();
      // Outside a batch (a timer, a promise), the turn's end sends.
      egress.queue(Buffer.from('later'), ['127.0.0.1', r.port]);
      expect(immediate).toHaveBeenCalledTimes(1);
      await receivedAsSent([r], [[Buffer.from('reply 1'), Buffer.from('reply 2'), Buffer.from('later')]]);
    } finally {
      immediate.mockRestore();
      r.socket.close();
    }
  });

  it('runs every end-of-batch send even when the batch or one of them throws, then throws the first error', () => {
    const ran: string[] = [];
    expect(() =>
      handleReceiveBatch(() => {
        atReceiveBatchEnd(() => ran.push('a'));
        atReceiveBatchEnd(() => {
          throw new Error('second');
        });
        atReceiveBatchEnd(() => ran.push('c'));
        throw new Error('handler');
      }),
    ).toThrow('handler');
    expect(ran).toEqual(['a', 'c']);
    // Nothing is left over for the next batch.
    handleReceiveBatch(() => undefined);
    expect(ran).toEqual(['a', 'c']);
  });

  it('leaves addresses it cannot send to (IPv6, names) to the caller', () => {
    expect(egress.queue(Buffer.from('x'), ['::1', 5000])).toBe(false);
    expect(egress.queue(Buffer.from('x'), ['localhost', 5000])).toBe(false);
    expect(egress.queue(Buffer.from('x'), ['127.0.0.1', 0])).toBe(false);
    expect(ipv4Word('10.1.2.3')).toBe(0x0a010203);
    expect(ipv4Word('256.1.2.3')).toBeNull();
  });
});

describe('SO_REUSEPORT sockets', () => {
  const bound = (socket: Socket) => new Promise<void>((resolve) => socket.once('listening', () => resolve()));
  const wrap = async (fd: number) => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind({fd}, resolve));
    return socket;
  };

  it('hand a flow to the socket connected to it, new flows to the unconnected one, and refuse a taken port', async () => {
    const shared = await wrap(native.udpReusePortSocket!(4, '127.0.0.1', 0));
    const port = shared.address().port;
    const client = createSocket('udp4');
    const other = createSocket('udp4');
    client.bind(0, '127.0.0.1');
    other.bind(0, '127.0.0.1');
    await Promise.all([bound(client), bound(other)]);
    const direct = await wrap(native.udpReusePortSocket!(4, '127.0.0.1', port, '127.0.0.1', client.address().port));
    const got: string[] = [];
    shared.on('message', (m) => got.push(`shared ${m.toString()}`));
    direct.on('message', (m) => got.push(`direct ${m.toString()}`));
    client.send('a', port, '127.0.0.1');
    other.send('b', port, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(got.sort()).toEqual(['direct a', 'shared b']);
    // Without SO_REUSEPORT on the holder, the port is taken: the errno text says so.
    expect(() => native.udpReusePortSocket!(4, '127.0.0.1', client.address().port)).toThrow(
      /bind: Address already in use/,
    );
    expect(() => native.udpReusePortSocket!(4, 'example.com', 0)).toThrow(/IP literals/);
    for (const s of [shared, client, other, direct]) s.close();
  });
});
