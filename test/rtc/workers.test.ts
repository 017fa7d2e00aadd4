// The SFU on several media worker processes: calls spread over the workers while every client still
// talks to the one RTC port (UDP and ICE-TCP), a call stays on one worker, the workers' metrics reach
// the plugin registry, and a worker that dies comes back while its sessions move to a live worker.
import {newId} from '../../server/src/ids';
import {CallsMetrics} from '../../server/src/metrics';
import {createRtcServer, type WorkerPoolServer} from '../../server/src/rtc';
import {callSessionOp} from '../../server/src/relay/sfu';
import type {RtcServerOptions} from '../../server/src/rtc/options';
import {TestClient} from './support/client';
import {directSignaling, join, speech, startAudio, testLogger, testOptions, useRtcServer} from './support/harness';
import {alive} from '../support/processes';
import {waitFor} from '../support/wait';

jest.setTimeout(90_000);

/** A server of two media workers for a describe block, with the plugin metrics wired to it. */
function useWorkerPool(
  options: Partial<RtcServerOptions>,
  ready: (pool: WorkerPoolServer, metrics: CallsMetrics) => void,
): ReturnType<typeof useRtcServer> {
  let metrics: CallsMetrics;
  return useRtcServer(
    (s) => ready(s as WorkerPoolServer, metrics),
    () => {
      metrics = new CallsMetrics();
      return createRtcServer(testOptions({workers: 2, ...options}), testLogger(), {metrics: metrics.rtc});
    },
  );
}

describe('media workers', () => {
  let pool: WorkerPoolServer;
  let metrics: CallsMetrics;
  const {clients, stops} = useWorkerPool({}, (p, m) => ([pool, metrics] = [p, m]));

  /** From one scrape: the summed RTP out counter, and each worker's own (by worker index). */
  const outCounters = async () => {
    const text = await metrics.text();
    const perWorker = [
      ...text.matchAll(
        /^mattermost_plugin_calls_rtc_worker_rtp_packets_total\{worker="(\d+)",direction="out"\} (\S+)$/gm,
      ),
    ].map((m) => [Number(m[1]), Number(m[2])] as const);
    return {
      sum: Number(
        /^mattermost_plugin_calls_rtc_rtp_packets_total\{groupID="default",direction="out"\} (\S+)$/m.exec(text)?.[1] ??
          NaN,
      ),
      worker: new Map(perWorker),
    };
  };

  /** A call of two speakers; resolves once each hears the other, byte for byte. */
  async function talkingCall(
    opts: {udpBlocked?: boolean} = {},
  ): Promise<{callID: string; a: TestClient; b: TestClient}> {
    const callID = newId();
    const a = await join(pool, {callID, ...opts});
    const b = await join(pool, {callID, ...opts});
    clients.push(a, b);
    const sentA: Buffer[] = [];
    const aMic = await a.addTrack('audio', 'mic-a');
    const bMic = await b.addTrack('audio', 'mic-b');
    stops.push(
      startAudio(a, aMic.track, aMic.transceiver, speech, sentA),
      startAudio(b, bMic.track, bMic.transceiver, speech),
    );
    await waitFor(
      () => b.packetsFrom('voice', a.sessionID) >= 10 && a.packetsFrom('voice', b.sessionID) >= 10,
      15_000,
      'both hearing each other',
    );
    const atB = b.trackOfType('voice', a.sessionID)!.payloads;
    const first = sentA.findIndex((p) => p.equals(atB[0]));
    expect(first).toBeGreaterThanOrEqual(0);
    atB.slice(0, 10).forEach((p, i) => expect(p.equals(sentA[first + i])).toBe(true));
    return {callID, a, b};
  }

  it('spreads calls over the workers, keeps each call on one, and serves all of them on the one port', async () => {
    expect(pool.workerCount).toBe(2);
    const one = await talkingCall();
    const two = await talkingCall();
    // Each call lives on one worker; with two calls and two idle workers, they land on different ones.
    expect(pool.workerOf(one.a.sessionID)).toBe(pool.workerOf(one.b.sessionID));
    expect(pool.workerOf(two.a.sessionID)).toBe(pool.workerOf(two.b.sessionID));
    expect(pool.workerOf(one.a.sessionID)).not.toBe(pool.workerOf(two.a.sessionID));
    // Every client's selected pair ends at the one RTC port, whichever worker runs its session.
    for (const c of [one.a, one.b, two.a, two.b]) {
      const pair = c.pc.iceTransports[0].getSelectedCandidatePair();
      expect(Number(pair?.remote.candidate.replace(/^candidate:/, '').split(' ')[5])).toBe(pool.udpPort);
      expect((await pool.inspect(c.sessionID))?.fastIngressStreams).toBe(1);
    }
    expect(await pool.getStats()).toMatchObject({sessions: 4, calls: 2});
    // A session operation reaches the worker of its session; a malformed one is refused, the workers unharmed.
    expect((await callSessionOp(pool, two.b.sessionID, 'inspect', undefined)).connectionState).toBe('connected');
    await expect(pool.sessionOp({sessionID: two.b.sessionID, op: 'format_disk', req: {}})).rejects.toMatchObject({
      id: 'app.relay.bad_request',
    });
    await expect(pool.sessionOp({sessionID: 'nobody', op: 'inspect', req: undefined})).rejects.toMatchObject({
      id: 'app.rtc.no_session',
    });
    expect(await pool.getStats()).toMatchObject({sessions: 4, calls: 2});
  });

  it("reports the workers in the plugin metrics: rtc_* from every worker, and each worker's CPU and packets", async () => {
    const text = await metrics.text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
    expect(value(/^mattermost_plugin_calls_rtc_sessions_total\{groupID="default"\} (\S+)$/m)).toBe(4);
    expect(value(/^mattermost_plugin_calls_rtc_conn_states_total\{type="connected"\} (\S+)$/m)).toBe(4);
    expect(
      value(/^mattermost_plugin_calls_rtc_rtp_packets_total\{groupID="default",direction="out"\} (\S+)$/m),
    ).toBeGreaterThan(40);
    for (const w of ['0', '1']) {
      expect(
        value(new RegExp(`^mattermost_plugin_calls_rtc_worker_cpu_seconds_total\\{worker="${w}"\\} (\\S+)$`, 'm')),
      ).toBeGreaterThan(0);
      expect(value(new RegExp(`^mattermost_plugin_calls_rtc_worker_sessions\\{worker="${w}"\\} (\\S+)$`, 'm'))).toBe(2);
      expect(
        value(
          new RegExp(
            `^mattermost_plugin_calls_rtc_worker_rtp_packets_total\\{worker="${w}",direction="out"\\} (\\S+)$`,
            'm',
          ),
        ),
      ).toBeGreaterThan(10);
    }
  });

  it('hands ICE-TCP connections to the worker of their session', async () => {
    const call = await talkingCall({udpBlocked: true});
    const pair = call.a.pc.iceTransports[0].getSelectedCandidatePair();
    expect(pair?.remote.candidate).toMatch(/ tcp /i);
    expect(Number(pair?.remote.candidate.replace(/^candidate:/, '').split(' ')[5])).toBe(pool.tcpPort);
  });

  it('moves the sessions of a worker that dies to a live worker, tells only them to renegotiate, and starts it again', async () => {
    const victim = await talkingCall();
    const worker = pool.workerOf(victim.a.sessionID)!;
    const survivors = clients.filter(
      (c) =>
        c !== victim.a &&
        c !== victim.b &&
        pool.workerOf(c.sessionID) !== undefined &&
        pool.workerOf(c.sessionID) !== worker,
    );
    const closed: string[] = [];
    const restarted: string[] = [];
    pool.on('close', (id) => closed.push(id));
    pool.on('restart', (id) => restarted.push(id));
    const mutedBefore = (await pool.inspect(victim.b.sessionID))?.signalingState;
    expect(mutedBefore).toBe('stable');
    const victimOut = (await outCounters()).worker.get(worker) ?? NaN;
    expect(victimOut).toBeGreaterThan(0);
    process.kill(pool.workerPids[worker]!, 'SIGKILL');
    await waitFor(
      () => restarted.includes(victim.a.sessionID) && restarted.includes(victim.b.sessionID),
      10_000,
      'sessions of the dead worker re-created',
    );
    expect(closed).toEqual([]);
    for (const c of survivors) expect(restarted).not.toContain(c.sessionID);
    // Re-created on the other, live worker, together (a call stays on one worker), waiting for a new offer.
    const now = pool.workerOf(victim.a.sessionID);
    expect(now).not.toBe(worker);
    expect(pool.workerOf(victim.b.sessionID)).toBe(now);
    expect((await pool.inspect(victim.a.sessionID))?.signalingState).toBe('stable');
    expect((await pool.inspect(victim.a.sessionID))?.connectionState).toBe('new');
    await waitFor(() => pool.workerPids[worker] !== undefined, 15_000, 'worker restarted');
    // What the dead worker forwarded still counts: the summed counter never goes back (Prometheus would read a
    // reset, and a rate over it would spike).
    const after = await outCounters();
    const live = [...after.worker.values()].reduce((a, b) => a + b, 0);
    expect(after.sum).toBeGreaterThanOrEqual(live + victimOut);
    // The restarted worker takes calls again (it is now the least loaded one).
    const again = await talkingCall();
    expect(pool.workerOf(again.a.sessionID)).toBe(worker);
  });

  it('answers metrics and stats while a worker does not answer (the watchdog deals with the worker)', async () => {
    // Found by the fuzz suite: a hung worker held every /metrics scrape until the watchdog replaced it.
    const {a} = await talkingCall();
    const worker = pool.workerOf(a.sessionID)!;
    const pid = pool.workerPids[worker]!;
    const before = await outCounters();
    expect(before.worker.get(worker)).toBeGreaterThan(0);
    process.kill(pid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      const [text, stats] = await Promise.all([metrics.text(), pool.getStats()]);
      // Well before the watchdog (15 s) or the RPC timeout (30 s): the other worker's figures are there.
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(text).toMatch(new RegExp(`_rtc_worker_sessions\\{worker="${1 - worker}"\\}`));
      expect(stats.udpPort).toBe(pool.udpPort);
      // The silent worker counts as of its last answer, not as nothing: a worker too busy to answer a scrape in
      // time (a saturated one) took its packets out of the sums, and the counters went back.
      const during = await outCounters();
      expect(during.worker.get(worker)).toBeGreaterThanOrEqual(before.worker.get(worker)!);
      expect(during.sum).toBeGreaterThanOrEqual(before.sum);
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // replaced by the watchdog meanwhile
      }
    }
  });

  it('creates a session on another worker when its worker dies while creating it: the join succeeds and media flows', async () => {
    await waitFor(() => pool.workerPids.every((p) => p !== undefined), 20_000, 'both workers up');
    const callID = newId();
    const restarted: string[] = [];
    pool.on('restart', (id) => restarted.push(id));
    // The call's first session picks the least loaded worker; stop it so the creation hangs, then kill it.
    const a = await join(pool, {callID});
    clients.push(a);
    const victim = pool.workerOf(a.sessionID)!;
    const pid = pool.workerPids[victim]!;
    process.kill(pid, 'SIGSTOP');
    const sessionID = newId();
    const creating = pool.initSession({
      sessionID,
      userID: newId(),
      callID,
      channelID: 'ch' + callID.slice(0, 10),
      av1Support: false,
      dcSignaling: false,
    });
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, 'SIGKILL');
    await creating;
    expect(pool.workerOf(sessionID)).not.toBe(victim);
    // Its client had not negotiated yet: no restart for it (A, which had, is told to renegotiate).
    await waitFor(() => restarted.includes(a.sessionID), 10_000, 'A told to renegotiate');
    expect(restarted).not.toContain(sessionID);
    expect(pool.workerOf(a.sessionID)).toBe(pool.workerOf(sessionID));
    // The joined client negotiates with the session where it now lives.
    const b = new TestClient({sessionID, signaling: directSignaling(pool)});
    clients.push(b);
    await b.start();
    await b.waitConnected();
  });
});

describe('media workers on demand (the default)', () => {
  let pool: WorkerPoolServer;
  let metrics: CallsMetrics;
  const {clients, stops} = useWorkerPool({workerIdleMs: 2000}, (p, m) => ([pool, metrics] = [p, m]));

  const rtpOut = async () =>
    Number(
      /^mattermost_plugin_calls_rtc_rtp_packets_total\{groupID="default",direction="out"\} (\S+)$/m.exec(
        await metrics.text(),
      )?.[1] ?? NaN,
    );

  /** A call where B hears A; resolves once B got 10 of A's packets. */
  async function call(): Promise<{a: TestClient; b: TestClient}> {
    const callID = newId();
    const a = await join(pool, {callID});
    const b = await join(pool, {callID});
    clients.push(a, b);
    const mic = await a.addTrack('audio', 'mic-a');
    stops.push(startAudio(a, mic.track, mic.transceiver, speech));
    await waitFor(() => b.packetsFrom('voice', a.sessionID) >= 10, 15_000, 'B hearing A');
    return {a, b};
  }

  it('runs no worker while no call needs one, starts one for a call, stops it once idle, and starts one again', async () => {
    expect(pool.workersOnDemand).toBe(true);
    expect(pool.workerCount).toBe(2);
    expect(pool.workerPids).toEqual([undefined, undefined]);

    const first = await call();
    const running = pool.workerPids.filter((p): p is number => p !== undefined);
    expect(running).toHaveLength(1);
    expect(pool.workerPids[pool.workerOf(first.a.sessionID)!]).toBe(running[0]);
    const outWhileUp = await rtpOut();
    expect(outWhileUp).toBeGreaterThanOrEqual(10);

    // The call ends: after the idle time (2 s here) its worker process is gone.
    for (const s of stops.splice(0)) s();
    await pool.closeSession(first.a.sessionID);
    await pool.closeSession(first.b.sessionID);
    await waitFor(() => pool.workerPids.every((p) => p === undefined), 15_000, 'the idle worker stopped');
    await waitFor(() => !alive(running[0]), 5_000, 'its process exited');
    // What it forwarded still counts: the summed counter never goes back.
    expect(await rtpOut()).toBeGreaterThanOrEqual(outWhileUp);

    // The next call starts a worker again, and media flows through it.
    const second = await call();
    const now = pool.workerPids[pool.workerOf(second.a.sessionID)!];
    expect(now).toBeDefined();
    expect(now).not.toBe(running[0]);
    expect(await rtpOut()).toBeGreaterThan(outWhileUp);
  });

  it('keeps a worker that gets a session within the idle time, and stops only the one left idle', async () => {
    await call();
    for (const s of stops.splice(0)) s();
    for (const c of clients.splice(0)) {
      await pool.closeSession(c.sessionID);
      await c.close();
    }
    const before = pool.workerPids;
    expect(before.filter((p) => p !== undefined).length).toBeGreaterThanOrEqual(1);
    // A new call within the idle time goes to a running worker (a running one before an empty slot): no start.
    await new Promise((r) => setTimeout(r, 1000));
    const next = await call();
    const worker = pool.workerOf(next.a.sessionID)!;
    const pid = pool.workerPids[worker]!;
    expect(before).toContain(pid);
    // Past the idle time: the worker with the call runs on; any other has stopped.
    await new Promise((r) => setTimeout(r, 2500));
    expect(pool.workerPids[worker]).toBe(pid);
    expect(alive(pid)).toBe(true);
    expect(pool.workerPids.filter((p) => p !== undefined)).toEqual([pid]);
    expect(next.b.packetsFrom('voice', next.a.sessionID)).toBeGreaterThan(100);
  });
});

describe('media workers with the idle stop off (MM_CALLS_RTC_WORKER_IDLE_SECONDS=off)', () => {
  let pool: WorkerPoolServer;
  useWorkerPool({workerIdleMs: null}, (p) => (pool = p));

  it('starts every worker with the server', () => {
    expect(pool.workersOnDemand).toBe(false);
    expect(pool.workerPids.every((p) => typeof p === 'number')).toBe(true);
  });
});
