// The cluster's media relay over an in-memory bus: typed requests and events between two nodes, and
// another node's malformed messages refused (an error reply, or dropped) before any handler runs, and a seeded fuzz
// of the session operations' message (FUZZ_SEED replays a failure).
import {AppError} from '../errors';
import {createLogger} from '../log';
import {sessionOpRequest, type SessionOpName} from '../relay/sfu';
import {fuzzSeed, Rng} from '../../../test/fuzz/support/rng';
import {hostileValue, mutateObject} from '../../../test/fuzz/support/values';
import type {BusHandler, BusMessage} from './bus';
import {MediaBus, type ClusterMediaEvent, type MediaBusTransport} from './media-relay';

/** Two nodes on one in-memory bus; `raw` lets a test send what a broken or hostile node would. */
function twoNodes() {
  const handlers: Record<string, Map<string, BusHandler>> = {a: new Map(), b: new Map()};
  const deliver = async (to: string, msg: BusMessage): Promise<unknown> => {
    const h = handlers[to].get(msg.type);
    if (!h) throw new Error(`no handler for ${msg.type}`);
    return h(JSON.parse(JSON.stringify(msg)) as BusMessage);
  };
  const transport = (me: string): MediaBusTransport =>
    ({
      handle: (type, h) => void handlers[me].set(type, h),
      send: (node, type, data) => void deliver(node, {type, from: me, data}).catch(() => undefined),
      broadcast: (type, data) =>
        void Promise.all(
          Object.keys(handlers)
            .filter((n) => n !== me)
            .map((n) => deliver(n, {type, from: me, data})),
        ),
      request: <T>(node: string, type: string, data: unknown) =>
        deliver(node, {type, from: me, data}).then((r) => (r ?? null) as T),
    }) as MediaBusTransport;
  const log = createLogger({level: 'silent'});
  return {
    a: new MediaBus(transport('a'), log),
    b: new MediaBus(transport('b'), log),
    raw: (to: string, msg: BusMessage) => deliver(to, msg),
  };
}

const cfg = {sessionID: 's1', userID: 'u1', callID: 'c1', channelID: 'ch1', av1Support: false, dcSignaling: true};

test('requests, one-way messages and events cross typed, with the sender known', async () => {
  const {a, b} = twoNodes();
  const seen: unknown[] = [];
  b.handle('connect', (req, from) => void seen.push(['connect', req, from]));
  b.handle('adopt', (req, from) => ({exists: req.sessionID === 's1' && from === 'a'}));
  b.handle('rtc', (msg) => void seen.push(['rtc', msg]));
  b.handle('sessionOp', (c) => ({op: c.op, of: c.sessionID}));
  const events: [ClusterMediaEvent, string][] = [];
  a.onEvent((e, from) => events.push([e, from]));
  expect(await a.request('b', 'connect', {cfg, restore: true})).toBeUndefined();
  expect(await a.request('b', 'adopt', {sessionID: 's1'})).toEqual({exists: true});
  a.send('b', 'rtc', {sessionID: 's1', type: 'mute'});
  expect(await a.request('b', 'sessionOp', {sessionID: 's1', op: 'inspect', req: undefined})).toEqual({
    op: 'inspect',
    of: 's1',
  });
  b.emitTo('a', {ev: 'rejected', args: ['s1', new AppError('app.rtc.invalid_ice', 'bad candidate', 400), false]});
  b.broadcast('moved', {callID: 'c1', channelID: 'ch1', from: 'a', to: 'b'});
  await new Promise((r) => setImmediate(r));
  expect(seen).toEqual([
    ['connect', {cfg, restore: true}, 'a'],
    ['rtc', {sessionID: 's1', type: 'mute'}],
  ]);
  expect(events.map(([e, from]) => [e.ev, from])).toEqual([
    ['rejected', 'b'],
    ['moved', 'b'],
  ]);
  const [rejected] = events[0];
  expect(rejected.ev === 'rejected' && rejected.args[1]).toBeInstanceOf(AppError);
});

test("another node's malformed messages never reach a handler: requests are refused, the rest dropped", async () => {
  const {b, raw} = twoNodes();
  const reached: string[] = [];
  b.handle('connect', () => void reached.push('connect'));
  b.handle('rtc', () => void reached.push('rtc'));
  b.handle('sessionOp', () => void reached.push('sessionOp'));
  b.onEvent((e) => reached.push(e.ev));
  await expect(
    raw('b', {type: 'connect', from: 'x', data: {cfg: {...cfg, callID: 7}, restore: true}}),
  ).rejects.toMatchObject({id: 'app.relay.bad_request'});
  await expect(raw('b', {type: 'connect', from: 'x', data: null})).rejects.toMatchObject({id: 'app.relay.bad_request'});
  await expect(raw('b', {type: 'rtc', from: 'x', data: {sessionID: 's1', type: 'format_disk'}})).rejects.toBeInstanceOf(
    AppError,
  );
  await expect(
    raw('b', {type: 'sessionOp', from: 'x', data: {sessionID: 's1', op: 'format_disk', req: null}}),
  ).rejects.toMatchObject({id: 'app.relay.bad_request'});
  await expect(raw('b', {type: 'sessionOp', from: 'x', data: {sessionID: 7, op: 'inspect'}})).rejects.toMatchObject({
    id: 'app.relay.bad_request',
  });
  for (const [type, data] of [
    ['signal', ['s1', {type: 'sdp'}]],
    ['voice', 's1'],
    ['rejected', ['s1', {id: 'x'}, true]],
    ['moved', [{callID: 'c'}]],
    ['detach', [1, 2]],
  ] as const) {
    await raw('b', {type, from: 'x', data});
  }
  expect(reached).toEqual([]);
});

test('a malformed reply from the owner rejects the request', async () => {
  const {a, b} = twoNodes();
  // A node answering with something else than {exists: boolean} (a bug or another version).
  (b as unknown as {handle: (op: string, h: () => unknown) => void}).handle('adopt', () => ({exists: 'yes'}));
  await expect(a.request('b', 'adopt', {sessionID: 's1'})).rejects.toMatchObject({id: 'app.relay.bad_reply'});
});

test('fuzz: hostile sessionOp messages from another node reach the SFU only well-formed, and are answered with an AppError', async () => {
  const seed = fuzzSeed();
  const rng = new Rng(seed).fork('cluster sessionOp');
  const ctx = {ids: ['s1', 'inspect']};
  const {b, raw} = twoNodes();
  const reached: unknown[] = [];
  // The owner's side as the media host runs it: the SFU checks the request against the op's own schema.
  b.handle('sessionOp', (c) => {
    reached.push(c);
    sessionOpRequest(c.op as SessionOpName, c.req);
    return {ok: true};
  });
  const valid = {sessionID: 's1', op: 'inspect', req: null};
  for (let i = 0; i < 300; i++) {
    const data = rng.chance(0.7) ? mutateObject(rng, ctx, valid) : hostileValue(rng, ctx);
    const outcome = await raw('b', {type: 'sessionOp', from: 'x', data}).then(
      (reply) => ({reply}),
      (err: unknown) => ({err}),
    );
    if ('err' in outcome) {
      expect({seed, data, err: outcome.err}).toMatchObject({err: expect.any(AppError)});
      expect((outcome.err as AppError).id).toMatch(/^app\.(relay\.bad_request|rtc\.bad_session_op)$/);
    } else {
      expect(outcome.reply).toEqual({ok: true});
    }
  }
  // Whatever reached the handler had a session id and a known operation.
  for (const c of reached) expect(c).toMatchObject({sessionID: expect.any(String), op: 'inspect'});
});
