// Single-handler mode: only the node started with MM_CALLS_IS_HANDLER=true runs an SFU; the others
// relay. A second handler refuses to start, and so does a handler on SQLite. Without a live handler,
// a join fails at once with words for users, the call's clients are told the media is away
// (rtc_unavailable) and keep their places for the whole outage (a minute here), even when their
// websocket moves; a handler that comes back picks the call up again. A call that waits longer than
// MM_CALLS_HANDLER_WAIT_SECONDS is ended.
import {useCluster} from './support/cluster';
import {type CallUser, hearEachOtherSince, joinTalking} from './support/user';
import {expectRefusal} from './support/node';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(180_000);

const OUTAGE_MS = 60_000;
const UNAVAILABLE = 'join failed: Calls are temporarily unavailable. Please try again in a few minutes.';

test('a handler on the embedded SQLite store refuses to start, naming the fix', async () => {
  const r = await expectRefusal({name: 'sqlite', env: {MM_CALLS_IS_HANDLER: 'true'}});
  expect(r.output).toContain('Calls cannot start: MM_CALLS_IS_HANDLER=true needs PostgreSQL');
  expect(r.output).toContain('MM_CALLS_DATABASE_URL');
});

describe('single handler: node h runs the SFU, nodes 1 and 2 relay', () => {
  const cluster = useCluster(['h', 'n1', 'n2'], {
    env: (name): Record<string, string> => (name === 'h' ? {MM_CALLS_IS_HANDLER: 'true'} : {}),
  });

  it('runs a call started on node 1 on the handler, keeps it through a minute without a handler, and resumes it on the next', async () => {
    const c = cluster();
    const [h, n1, n2] = c.nodes;
    expect(h.udpPort).not.toBeNull();
    // Nodes 1 and 2 never bound RTC ports.
    expect(n1.udpPort).toBeNull();
    expect(n2.udpPort).toBeNull();
    expect(n1.output()).toContain('media: none on this node (single handler: calls run on the handler node)');

    const ch = await c.world.newChannel(['alice', 'bob', 'carol']);
    const a = c.user('alice', n1);
    const b = c.user('bob', n2);
    await joinTalking(ch, a, b);
    expect(await c.callNode(ch)).toBe(h.nodeID);
    for (const cand of [...a.peer!.serverCandidates, ...b.peer!.serverCandidates]) {
      expect(cand).toMatch(new RegExp(` 127\\.0\\.0\\.1 (${h.udpPort}|${h.tcpPort}) typ host`));
    }

    // A second handler refuses to start while the first runs.
    const second = await expectRefusal({name: 'h2', databaseURL: c.db.url, env: {MM_CALLS_IS_HANDLER: 'true'}});
    expect(second.output).toContain(`Calls cannot start: another node (${h.nodeID}) is already the calls handler`);

    // The handler dies. Alice and Bob are told that the call's media is away, and keep their places.
    const killedAt = Date.now();
    await h.kill9();
    const callID = (await c.activeCalls(ch))[0].id;
    const toldAway = async (u: CallUser, since = 0) => {
      const e = await u.ws.waitFor('rtc_unavailable', (x) => x.data.session_id === u.sessionID, 20_000, since);
      expect(e.data).toEqual({
        channelID: ch,
        call_id: callID,
        session_id: u.sessionID,
        reason: 'no calls handler node is running',
      });
    };
    await toldAway(a);
    await toldAway(b);

    // A join fails at once, in words for users; the operator finds what to do in the log, once.
    const carol = c.user('carol', n1);
    await carol.connect();
    const joinStarted = Date.now();
    const refused = await carol.ws.join(ch).then(
      () => '',
      (err: Error) => err.message,
    );
    expect(refused).toBe(UNAVAILABLE);
    expect(Date.now() - joinStarted).toBeLessThan(15_000);
    const logged = () =>
      n1
        .output()
        .split('\n')
        .filter((l) => l.includes(carol.ws.connID));
    await waitFor(
      () => logged().some((l) => l.includes('start a node with MM_CALLS_IS_HANDLER=true')),
      5000,
      'the refusal in the log',
    );
    await sleep(500);
    expect(logged().filter((l) => l.includes('MM_CALLS_IS_HANDLER'))).toHaveLength(1);
    expect(logged().filter((l) => l.includes('"level":50'))).toHaveLength(1);

    // Alice's websocket drops and comes back through node 2: adopted there without media, told again.
    const sinceDrop = a.ws.events.length;
    a.ws.dropSocket();
    await a.ws.waitFor('hello', undefined, 15_000, sinceDrop);
    expect(a.ws.baseURL).toBe(n2.url);
    await toldAway(a, sinceDrop);

    // A minute without a handler: the call and both sessions are still there, nobody left.
    await sleep(killedAt + OUTAGE_MS - Date.now());
    expect((await c.activeCalls(ch)).map((x) => x.id)).toEqual([callID]);
    expect((await c.sessions(callID)).map((s) => s.id).sort()).toEqual([a.sessionID, b.sessionID].sort());
    // (Carol's refused join left a user_left of her own session; Alice and Bob never left.)
    const left = () =>
      [a, b]
        .flatMap((u) => u.ws.received('user_left'))
        .filter((e) => e.data.session_id === a.sessionID || e.data.session_id === b.sessionID);
    expect(left()).toEqual([]);

    // A new handler starts: it takes the call over and Alice and Bob hear each other again.
    const back = Date.now();
    const h2 = await c.addNode('h2', {MM_CALLS_IS_HANDLER: 'true'});
    await hearEachOtherSince(a, b, back, 30_000, 'audio through the new handler');
    expect(await c.callNode(ch)).toBe(h2.nodeID);
    expect(a.restarts).toHaveLength(1);
    expect(b.restarts).toHaveLength(1);
    expect(left()).toEqual([]);
    process.stdout.write(
      `audio back ${Date.now() - back} ms after the new handler started; outage ${back - killedAt} ms\n`,
    );

    // The handler stops gracefully: nobody may take its calls, so they end; a new join is refused.
    expect(await h2.stop()).toBe(0);
    await a.ws.waitFor('call_end', (e) => e.data.channelID === ch, 10_000);
    await b.ws.waitFor('call_end', (e) => e.data.channelID === ch, 10_000);
    expect(await c.activeCalls(ch)).toEqual([]);
    const dave = c.user('alice', n2);
    await dave.connect();
    await expect(dave.ws.join(ch)).rejects.toThrow(UNAVAILABLE);
    expect(await c.activeCalls(ch)).toEqual([]);
  });
});

describe('single handler: a call that waits longer than MM_CALLS_HANDLER_WAIT_SECONDS', () => {
  const cluster = useCluster(['h', 'n1'], {
    env: (name): Record<string, string> =>
      name === 'h' ? {MM_CALLS_IS_HANDLER: 'true'} : {MM_CALLS_HANDLER_WAIT_SECONDS: '3'},
  });

  it('is ended, its post says so, and its clients get call_end', async () => {
    const c = cluster();
    const [h, n1] = c.nodes;
    const ch = await c.world.newChannel(['alice', 'bob']);
    const a = c.user('alice', n1);
    await a.connect();
    await a.joinAndTalk(ch);
    const callID = (await c.activeCalls(ch))[0].id;
    const killedAt = Date.now();
    await h.kill9();
    await a.ws.waitFor('rtc_unavailable', (e) => e.data.session_id === a.sessionID, 20_000);
    await a.ws.waitFor('call_end', (e) => e.data.channelID === ch, 20_000);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(3000);
    expect(await c.activeCalls(ch)).toEqual([]);
    const post = await c.pg.query(
      'SELECT p.message, p.props FROM calls c JOIN standalone_posts p ON p.id = c.postid WHERE c.id = $1',
      [callID],
    );
    const props = typeof post.rows[0].props === 'string' ? JSON.parse(post.rows[0].props) : post.rows[0].props;
    expect(post.rows[0].message).toBe('Call ended');
    expect(props.end_at).toBeGreaterThan(0);
    expect(n1.output()).toContain('call ended: no node could run its media');
  });
});
