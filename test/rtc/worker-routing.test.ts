// The primary routes binding requests to a media worker by the worker tag in the ufrag, before any password is
// checked (the worker holds it). A sender that makes up ufrags with a worker's tag from many source ports must
// not leave a route behind for each: the worker refuses the checks and the primary forgets those sources, while
// the real sessions keep talking.
import {createSocket, type Socket} from 'node:dgram';
import {newId} from '../../server/src/ids';
import type {WorkerPoolServer} from '../../server/src/rtc';
import {joinTwo, speak, speech, useRtcServer} from './support/harness';
import {forgedBindingRequest} from './support/stunServer';
import {waitFor} from '../support/wait';

jest.setTimeout(60_000);

describe('routing to media workers', () => {
  let pool: WorkerPoolServer;
  const {clients, stops} = useRtcServer((s) => (pool = s as WorkerPoolServer), {workers: 2});

  it('forgets the sources of forged checks named after a worker, and the call goes on', async () => {
    const {a, b} = await joinTwo(pool, clients);
    await speak(b, 'mic-b', speech, stops);
    await waitFor(() => a.packetsFrom('voice', b.sessionID) > 10, 10_000, 'A hearing B');
    const routed = () => pool.network.udp.sockets.reduce((n, s) => n + s.sourceCount, 0);
    const before = routed();
    const droppedBefore = (await pool.getStats()).droppedDatagrams;

    // 200 source ports, each with checks naming made-up ufrags of both workers and A's real one.
    const realUfrag = /a=ice-ufrag:(\S+)/.exec(a.pc.remoteDescription!.sdp)![1];
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const sock = createSocket('udp4');
        sockets.push(sock);
        const ufrag = i % 10 === 0 ? realUfrag : `w${i % 2}x${newId().slice(0, 12)}`;
        await new Promise<void>((resolve) =>
          sock.send(forgedBindingRequest(ufrag), pool.udpPort, '127.0.0.1', () => resolve()),
        );
      }
      // Each was routed to a worker on its tag alone, and refused there; then the routes go away.
      await waitFor(
        async () => (await pool.getStats()).droppedDatagrams >= droppedBefore + 200,
        10_000,
        'the workers refusing the forged checks',
      );
      await waitFor(
        () => routed() <= before,
        10_000,
        `the forged sources forgotten (${routed()} routed, ${before} before)`,
      );
    } finally {
      for (const s of sockets) s.close();
    }
    const heard = a.packetsFrom('voice', b.sessionID);
    await waitFor(() => a.packetsFrom('voice', b.sessionID) > heard + 25, 10_000, 'A still hearing B');
    expect(a.pc.connectionState).toBe('connected');
  });
});
