// The relay codec end to end in memory: every operation and event of the media-worker relay survives a
// JSON round trip with its types, errors keep their stable id, and hostile or broken frames are refused
// without reaching a handler or throwing.
import {AppError} from '../errors';
import type {RtcInbound, SessionConfig} from '../rtc/types';
import {workerRelay, type WorkerStatsReply} from '../rtc/workers/workerProtocol';
import {RelayClient} from './client';
import type {RelayFrame} from './codec';
import {RelayDispatcher} from './dispatcher';
import type {Handlers, RelayEvent} from './protocol';

type Ops = typeof workerRelay.ops;
type Events = typeof workerRelay.events;

const cfg: SessionConfig = {
  sessionID: 's1',
  userID: 'u1',
  callID: 'c1',
  channelID: 'ch1',
  av1Support: true,
  dcSignaling: false,
};
const stats: WorkerStatsReply = {
  cpuSeconds: 1.5,
  rssBytes: 1e6,
  sessions: 2,
  calls: 1,
  droppedDatagrams: 0,
  muxEndpoints: 3,
  packetsIn: 10,
  packetsOut: 20,
  bytesIn: 100,
  bytesOut: 200,
  relayedDatagrams: 30,
  directDatagrams: 40,
  directSockets: 2,
};
const wire = (f: unknown) => JSON.parse(JSON.stringify(f)) as unknown;

function pair(handlers: Partial<Handlers<Ops>> = {}, timeoutMs = 1000) {
  const seen: {op: string; req: unknown}[] = [];
  const events: RelayEvent<Events>[] = [];
  const invalid: AppError[] = [];
  const replies: RelayFrame[] = [];
  const rec = (op: string) => (req: unknown) => void seen.push({op, req});
  const all: Handlers<Ops> = {
    initSession: rec('initSession'),
    send: rec('send'),
    closeSession: rec('closeSession'),
    ping: rec('ping'),
    close: rec('close'),
    sessionOp: (call) => (
      seen.push({op: 'sessionOp', req: call}),
      call.sessionID === 's1' ? {signalingState: 'stable'} : undefined
    ),
    stats: () => (seen.push({op: 'stats', req: undefined}), stats),
    ...handlers,
  };
  const client = new RelayClient({
    protocol: workerRelay,
    timeoutMs,
    post: (f) => void server.receive(wire(f)),
    onEvent: (e) => events.push(e),
    onInvalid: (e) => invalid.push(e),
  });
  const server: RelayDispatcher<Ops, Events> = new RelayDispatcher({
    protocol: workerRelay,
    handlers: all,
    internalErrorID: 'app.test.internal',
    post: (f) => {
      replies.push(f);
      client.receive(wire(f));
    },
    onInvalid: (e) => invalid.push(e),
  });
  return {client, server, seen, events, invalid, replies};
}

test('every operation arrives as sent and its reply comes back typed', async () => {
  const {client, seen} = pair();
  const inbound: RtcInbound[] = [
    {sessionID: 's1', type: 'sdp', data: {type: 'offer', sdp: 'v=0'}},
    {
      sessionID: 's1',
      type: 'ice',
      data: {candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0},
    },
    {sessionID: 's1', type: 'mute'},
    {sessionID: 's1', type: 'screen_on', data: {screenStreamID: 'st'}},
  ];
  expect(await client.call('initSession', cfg)).toBeUndefined();
  for (const m of inbound) client.notify('send', m);
  expect(await client.call('sessionOp', {sessionID: 's1', op: 'inspect', req: undefined})).toEqual({
    signalingState: 'stable',
  });
  expect(await client.call('sessionOp', {sessionID: 'nobody', op: 'inspect', req: undefined})).toBeUndefined();
  expect(await client.call('stats', undefined)).toEqual(stats);
  expect(await client.call('ping', undefined)).toBeUndefined();
  expect(await client.call('closeSession', 's1')).toBeUndefined();
  expect(await client.call('close', undefined)).toBeUndefined();
  expect(seen).toEqual([
    {op: 'initSession', req: cfg},
    ...inbound.map((req) => ({op: 'send', req})),
    {op: 'sessionOp', req: {sessionID: 's1', op: 'inspect', req: undefined}},
    {op: 'sessionOp', req: {sessionID: 'nobody', op: 'inspect', req: undefined}},
    {op: 'stats', req: undefined},
    {op: 'ping', req: undefined},
    {op: 'closeSession', req: 's1'},
    {op: 'close', req: undefined},
  ]);
  // Every operation of the map was exercised.
  expect(new Set(seen.map((s) => s.op))).toEqual(new Set(Object.keys(workerRelay.ops)));
});

test('every event arrives typed; a rejected event carries an AppError with its stable id', () => {
  const {server, events, invalid} = pair();
  server.emit('signal', 's1', {type: 'sdp', data: {type: 'answer', sdp: 'v=0'}});
  server.emit('signal', 's1', {type: 'ice', data: {candidate: 'candidate:1', sdpMid: null, sdpMLineIndex: 0}});
  server.emit('voice', 's1', true);
  server.emit('rejected', 's1', new AppError('app.rtc.invalid_sdp', 'bad sdp', 400, {secret: 'x'}), true);
  server.emit('restart', 's1', 'worker lost');
  server.emit('close', 's1', 'bye');
  expect(invalid).toEqual([]);
  expect(events.map((e) => e.ev)).toEqual(['signal', 'signal', 'voice', 'rejected', 'restart', 'close']);
  expect(new Set(events.map((e) => e.ev))).toEqual(new Set(Object.keys(workerRelay.events)));
  const rejected = events[3];
  if (rejected.ev !== 'rejected') throw new Error('order');
  const [sid, err, fatal] = rejected.args;
  expect([sid, err instanceof AppError, err.id, err.message, err.status, fatal]).toEqual([
    's1',
    true,
    'app.rtc.invalid_sdp',
    'bad sdp',
    400,
    true,
  ]);
  // Details are for the sender's logs only.
  expect(err.details).toBeUndefined();
});

test('a long reason or error message arrives shortened, never refused: a lost close would leave a ghost session', () => {
  const {server, events, invalid} = pair();
  const long = `unsupported media section "${'x'.repeat(5000)}"`;
  server.emit('rejected', 's1', new AppError('app.rtc.invalid_sdp', long, 400), true);
  server.emit('close', 's1', long);
  expect(invalid).toEqual([]);
  expect(events.map((e) => e.ev)).toEqual(['rejected', 'close']);
  const [rejected, close] = events;
  if (rejected.ev !== 'rejected' || close.ev !== 'close') throw new Error('order');
  expect(rejected.args[1].message).toHaveLength(2000);
  expect(close.args[1]).toHaveLength(1000);
  expect(close.args[1].startsWith('unsupported media section "xxx')).toBe(true);
  expect(close.args[1].endsWith('…')).toBe(true);
});

test('a failed operation rejects with the AppError id; anything else becomes the generic id, message only', async () => {
  const {client, replies} = pair({
    initSession: () => {
      throw new AppError('app.rtc.session_exists', 'session is already connected', 400);
    },
    closeSession: async () => {
      throw new TypeError('boom');
    },
  });
  await expect(client.call('initSession', cfg)).rejects.toMatchObject({id: 'app.rtc.session_exists', status: 400});
  const err = (await client.call('closeSession', 's1').catch((e: unknown) => e)) as AppError;
  expect(err).toBeInstanceOf(AppError);
  expect([err.id, err.message, err.status]).toEqual(['app.test.internal', 'boom', 500]);
  // Only the id, message and status cross: no stack, no details.
  expect(replies.map((r) => (r.k === 'reply' && !r.ok ? Object.keys(r.err).sort() : []))).toEqual([
    ['id', 'message', 'status'],
    ['id', 'message', 'status'],
  ]);
});

test('malformed frames never reach a handler nor throw; calls among them are answered with a refusal', async () => {
  const {server, seen, invalid, replies} = pair();
  const hostile: unknown[] = [
    null,
    42,
    'call',
    [],
    {},
    {k: 'call'},
    {k: 'call', id: -1, op: 'ping'},
    {k: 'call', id: 1.5, op: 'ping'},
    {k: 'call', id: 1, op: 'nope'},
    {k: 'call', id: 2, op: '__proto__'},
    {k: 'call', id: 3, op: 'constructor'},
    {k: 'note', op: 'toString'},
    {k: 'call', id: 4, op: 'initSession', req: {...cfg, sessionID: 5}},
    {k: 'call', id: 5, op: 'initSession', req: {...cfg, av1Support: 'yes'}},
    {k: 'call', id: 6, op: 'closeSession', req: 'x'.repeat(10_000)},
    {k: 'note', op: 'send', req: {sessionID: 's1', type: 'rm -rf'}},
    {k: 'note', op: 'send', req: {type: 'mute'}},
    {k: 'call', id: 7, op: 'stats', req: {extra: 1}},
    {k: 'event', ev: 'voice', args: ['s1', true]}, // events go the other way
  ];
  for (const f of hostile) await expect(server.receive(f)).resolves.toBeUndefined();
  expect(seen).toEqual([]);
  expect(invalid).toHaveLength(hostile.length);
  const refusals = replies.map((r) => (r.k === 'reply' && !r.ok ? [r.id, r.err.id] : r));
  expect(refusals).toEqual([
    [1, 'app.relay.unknown_op'],
    [2, 'app.relay.unknown_op'],
    [3, 'app.relay.unknown_op'],
    [4, 'app.relay.bad_request'],
    [5, 'app.relay.bad_request'],
    [6, 'app.relay.bad_request'],
    [7, 'app.relay.bad_request'],
  ]);
});

test('malformed events and replies are refused on the calling side', async () => {
  let posted: RelayFrame | undefined;
  const events: unknown[] = [];
  const invalid: string[] = [];
  const client = new RelayClient({
    protocol: workerRelay,
    timeoutMs: 1000,
    post: (f) => (posted = f),
    onEvent: (e) => events.push(e),
    onInvalid: (e) => invalid.push(e.id),
  });
  for (const f of [
    {k: 'event', ev: 'signal', args: ['s1', {type: 'sdp', data: {sdp: 1}}]},
    {k: 'event', ev: 'rejected', args: ['s1', {id: 'x', message: 'm'}, true]},
    {k: 'event', ev: 'nope', args: []},
    {k: 'event', ev: 'hasOwnProperty', args: []},
    {k: 'reply', id: 99, ok: false, err: {id: 'x'}},
    {k: 'call', id: 1, op: 'ping'},
  ])
    client.receive(f);
  expect(events).toEqual([]);
  expect(invalid).toEqual([
    'app.relay.bad_event',
    'app.relay.bad_event',
    'app.relay.bad_event',
    'app.relay.bad_event',
    'app.relay.bad_frame',
    'app.relay.bad_frame',
  ]);
  const stats$ = client.call('stats', undefined);
  const id = posted?.k === 'call' ? posted.id : -1;
  client.receive({k: 'reply', id, ok: true, rep: {cpuSeconds: 'lots'}});
  await expect(stats$).rejects.toMatchObject({id: 'app.relay.bad_reply'});
});

test("a call without a reply times out with the transport's error; a late reply is ignored; failAll ends the rest", async () => {
  const posted: RelayFrame[] = [];
  const client = new RelayClient({
    protocol: workerRelay,
    timeoutMs: 1000,
    post: (f) => posted.push(f),
    onEvent: () => undefined,
    timeoutError: (op) => new AppError('app.rtc.worker_timeout', `no answer to ${op}`, 503),
  });
  const ping = client.call('ping', undefined, 20);
  await expect(ping).rejects.toMatchObject({id: 'app.rtc.worker_timeout', message: 'no answer to ping'});
  expect(client.pending).toBe(0);
  const late = posted[0];
  client.receive({k: 'reply', id: late.k === 'call' ? late.id : 0, ok: true});
  const stats$ = client.call('stats', undefined);
  client.failAll(new AppError('app.rtc.worker_exited', 'media worker exited', 503));
  await expect(stats$).rejects.toMatchObject({id: 'app.rtc.worker_exited'});
  expect(client.pending).toBe(0);
});
