// The hostile user of the abuse scenario, in its own process so its load does not skew the probe's
// timings: idle sockets (some never authenticating, some never reading), a flood of hostile frames,
// a join/leave storm over many sockets and many sessions in one call, all as one user from one address.
// It counts how the server answered (close codes, error event ids) and reports over IPC.
import {deflateSync} from 'node:zlib';
import type {IncomingMessage} from 'node:http';
import {encode as msgpackEncode} from '@msgpack/msgpack';
import WebSocket from 'ws';
import {sleep} from '../support/wait';

const CALLS = 'custom_com.mattermost.calls_';

export interface AbuseSpec {
  url: string;
  /** The hostile user's login token. */
  token: string;
  /** Source address of every socket (a loopback alias, so per-address limits do not hit the probe). */
  localAddress: string;
  stormChannelID: string;
  sessionsChannelID: string;
  seconds: number;
  idleSockets: number;
  hostileFrames: number;
  stormSockets: number;
  stormJoinsPerSecond: number;
  sessions: number;
}

export interface AbuseReport {
  socketsOpened: number;
  /** "code reason" of sockets the server closed, with counts. */
  closes: Record<string, number>;
  /** Ids of calls `error` events received, with counts. */
  errorIds: Record<string, number>;
  framesSent: number;
  joinsSent: number;
  joinsAcked: number;
  sessionsJoined: number;
}

export type ToAbuser = {cmd: 'start'; spec: AbuseSpec} | {cmd: 'stop'};
export type FromAbuser = {ev: 'ready'} | {ev: 'started'} | {ev: 'report'; report: AbuseReport};

const report: AbuseReport = {
  socketsOpened: 0,
  closes: {},
  errorIds: {},
  framesSent: 0,
  joinsSent: 0,
  joinsAcked: 0,
  sessionsJoined: 0,
};
const sockets = new Set<WebSocket>();
let stopping = false;

const count = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

interface Sock {
  ws: WebSocket;
  connID: string;
  hello: Promise<boolean>;
}

/** Opens a socket; `auth` sends the token in the header, `read` false stops reading once open. */
function open(
  spec: AbuseSpec,
  opts: {auth: boolean; read: boolean},
  onEvent?: (s: Sock, event: string, data: Record<string, unknown>) => void,
): Sock {
  const url = spec.url.replace(/^http/, 'ws') + '/api/v4/websocket';
  const ws = new WebSocket(url, {
    localAddress: spec.localAddress,
    headers: opts.auth ? {Authorization: `Bearer ${spec.token}`} : {},
    handshakeTimeout: 30_000,
  });
  sockets.add(ws);
  const s: Sock = {ws, connID: '', hello: Promise.resolve(false)};
  s.hello = new Promise<boolean>((resolve) => {
    ws.on('upgrade', (res: IncomingMessage) => {
      report.socketsOpened++;
      if (!opts.read) res.socket.pause();
    });
    ws.on('message', (raw) => {
      let msg: {event?: string; data?: Record<string, unknown>};
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return;
      }
      if (msg.event === 'hello') {
        s.connID = String(msg.data?.connection_id ?? '');
        resolve(true);
      }
      if (msg.event === CALLS + 'error') count(report.errorIds, String(msg.data?.id ?? '?'));
      if (msg.event) onEvent?.(s, msg.event.replace(CALLS, ''), msg.data ?? {});
    });
    ws.on('close', (code, reason) => {
      sockets.delete(ws);
      if (!stopping) count(report.closes, `${code} ${reason.toString().slice(0, 80)}`.trim());
      resolve(false);
    });
    ws.on('error', () => undefined);
    if (!opts.auth) ws.on('open', () => resolve(false));
  });
  return s;
}

function send(ws: WebSocket, frame: string | Buffer): Promise<void> {
  if (ws.readyState !== WebSocket.OPEN) return Promise.resolve();
  report.framesSent++;
  return new Promise((resolve) => ws.send(frame, () => resolve()));
}

const action = (name: string, data: unknown, seq = 1) => JSON.stringify({action: CALLS + name, seq, data});

/** A zlib bomb: 8 MiB of zeros in about 8 KiB. */
const BOMB = deflateSync(Buffer.alloc(8 << 20));

/** The hostile frames, cycled: each kind the fuzz suite also sends, sized to the frame limit or over it. */
function hostileFrame(i: number, channelID: string): string | Buffer {
  switch (i % 10) {
    case 0:
      return '{not json';
    case 1:
      return action('join', {channelID: 'x'.repeat(60_000)});
    case 2:
      return JSON.stringify({action: 'no_such_action_' + i, seq: i, data: {}});
    case 3:
      return Buffer.from([0xc1, 0xff, 0x00, i & 0xff]);
    case 4:
      return Buffer.from(msgpackEncode({action: CALLS + 'sdp', seq: i, data: {data: BOMB}}));
    case 5:
      return '['.repeat(30_000) + ']'.repeat(30_000);
    case 6:
      return action('react', {data: JSON.stringify({name: 'y'.repeat(15_000)})});
    case 7:
      return action('call_state', {channelID});
    case 8:
      return action('raise_hand', {data: 'z'.repeat(50_000)}, i);
    default:
      return JSON.stringify({action: 'ping', seq: i, data: {pad: 'p'.repeat(i % 40_000)}});
  }
}

async function idle(spec: AbuseSpec): Promise<void> {
  // Half authenticate, half never do; a quarter of all never read what the server sends.
  for (let i = 0; i < spec.idleSockets && !stopping; i++) {
    open(spec, {auth: i % 2 === 0, read: i % 4 >= 2});
    if (i % 50 === 49) await sleep(50);
  }
}

/** The frames go over 50 sockets of their own, or over the storm's when the server refused those. */
async function hostile(spec: AbuseSpec, stormSocks: Sock[]): Promise<void> {
  const own = Array.from({length: 50}, () => open(spec, {auth: true, read: true}));
  const admitted = (await Promise.all(own.map(async (s) => ((await s.hello) ? s : null)))).filter(
    (s): s is Sock => s !== null,
  );
  const socks = admitted.length ? admitted : stormSocks;
  const perSocket = Math.ceil(spec.hostileFrames / Math.max(1, socks.length));
  await Promise.all(
    socks.map(async (s, k) => {
      for (let i = 0; i < perSocket && !stopping; i++)
        await send(s.ws, hostileFrame(k * perSocket + i, spec.stormChannelID));
    }),
  );
}

async function stormSockets(spec: AbuseSpec): Promise<Sock[]> {
  const socks = Array.from({length: spec.stormSockets}, () =>
    open(spec, {auth: true, read: true}, (s, event, data) => {
      if (event === 'join' && data.connID === s.connID) report.joinsAcked++;
    }),
  );
  return (await Promise.all(socks.map(async (s) => ((await s.hello) ? s : null)))).filter((s): s is Sock => s !== null);
}

async function storm(spec: AbuseSpec, socks: Sock[], until: number): Promise<void> {
  const period = (1000 * spec.stormSockets) / spec.stormJoinsPerSecond;
  await Promise.all(
    socks.map(async (s, k) => {
      await sleep((period * k) / spec.stormSockets);
      while (Date.now() < until && !stopping && s.ws.readyState === WebSocket.OPEN) {
        report.joinsSent++;
        void send(s.ws, action('join', {channelID: spec.stormChannelID}));
        await sleep(period / 2);
        void send(s.ws, action('leave', {}));
        await sleep(period / 2);
      }
    }),
  );
}

async function sessions(spec: AbuseSpec): Promise<void> {
  const socks: Sock[] = [];
  for (let i = 0; i < spec.sessions && !stopping; i++) {
    socks.push(
      open(spec, {auth: true, read: true}, (s, event, data) => {
        if (event === 'join' && data.connID === s.connID) report.sessionsJoined++;
      }),
    );
  }
  await Promise.all(
    socks.map(async (s) => {
      if (await s.hello) await send(s.ws, action('join', {channelID: spec.sessionsChannelID}));
    }),
  );
}

async function run(spec: AbuseSpec): Promise<void> {
  const until = Date.now() + spec.seconds * 1000;
  // The storm's sockets first, so that under a per-user connection cap they are the ones let in.
  const stormSocks = await stormSockets(spec);
  await Promise.all([storm(spec, stormSocks, until), hostile(spec, stormSocks), sessions(spec).then(() => idle(spec))]);
  while (Date.now() < until && !stopping) await sleep(200);
}

async function stop(): Promise<void> {
  stopping = true;
  for (const ws of sockets) ws.terminate();
  await sleep(200);
}

process.on('message', (m: ToAbuser) => {
  if (m.cmd === 'start') {
    process.send?.({ev: 'started'} satisfies FromAbuser);
    void run(m.spec).then(() => process.send?.({ev: 'report', report} satisfies FromAbuser));
  } else if (m.cmd === 'stop') {
    void stop().then(() => process.exit(0));
  }
});
process.send?.({ev: 'ready'} satisfies FromAbuser);
