// The load test's backlog reading: the bytes queued at a UDP port, from the kernel's own tables, and the wait for
// them to drain before a measurement window (test/loadtest/receiveQueue.ts).
import dgram from 'node:dgram';
import fs from 'node:fs';
import {once} from 'node:events';
import {rtcNative} from '../../server/src/rtc/fastpath/native';
import {udpReceiveQueued, waitForReceiveDrain} from '../loadtest/receiveQueue';
import {freeRtcPort} from '../loadtest/serverProcess';

async function sender(port: number): Promise<dgram.Socket> {
  const tx = dgram.createSocket('udp4');
  tx.connect(port, '127.0.0.1');
  await once(tx, 'connect');
  return tx;
}

it('reads what waits at a port, and the wait ends once the reader has caught up', async () => {
  const rx = dgram.createSocket('udp4');
  let read = 0;
  rx.on('message', () => read++);
  rx.bind(0, '127.0.0.1');
  await once(rx, 'listening');
  const port = rx.address().port;
  const tx = await sender(port);
  try {
    expect(udpReceiveQueued(port)).toBe(0);
    // Sent and read back before this turn of the event loop ends: the receiver has not read them yet.
    for (let i = 0; i < 50; i++) tx.send(Buffer.alloc(100, i));
    expect(udpReceiveQueued(port)).toBeGreaterThanOrEqual(50 * 100);
    const drain = await waitForReceiveDrain(port, 1024, 5_000);
    expect(drain).toEqual(expect.objectContaining({drained: true, queuedBytes: 0}));
    expect(read).toBe(50);
  } finally {
    tx.close();
    rx.close();
  }
});

it('gives up after its limit while nobody reads, and has nothing to wait for at a port with no socket here', async () => {
  const native = rtcNative();
  if (!native?.udpReusePortSocket) throw new Error('the native addon is not built (npm run build:native)');
  const port = await freeRtcPort();
  const fd = native.udpReusePortSocket(4, '127.0.0.1', port); // bound, never read
  const tx = await sender(port);
  try {
    for (let i = 0; i < 20; i++) tx.send(Buffer.alloc(200, i));
    const drain = await waitForReceiveDrain(port, 1024, 500);
    expect(drain.drained).toBe(false);
    expect(drain.waitedMs).toBeGreaterThanOrEqual(500);
    expect(drain.queuedBytes).toBeGreaterThanOrEqual(20 * 200);
  } finally {
    tx.close();
    fs.closeSync(fd);
  }
  expect(udpReceiveQueued(port)).toBeUndefined();
  expect(await waitForReceiveDrain(port, 1024, 5_000)).toEqual({drained: true, waitedMs: 0});
});
