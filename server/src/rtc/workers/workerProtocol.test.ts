// The primary→worker datagram pipe: frames survive any split of the byte stream, a source's address
// travels only with its first datagram, and the worker tag of a ufrag routes to its worker.
import {randomBytes} from 'node:crypto';
import {rtcEnvOverrides} from '../options';
import {FrameReader, FrameWriter, workerOfUfrag, workerTag} from './workerProtocol';

test('frames arrive whole and in order however the stream is cut', async () => {
  const chunks: Buffer[] = [];
  const writer = new FrameWriter((c) => chunks.push(c));
  const sent = Array.from({length: 300}, (_, i) => ({
    socket: i % 3,
    source: 1 + (i % 7),
    data: randomBytes(1 + ((i * 97) % 1400)),
  }));
  const announced = new Set<number>();
  for (const f of sent) {
    const first = !announced.has(f.source);
    announced.add(f.source);
    writer.push(f.socket, f.source, first ? `10.0.0.${f.source}` : undefined, 40000 + f.source, f.data);
  }
  writer.flush();
  const stream = Buffer.concat(chunks);
  const got: {socket: number; source: number; address?: string; port: number; data: Buffer}[] = [];
  const reader = new FrameReader((socket, source, address, port, data) =>
    got.push({socket, source, address, port, data: Buffer.from(data)}),
  );
  // Cut into pieces of 1 to 700 bytes.
  for (let p = 0, k = 1; p < stream.length; k = (k * 7) % 701 || 1) {
    reader.push(stream.subarray(p, p + k));
    p += k;
  }
  expect(got).toHaveLength(sent.length);
  got.forEach((g, i) => {
    expect([g.socket, g.source, g.data.equals(sent[i].data)]).toEqual([sent[i].socket, sent[i].source, true]);
    if (g.address !== undefined) expect([g.address, g.port]).toEqual([`10.0.0.${g.source}`, 40000 + g.source]);
  });
  expect(got.filter((g) => g.address !== undefined)).toHaveLength(7);
});

test('a worker is found from the tag at the start of a ufrag', () => {
  expect(workerOfUfrag(`${workerTag(3)}abcdef`)).toBe(3);
  expect(workerOfUfrag(`${workerTag(12)}x`)).toBe(12);
  expect(workerOfUfrag('abcdefgh')).toBeUndefined();
  expect(workerOfUfrag('wxyz')).toBeUndefined();
});

test('MM_CALLS_RTC_WORKERS: one worker per core by default, a number, or an error', () => {
  expect(rtcEnvOverrides({}, 4).workers).toBe(4);
  expect(rtcEnvOverrides({MM_CALLS_RTC_WORKERS: 'auto'}, 2).workers).toBe(2);
  expect(rtcEnvOverrides({MM_CALLS_RTC_WORKERS: '1'}, 8).workers).toBe(1);
  expect(() => rtcEnvOverrides({MM_CALLS_RTC_WORKERS: 'many'}, 2)).toThrow('MM_CALLS_RTC_WORKERS');
  expect(() => rtcEnvOverrides({MM_CALLS_RTC_FORWARDING: 'slow'}, 2)).toThrow('MM_CALLS_RTC_FORWARDING');
  expect(rtcEnvOverrides({MM_CALLS_RTC_FORWARDING: 'stock'}, 2).forwarding).toBe('stock');
});

test('MM_CALLS_RTC_DIRECT_SOCKETS: true, false, unset (the default, on), or an error', () => {
  expect(rtcEnvOverrides({}, 2).directSockets).toBeUndefined();
  expect(rtcEnvOverrides({MM_CALLS_RTC_DIRECT_SOCKETS: 'false'}, 2).directSockets).toBe(false);
  expect(rtcEnvOverrides({MM_CALLS_RTC_DIRECT_SOCKETS: 'true'}, 2).directSockets).toBe(true);
  expect(() => rtcEnvOverrides({MM_CALLS_RTC_DIRECT_SOCKETS: 'yes'}, 2)).toThrow('MM_CALLS_RTC_DIRECT_SOCKETS');
});

test('MM_CALLS_RTC_NATIVE_ROUTES: true, false, unset (the default, on), or an error', () => {
  expect(rtcEnvOverrides({}, 2).nativeRoutes).toBeUndefined();
  expect(rtcEnvOverrides({MM_CALLS_RTC_NATIVE_ROUTES: 'false'}, 2).nativeRoutes).toBe(false);
  expect(rtcEnvOverrides({MM_CALLS_RTC_NATIVE_ROUTES: 'true'}, 2).nativeRoutes).toBe(true);
  expect(() => rtcEnvOverrides({MM_CALLS_RTC_NATIVE_ROUTES: '0'}, 2)).toThrow('MM_CALLS_RTC_NATIVE_ROUTES');
});

test('MM_CALLS_RTC_BATCHED_RECEIVE: true, false, unset (the default, on), or an error', () => {
  expect(rtcEnvOverrides({}, 2).batchedReceive).toBeUndefined();
  expect(rtcEnvOverrides({MM_CALLS_RTC_BATCHED_RECEIVE: 'false'}, 2).batchedReceive).toBe(false);
  expect(rtcEnvOverrides({MM_CALLS_RTC_BATCHED_RECEIVE: 'true'}, 2).batchedReceive).toBe(true);
  expect(() => rtcEnvOverrides({MM_CALLS_RTC_BATCHED_RECEIVE: 'on'}, 2)).toThrow('MM_CALLS_RTC_BATCHED_RECEIVE');
});
