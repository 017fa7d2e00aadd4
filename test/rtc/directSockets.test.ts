// Media workers receiving their clients directly: once a client's media path is known, its worker binds a socket
// connected to it on the one RTC port (SO_REUSEPORT) and the main process stops relaying it; a session's socket
// closes with the session; a client whose source port changes (a NAT rebinding) is relayed again, then gets a new one.
import {createSocket, type Socket} from 'node:dgram';
import {readFileSync, readdirSync} from 'node:fs';
import {createRtcServer, type WorkerPoolServer} from '../../server/src/rtc';
import {rtcNative} from '../../server/src/rtc/fastpath/native';
import type {TestClient} from './support/client';
import {joinTwo, speech, startAudio, testLogger, testOptions} from './support/harness';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(90_000);

/** The remote ports of the UDP sockets connected from 127.0.0.1:`port` (/proc/net/udp, every process). */
function connectedPeers(port: number): Set<number> {
  const out = new Set<number>();
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const [, local, remote] = line.trim().split(/\s+/);
    if (!local || !remote) continue;
    const [localHost, localPort] = local.split(':');
    const [, remotePort] = remote.split(':');
    if (localHost === '0100007F' && parseInt(localPort, 16) === port && parseInt(remotePort, 16) !== 0)
      out.add(parseInt(remotePort, 16));
  }
  return out;
}

/** The client's own UDP port, as the server sees it. */
function clientPort(c: TestClient): number {
  const pair = c.pc.iceTransports[0].getSelectedCandidatePair();
  return Number(pair?.local.candidate.replace(/^candidate:/, '').split(' ')[5]);
}

const describeNative = rtcNative()?.udpReusePortSocket ? describe : describe.skip;

describeNative('media workers receiving their clients directly', () => {
  let pool: WorkerPoolServer;
  const clients: TestClient[] = [];
  const stops: (() => void)[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    pool = (await createRtcServer(testOptions({workers: 2}), testLogger())) as WorkerPoolServer;
  });

  afterAll(async () => {
    for (const s of stops) s();
    await Promise.all(clients.map((c) => c.close()));
    // The client closed the socket it was switched to; the one it had before is ours to close (either may be gone).
    for (const s of sockets) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    await pool.close();
  });

  const totals = async () => {
    const stats = await pool.workerStats();
    const sum = (f: (w: (typeof stats)[number]) => number | undefined) => stats.reduce((n, w) => n + (f(w) ?? 0), 0);
    return {
      relayed: sum((w) => w.relayedDatagrams),
      direct: sum((w) => w.directDatagrams),
      open: sum((w) => w.directSockets),
    };
  };

  const heard = (by: TestClient, from: TestClient) => by.trackOfType('voice', from.sessionID)?.payloads.length ?? 0;

  /** A call of two speakers; resolves once each hears the other. */
  async function talkingCall(): Promise<{a: TestClient; b: TestClient; stopA: () => void}> {
    const {a, b} = await joinTwo(pool, clients);
    const aMic = await a.addTrack('audio', 'mic-a');
    const bMic = await b.addTrack('audio', 'mic-b');
    const stopA = startAudio(a, aMic.track, aMic.transceiver, speech);
    stops.push(stopA, startAudio(b, bMic.track, bMic.transceiver, speech));
    await waitFor(() => heard(b, a) >= 10 && heard(a, b) >= 10, 15_000, 'both hearing each other');
    return {a, b, stopA};
  }

  let one: Awaited<ReturnType<typeof talkingCall>>;
  let two: Awaited<ReturnType<typeof talkingCall>>;

  it('gives each connected client a socket of its worker: the main process stops relaying, audio flows both ways', async () => {
    one = await talkingCall();
    two = await talkingCall();
    expect(pool.workerOf(one.a.sessionID)).not.toBe(pool.workerOf(two.a.sessionID));
    const all = [one.a, one.b, two.a, two.b];
    await waitFor(
      () => all.every((c) => connectedPeers(pool.udpPort).has(clientPort(c))),
      5_000,
      'a connected socket per client',
    );
    expect((await totals()).open).toBe(4);
    // In-flight datagrams relayed before the sockets opened have arrived by now.
    await sleep(300);
    const before = await totals();
    const heardBefore = all.map((c, i) => heard(c, all[i ^ 1]));
    await sleep(1_500);
    const after = await totals();
    expect(after.relayed).toBe(before.relayed);
    // 4 speakers at 50 packets/s, plus RTCP and consent checks.
    expect(after.direct - before.direct).toBeGreaterThan(200);
    all.forEach((c, i) => expect(heard(c, all[i ^ 1]) - heardBefore[i]).toBeGreaterThan(40));
    // Each worker forwards its speakers' voices in the addon (native routes keyed on the client's own socket).
    for (const c of all) {
      await waitFor(async () => (await pool.inspect(c.sessionID))?.nativeRouteStreams === 1, 5_000, 'a native route');
    }
    const heardRouted = all.map((c, i) => heard(c, all[i ^ 1]));
    await sleep(1_000);
    all.forEach((c, i) => expect(heard(c, all[i ^ 1]) - heardRouted[i]).toBeGreaterThan(30));
  });

  it("closes a session's socket when the session ends (the user left)", async () => {
    const worker = pool.workerPids[pool.workerOf(one.a.sessionID)!]!;
    const fds = () => readdirSync(`/proc/${worker}/fd`).length;
    const port = clientPort(one.a);
    const fdsBefore = fds();
    one.stopA();
    await one.a.close();
    await pool.closeSession(one.a.sessionID);
    await waitFor(() => !connectedPeers(pool.udpPort).has(port), 5_000, 'the socket of the ended session closed');
    expect((await totals()).open).toBe(3);
    expect(fds()).toBeLessThan(fdsBefore);
  });

  it('relays a client whose source port changed, then gives it a new socket', async () => {
    const c = two.b;
    const oldPort = clientPort(c);
    // A NAT rebinding: the client's datagrams now leave from a new port; what reaches that port goes to the client.
    const transport = (c.pc.iceTransports[0] as unknown as {connection: {protocols: {transport: {socket: Socket}}[]}})
      .connection.protocols[0].transport;
    const original = transport.socket;
    const rebound = createSocket('udp4');
    sockets.push(rebound, original);
    await new Promise<void>((resolve) => rebound.bind(0, '127.0.0.1', resolve));
    rebound.on('message', (data, rinfo) => original.emit('message', data, rinfo));
    const newPort = rebound.address().port;
    const relayedBefore = (await totals()).relayed;
    const heardBefore = heard(two.a, c);
    transport.socket = rebound;
    // Its next consent check (every ~5 s) moves the source; until then the main process drops what it does not know.
    await waitFor(() => heard(two.a, c) >= heardBefore + 20, 20_000, 'the client heard again from its new port');
    expect((await totals()).relayed).toBeGreaterThan(relayedBefore);
    await waitFor(
      () => connectedPeers(pool.udpPort).has(newPort) && !connectedPeers(pool.udpPort).has(oldPort),
      5_000,
      'a socket connected to the new port instead of the old one',
    );
    await sleep(300);
    const before = await totals();
    await sleep(1_000);
    const after = await totals();
    expect(after.relayed).toBe(before.relayed);
    expect(after.open).toBe(3);
    expect(after.direct).toBeGreaterThan(before.direct);
  });
});
