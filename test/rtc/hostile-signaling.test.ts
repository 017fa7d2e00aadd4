// One hostile participant against a real node process (`npm start`'s entry, werift SFU, SQLite): SDP and
// ICE that the SFU rejects, sent the way the webapp sends them (zlib + msgpack for SDP), end at most that
// participant's session with the reference's `error` event; the process and its media workers stay up
// and the others keep hearing each other. A media worker that dies or stops answering is started again
// and its call comes back on a live worker through rtc_reconnect, with nobody leaving the call.
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {seededWorld, type World} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {type NodeProcess, startNode} from '../cluster/support/node';
import {CallUser, hearEachOtherSince, joinTalking, type WsEvent} from '../cluster/support/user';
import {waitFor} from '../support/wait';

jest.setTimeout(120_000);

/** Whether `pid` is a live media worker: a zombie (killed, not reaped yet) or any other child of the node is not. */
function isMediaWorker(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) state …"; the command may contain spaces, the state follows its last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerMain');
  } catch {
    return false; // gone already
  }
}

/** The node's media worker processes (its direct children). */
function workerPids(node: NodeProcess): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(node.child.pid)], {encoding: 'utf8'})
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter(isMediaWorker);
  } catch {
    return [];
  }
}

const alive = (node: NodeProcess) => node.child.exitCode === null && node.child.signalCode === null;

/** Worker indexes that answered the primary's last stats request (the rtc_worker_* gauges of /metrics). */
async function answeringWorkers(node: NodeProcess): Promise<string[]> {
  const text = await (await fetch(`${node.url}/plugins/com.mattermost.calls/metrics`)).text();
  return [...text.matchAll(/^mattermost_plugin_calls_rtc_worker_sessions\{worker="(\d+)"\}/gm)].map((m) => m[1]).sort();
}

for (const workers of ['1', '2']) {
  describe(`a hostile participant (MM_CALLS_RTC_WORKERS=${workers})`, () => {
    let node: NodeProcess;
    let world: World;
    const users: CallUser[] = [];
    let alice: CallUser;
    let bob: CallUser;
    let channelID: string;
    /** Processes this test stopped: whatever happens, they do not outlive it (they hold the node's output pipe). */
    const stopped: number[] = [];

    beforeAll(async () => {
      node = await startNode({
        name: `hostile-w${workers}`,
        // Every worker runs from the start (no on-demand start or idle stop), so a changed pid means a crash.
        env: {
          MM_CALLS_RTC_WORKERS: workers,
          MM_CALLS_RTC_WORKER_WATCHDOG_MS: '3000',
          MM_CALLS_RTC_WORKER_IDLE_SECONDS: 'off',
        },
      });
      world = await seededWorld({url: node.url} as TestServer);
      channelID = await world.newChannel(['alice', 'bob', 'carol', 'dave']);
      alice = user('alice');
      bob = user('bob');
      await joinTalking(channelID, alice, bob);
    }, 90_000);

    afterAll(async () => {
      for (const u of users) await u.close().catch(() => undefined);
      for (const pid of stopped) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await node?.stop();
    });

    function user(name: 'alice' | 'bob' | 'carol' | 'dave'): CallUser {
      const u = new CallUser(name, node.url, world.users[name].token, () => node.url);
      users.push(u);
      return u;
    }

    async function stillHearingEachOther(): Promise<void> {
      await hearEachOtherSince(alice, bob, Date.now(), 10_000, 'alice and bob still hearing each other');
    }

    const errorsOf = (u: CallUser) => u.ws.received('error');

    it('answers SDP and ICE the SFU rejects from a connected participant with an error event for that participant only', async () => {
      const carol = user('carol');
      await carol.connect();
      await carol.joinAndTalk(channelID);
      const pids = workerPids(node);
      carol.ws.sendSDP({type: 'offer', sdp: 'not sdp'});
      const sdpErr = await carol.ws.waitFor('error', (e) => String(e.data.id).startsWith('app.rtc.'));
      // Not fatal: carol's media keeps going, so the error does not carry her connID (that would end her session).
      expect(sdpErr.data).toMatchObject({data: 'session description is not SDP', id: 'app.rtc.invalid_sdp'});
      expect(sdpErr.data.connID).toBeUndefined();
      carol.ws.send('ice', {data: JSON.stringify({candidate: 'garbage', sdpMid: '0', sdpMLineIndex: 0})});
      await carol.ws.waitFor('error', (e) => e.data.id === 'app.rtc.invalid_ice');
      carol.ws.send('ice', {data: JSON.stringify({candidate: 'candidate:1 1 udp', sdpMid: null})});
      await waitFor(
        () => errorsOf(carol).filter((e) => e.data.id === 'app.rtc.invalid_ice').length >= 2,
        5000,
        'second ice error',
      );

      expect(alive(node)).toBe(true);
      expect(workerPids(node)).toEqual(pids);
      for (const other of [alice, bob]) expect(errorsOf(other)).toEqual([]);
      await stillHearingEachOther();
      // Carol is still in the call and still heard.
      await alice.waitHearing(carol.sessionID, 10, 10_000, Date.now());
      await carol.close();
    });

    it('ends the session of a participant whose first offer is not SDP, telling only that client, and nobody else notices', async () => {
      const dave = user('dave');
      await dave.connect();
      await dave.ws.join(channelID);
      const davesSession = dave.sessionID;
      dave.ws.sendSDP({type: 'offer', sdp: 'v=0\r\nnot really sdp'});
      // Fatal (nothing was negotiated): the error carries the connID, as a failed join's does.
      const err = await dave.ws.waitFor('error', (e) => e.data.connID === davesSession);
      expect(err.data.id).toBe('app.rtc.invalid_sdp');
      await alice.ws.waitFor('user_left', (e) => e.data.session_id === davesSession);
      expect(alive(node)).toBe(true);
      await stillHearingEachOther();
      for (const other of [alice, bob]) expect(errorsOf(other)).toEqual([]);
      await dave.close();
    });

    if (workers === '2') {
      const leftEvents = (u: CallUser) =>
        u.ws
          .received('user_left')
          .filter((e: WsEvent) => e.data.session_id === alice.sessionID || e.data.session_id === bob.sessionID);
      /** Both get an rtc_reconnect beyond the `before` they had. */
      const bothToldToRenegotiate = (before: number, timeoutMs: number, what: string) =>
        waitFor(
          () => alice.ws.received('rtc_reconnect').length > before && bob.ws.received('rtc_reconnect').length > before,
          timeoutMs,
          what,
        );

      it('brings the call back on a live worker when its media worker is killed, nobody leaving', async () => {
        await waitFor(async () => (await answeringWorkers(node)).join() === '0,1', 30_000, 'both workers answering');
        // A worker an earlier test killed may still be exiting on a loaded machine.
        await waitFor(() => workerPids(node).length === 2, 10_000, 'two worker processes');
        const before = workerPids(node);
        expect(before).toHaveLength(2);
        const restartsBefore = alice.restarts.length;
        // Kill both in turn until the call's worker is hit: the users get rtc_reconnect only from theirs.
        const killedAt = Date.now();
        for (const pid of before) {
          process.kill(pid, 'SIGKILL');
          await new Promise((r) => setTimeout(r, 300));
          if (alice.ws.received('rtc_reconnect').length > restartsBefore) break;
        }
        await bothToldToRenegotiate(restartsBefore, 10_000, 'both told to renegotiate');
        const reconnect = alice.ws.received('rtc_reconnect').at(-1)!;
        expect(reconnect.data).toEqual(
          expect.objectContaining({
            channelID,
            session_id: alice.sessionID,
            reason: expect.stringMatching(/media worker/),
          }),
        );
        await hearEachOtherSince(alice, bob, killedAt, 20_000);
        expect(leftEvents(alice)).toEqual([]);
        expect(alive(node)).toBe(true);
        // The dead worker was started again: two workers, new pids.
        await waitFor(() => workerPids(node).length === 2, 20_000, 'workers restarted');
        expect(alice.errors).toEqual([]);
        expect(bob.errors).toEqual([]);
      });

      it('kills and replaces a media worker that stops answering, and its call comes back', async () => {
        // Both workers up and answering (one was restarted by the previous test).
        await waitFor(async () => (await answeringWorkers(node)).join() === '0,1', 30_000, 'both workers answering');
        const before = workerPids(node);
        const reconnectsBefore = alice.ws.received('rtc_reconnect').length;
        const stoppedAt = Date.now();
        // SIGSTOP: the process is there but answers nothing; the watchdog (3 s here) must notice.
        for (const pid of before) {
          stopped.push(pid);
          process.kill(pid, 'SIGSTOP');
        }
        await bothToldToRenegotiate(reconnectsBefore, 20_000, 'both told to renegotiate after the watchdog');
        await hearEachOtherSince(alice, bob, stoppedAt, 30_000);
        expect(leftEvents(alice)).toEqual([]);
        await waitFor(
          () => workerPids(node).filter((p) => !before.includes(p)).length === 2,
          20_000,
          'both stopped workers replaced',
        );
        expect(alive(node)).toBe(true);
        expect((await fetch(`${node.url}/plugins/com.mattermost.calls/version`)).status).toBe(200);
      });
    }
  });
}
