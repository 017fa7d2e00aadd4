// Single-handler mode: only the node started with MM_CALLS_IS_HANDLER=true runs an SFU; the others
// relay. A second handler refuses to start, and so does a handler on SQLite. Without a live handler,
// a join fails at once with a clear error; a handler that comes back picks the call up again.
import {useCluster} from './support/cluster';
import {hearEachOtherSince, joinTalking} from './support/user';
import {expectRefusal} from './support/node';
import {waitUntil} from '../support/fixtures';

jest.setTimeout(120_000);

test('a handler on the embedded SQLite store refuses to start, naming the fix', async () => {
  const r = await expectRefusal({name: 'sqlite', env: {MM_CALLS_IS_HANDLER: 'true'}});
  expect(r.output).toContain('Calls cannot start: MM_CALLS_IS_HANDLER=true needs PostgreSQL');
  expect(r.output).toContain('MM_CALLS_DATABASE_URL');
});

describe('single handler: node h runs the SFU, nodes 1 and 2 relay', () => {
  const cluster = useCluster(['h', 'n1', 'n2'], {env: (name): Record<string, string> => (name === 'h' ? {MM_CALLS_IS_HANDLER: 'true'} : {})});

  it('runs a call started on node 1 on the handler, refuses a second handler, and fails joins clearly without one', async () => {
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

    // The handler dies: a join fails at once with the clear error instead of hanging.
    await h.kill9();
    const carol = c.user('carol', n1);
    await carol.connect();
    const joinStarted = Date.now();
    let refused = '';
    await waitUntil(async () => {
      refused = await carol.ws.join(ch).then(() => '', (err: Error) => err.message);
      return refused !== '';
    }, 15_000, 'a refused join');
    expect(refused).toBe('join failed: no calls handler node is running (single-handler mode: start the node with MM_CALLS_IS_HANDLER=true)');
    expect(Date.now() - joinStarted).toBeLessThan(15_000);

    // A new handler starts: it takes the call over and Alice and Bob hear each other again.
    const back = Date.now();
    const h2 = await c.addNode('h2', {MM_CALLS_IS_HANDLER: 'true'});
    await hearEachOtherSince(a, b, back, 30_000, 'audio through the new handler');
    expect(await c.callNode(ch)).toBe(h2.nodeID);
    expect(a.restarts).toHaveLength(1);
    expect(b.restarts).toHaveLength(1);

    // The handler stops gracefully: nobody may take its calls, so they end; a new join is refused.
    expect(await h2.stop()).toBe(0);
    await a.ws.waitFor('call_end', (e) => e.data.channelID === ch, 10_000);
    await b.ws.waitFor('call_end', (e) => e.data.channelID === ch, 10_000);
    expect(await c.activeCalls(ch)).toEqual([]);
    const dave = c.user('alice', n2);
    await dave.connect();
    await expect(dave.ws.join(ch)).rejects.toThrow('join failed: no calls handler node is running');
    expect(await c.activeCalls(ch)).toEqual([]);
  });
});
