// Drives hostile websocket traffic at a node: sockets of users in a call (joined, so every calls action
// reaches its handler; they join again whenever their session ends), and short-lived sockets that abuse
// everything before a call: no login, authentication_challenge, resume with bogus ids, oversized frames,
// invalid UTF-8, frames cut off mid-way and sockets dropped mid-upgrade. Every message the server sends
// back is checked: JSON, no leaked internals.
import net from 'node:net';
import WebSocket from 'ws';
import {type Findings, shorten, Tally} from './findings';
import type {Rng} from './rng';
import {encodeComponent, findLeak, hostileString, randomId} from './values';
import {actionFrame, CALLS, fatalFrame, type FrameContext, junkFrame, type WireFrame} from './wsFrames';
import {sleep, waitFor} from '../../support/wait';

export interface WsFuzzTarget {
  /** http://host:port of the node. */
  baseURL: string;
  offer: string;
  candidates: readonly string[];
  ids: readonly string[];
  channels: readonly string[];
  /** Connection ids of alice, bob and carol: no fuzz socket may ever resume or take them over. */
  foreignConnIDs: readonly string[];
  /** Connection ids of fuzz sockets in a call, as they join (reconnect and resume targets, host-control targets). */
  liveConnIDs: string[];
  tokens: readonly string[];
}

export interface WsFuzzStats {
  frames: Tally;
  inCallFrames: number;
  otherFrames: number;
  sockets: number;
  joins: number;
  /** `id`s of the error events the handlers answered with (proof the frames reached them). */
  errorIds: Tally;
  /** Replies to frames (status) and events received, by name. */
  received: Tally;
  rawConnections: number;
}

export function newStats(): WsFuzzStats {
  return {
    frames: new Tally(),
    inCallFrames: 0,
    otherFrames: 0,
    sockets: 0,
    joins: 0,
    errorIds: new Tally(),
    received: new Tally(),
    rawConnections: 0,
  };
}

/** One fuzzing websocket: checks every message it receives and follows its own call session. */
export class FuzzSocket {
  connID = '';
  joined = false;
  closed = false;
  readonly #ws: WebSocket;
  #lastSent = '';
  #joinWaiter: ((ok: boolean) => void) | null = null;

  constructor(
    url: string,
    headers: Record<string, string>,
    private readonly where: string,
    private readonly findings: Findings,
    private readonly stats: WsFuzzStats,
    private readonly onJoined?: (connID: string) => void,
  ) {
    this.#ws = new WebSocket(url, {headers, handshakeTimeout: 10_000});
    stats.sockets++;
    this.#ws.on('message', (raw, isBinary) => this.#onMessage(raw as Buffer, isBinary));
    this.#ws.on('close', () => {
      this.closed = true;
      this.joined = false;
      this.#joinWaiter?.(false);
    });
    this.#ws.on('unexpected-response', (_req, res) => {
      if ((res.statusCode ?? 0) >= 500) findings.add(where, `upgrade answered ${res.statusCode}`);
      this.#ws.terminate();
    });
    this.#ws.on('error', () => undefined);
  }

  opened(timeoutMs = 10_000): Promise<boolean> {
    if (this.#ws.readyState === WebSocket.OPEN) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.#ws.once('open', () => {
        clearTimeout(t);
        resolve(true);
      });
      this.#ws.once('close', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
  }

  /** Waits for hello (the socket is logged in). */
  async hello(timeoutMs = 10_000): Promise<boolean> {
    await waitFor(() => Boolean(this.connID) || this.closed, timeoutMs, 'hello').catch(() => undefined);
    return Boolean(this.connID);
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  send(frame: WireFrame): void {
    if (!this.open) return;
    this.#lastSent = `${frame.kind}: ${typeof frame.data === 'string' ? frame.data : frame.data.toString('base64')}`;
    this.stats.frames.add(frame.kind.split(':').slice(0, 2).join(':'));
    this.#ws.send(frame.data, {binary: frame.binary});
  }

  /** Joins the channel's call; resolves with whether the join was acknowledged. */
  join(channelID: string, timeoutMs = 8000): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    this.#ws.send(JSON.stringify({action: CALLS + 'join', seq: 1, data: {channelID}}));
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#joinWaiter = null;
        resolve(false);
      }, timeoutMs);
      this.#joinWaiter = (ok) => {
        clearTimeout(t);
        this.#joinWaiter = null;
        resolve(ok);
      };
    });
  }

  /** The underlying TCP socket, to write broken websocket frames by hand. */
  get raw(): net.Socket | undefined {
    return (this.#ws as unknown as {_socket?: net.Socket})._socket;
  }

  terminate(): void {
    this.#ws.terminate();
  }

  #onMessage(raw: Buffer, isBinary: boolean): void {
    const textMsg = raw.toString('utf8');
    const leak = findLeak(textMsg);
    if (leak) this.findings.add(this.where, `websocket message leaks internals: ${leak}`, this.#lastSent);
    if (isBinary) this.findings.add(this.where, 'binary message from the server', shorten(textMsg));
    let msg: {
      event?: string;
      status?: string;
      seq_reply?: number;
      data?: Record<string, unknown>;
      error?: {id?: string};
    };
    try {
      msg = JSON.parse(textMsg);
    } catch {
      this.findings.add(this.where, 'websocket message is not JSON', shorten(textMsg));
      return;
    }
    if (msg.seq_reply !== undefined) {
      this.stats.received.add(`reply:${msg.status}:${msg.error?.id ?? ''}`);
      return;
    }
    const event = String(msg.event ?? '').replace(CALLS, '');
    this.stats.received.add(event);
    const data = msg.data ?? {};
    if (event === 'hello') this.connID = String(data.connection_id ?? '');
    else if (event === 'join' && data.connID === this.connID) {
      this.joined = true;
      this.stats.joins++;
      this.onJoined?.(this.connID);
      this.#joinWaiter?.(true);
    } else if (event === 'error') {
      this.stats.errorIds.add(String(data.id ?? '?'));
      if (data.connID === this.connID && String(data.id ?? '').startsWith('app.calls.') && !this.joined)
        this.#joinWaiter?.(false);
    } else if (event === 'user_left' && data.session_id === this.connID) this.joined = false;
  }
}

function wsURL(baseURL: string, query = ''): string {
  return baseURL.replace(/^http/, 'ws') + '/api/v4/websocket' + query;
}

function frameContext(t: WsFuzzTarget, channelID: string, connID: string): FrameContext {
  return {
    ids: t.ids,
    offer: t.offer,
    candidates: t.candidates,
    channelID,
    channels: t.channels,
    foreignConnIDs: [...t.foreignConnIDs, ...t.liveConnIDs.slice(-20)],
    tokens: t.tokens,
    connID,
  };
}

export interface InCallOptions {
  token: string;
  channelID: string;
  /** Stop once this returns true (the shared in-call quota is reached, or time is up). */
  done(): boolean;
  /** Calls actions per second (the per-connection limit is 10/s with a burst of 100). */
  actionsPerSecond: number;
}

/**
 * A socket whose user is in the call: joins, sends hostile frames (mostly calls actions, which now reach
 * their handlers), and joins again whenever its session ends (a hostile `leave`, a rejected offer).
 */
export async function runInCallSocket(
  rng: Rng,
  t: WsFuzzTarget,
  o: InCallOptions,
  findings: Findings,
  stats: WsFuzzStats,
  where: string,
): Promise<void> {
  let sock: FuzzSocket | null = null;
  let failures = 0;
  try {
    while (!o.done()) {
      if (!sock || sock.closed) {
        sock = new FuzzSocket(wsURL(t.baseURL), {Authorization: `Bearer ${o.token}`}, where, findings, stats, (id) => {
          t.liveConnIDs.push(id);
          if (t.liveConnIDs.length > 200) t.liveConnIDs.splice(0, 100);
        });
        if (!(await sock.hello())) {
          if (++failures > 20) throw new Error(`${where}: the node does not accept this user's websocket any more`);
          await sleep(500);
          continue;
        }
      }
      if (!sock.joined) {
        if (!(await sock.join(o.channelID))) {
          if (++failures > 20) throw new Error(`${where}: could not join the call 20 times in a row`);
          await sleep(300 + rng.int(700));
          continue;
        }
      }
      failures = 0;
      const ctx = frameContext(t, o.channelID, sock.connID);
      // About one second of traffic: calls actions at the allowed rate, junk frames in between.
      const actions = Math.max(1, Math.round(o.actionsPerSecond));
      const started = Date.now();
      for (let i = 0; i < actions && sock.joined && sock.open && !o.done(); i++) {
        sock.send(actionFrame(rng, ctx));
        stats.inCallFrames++;
        if (rng.chance(0.35)) {
          sock.send(junkFrame(rng, ctx));
          stats.inCallFrames++;
        }
        await sleep(rng.int(Math.floor(1000 / actions)));
      }
      const rest = 1000 - (Date.now() - started);
      if (rest > 0) await sleep(rest);
    }
  } finally {
    sock?.terminate();
  }
}

export interface ChurnOptions {
  tokens: readonly string[];
  channelID: string;
  done(): boolean;
}

/** Hostile sockets outside any call, one after another, each trying one kind of abuse. */
export async function runChurnSockets(
  rng: Rng,
  t: WsFuzzTarget,
  o: ChurnOptions,
  findings: Findings,
  stats: WsFuzzStats,
  where: string,
): Promise<void> {
  while (!o.done()) {
    const kind = rng.weighted([
      [4, 'authed'],
      [2, 'unauthenticated'],
      [2, 'challenge'],
      [2, 'resume'],
      [2, 'fatal'],
      [2, 'midFrame'],
      [1, 'rawUpgrade'],
    ] as const);
    const label = `${where}:${kind}`;
    if (kind === 'rawUpgrade') {
      await rawUpgradeAbuse(rng, t.baseURL, findings, label);
      stats.rawConnections++;
      continue;
    }
    const token = rng.pick(o.tokens);
    let query = '';
    let headers: Record<string, string> = {Authorization: `Bearer ${token}`};
    if (kind === 'unauthenticated')
      headers = rng.pick<Record<string, string>>([
        {},
        {Authorization: `Bearer ${randomId(rng)}`},
        {Cookie: `MMAUTHTOKEN=${randomId(rng)}`},
        {Authorization: 'Bearer'},
        {Authorization: `Basic ${'x'.repeat(rng.range(1, 4000))}`},
      ]);
    if (kind === 'challenge') headers = {};
    if (kind === 'resume') {
      const known = rng.chance(0.5) ? t.foreignConnIDs : t.liveConnIDs;
      const connID =
        rng.chance(0.6) && known.length
          ? rng.pick(known)
          : rng.chance(0.5)
            ? randomId(rng)
            : hostileString(rng, {ids: t.ids}, 3000);
      const seqNo = rng.pick(['0', '-1', '1e9', 'NaN', '99999999999999999999', '', 'x', '1.5', String(rng.int(50))]);
      query = `?connection_id=${encodeComponent(connID)}&sequence_number=${encodeComponent(seqNo)}`;
      if (rng.chance(0.2)) query += '&connection_id=' + randomId(rng);
    }
    const sock = new FuzzSocket(wsURL(t.baseURL, query), headers, label, findings, stats);
    if (!(await sock.opened())) continue;
    const ctx = frameContext(t, o.channelID, '');
    if (kind === 'challenge') {
      // Abuse first, then (sometimes) log in properly, then carry on.
      for (let i = rng.range(1, 5); i > 0; i--) sock.send(junkFrame(rng, {...ctx}));
      sock.send({
        kind: 'authChallenge',
        binary: false,
        data: JSON.stringify({
          action: 'authentication_challenge',
          seq: 1,
          data: {token: rng.chance(0.6) ? token : hostileString(rng, ctx)},
        }),
      });
    }
    const authed = kind === 'unauthenticated' ? false : await sock.hello(3000);
    if (kind === 'resume' && sock.connID && t.foreignConnIDs.includes(sock.connID)) {
      findings.add(label, `resumed another user's connection ${sock.connID}`, query);
    }
    const n = rng.range(5, 60);
    for (let i = 0; i < n && sock.open && !o.done(); i++) {
      sock.send(
        rng.chance(0.5)
          ? actionFrame(rng, {...ctx, connID: sock.connID})
          : junkFrame(rng, {...ctx, connID: sock.connID}),
      );
      stats.otherFrames++;
      if (i % 10 === 9) await sleep(5);
    }
    if (kind === 'fatal' && sock.open) {
      sock.send(fatalFrame(rng));
      stats.otherFrames++;
    } else if (kind === 'midFrame' && sock.open) {
      brokenFrame(rng, sock);
      stats.otherFrames++;
    }
    await sleep(authed ? 50 : 10);
    sock.terminate();
  }
}

/** Writes a websocket frame the server cannot accept (cut off, unmasked, reserved opcode, bad control frame), then drops the socket. */
function brokenFrame(rng: Rng, sock: FuzzSocket): void {
  const raw = sock.raw;
  if (!raw) return;
  const mask = rng.bytes(4);
  const kind = rng.weighted([
    [3, 'cut'],
    [1, 'unmasked'],
    [1, 'opcode'],
    [1, 'control'],
    [1, 'fragment'],
    [1, 'rsv'],
  ] as const);
  let bytes: Buffer;
  switch (kind) {
    case 'cut': {
      const len = rng.range(200, 60_000);
      bytes = Buffer.concat([Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]), mask, rng.bytes(rng.int(len))]);
      break;
    }
    case 'unmasked':
      bytes = Buffer.concat([Buffer.from([0x81, 5]), Buffer.from('hello')]);
      break;
    case 'opcode':
      bytes = Buffer.concat([
        Buffer.from([0x80 | rng.pick([3, 4, 5, 6, 7, 11, 12, 15]), 0x80 | 2]),
        mask,
        rng.bytes(2),
      ]);
      break;
    case 'control':
      bytes = Buffer.concat([
        Buffer.from([rng.pick([0x89, 0x8a, 0x88, 0x09]), 0x80 | 126, 0x01, 0x00]),
        mask,
        rng.bytes(256),
      ]);
      break;
    case 'fragment':
      bytes = Buffer.concat([
        Buffer.from([0x01, 0x80 | 3]),
        mask,
        rng.bytes(3),
        Buffer.from([0x81, 0x80 | 3]),
        mask,
        rng.bytes(3),
      ]);
      break;
    case 'rsv':
      bytes = Buffer.concat([Buffer.from([0xf1, 0x80 | 2]), mask, rng.bytes(2)]);
      break;
  }
  raw.write(bytes);
  if (rng.chance(0.5)) raw.destroy();
}

/** A TCP connection that starts a websocket upgrade and breaks it: cut off, bad key/version, garbage, never finished. */
async function rawUpgradeAbuse(rng: Rng, baseURL: string, findings: Findings, where: string): Promise<void> {
  const {hostname, port} = new URL(baseURL);
  const key = rng.chance(0.7)
    ? Buffer.from(rng.bytes(16)).toString('base64')
    : hostileString(rng, {ids: []}, 200).replace(/[\r\n]/g, '');
  const req = [
    'GET /api/v4/websocket HTTP/1.1',
    `Host: ${hostname}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    `Sec-WebSocket-Version: ${rng.pick(['13', '8', '0', '99', ''])}`,
    ...(rng.chance(0.3)
      ? [
          `Sec-WebSocket-Extensions: ${rng.pick(['permessage-deflate; client_max_window_bits=1', 'permessage-deflate; server_max_window_bits=99', 'x'.repeat(3000)])}`,
        ]
      : []),
    '',
    '',
  ].join('\r\n');
  const sock = net.connect(Number(port), hostname);
  sock.on('error', () => undefined);
  sock.on('data', (d) => {
    const head = d.toString('latin1');
    if (/^HTTP\/1\.[01] 5\d\d/.test(head)) findings.add(where, `websocket upgrade answered ${head.slice(0, 12)}`, req);
    const leak = findLeak(head);
    if (leak) findings.add(where, `upgrade answer leaks internals: ${leak}`, req);
  });
  await new Promise<void>((r) => sock.once('connect', () => r()).once('error', () => r()));
  const cut = rng.weighted([
    [2, req.length],
    [2, rng.int(req.length)],
    [1, -1],
  ] as const);
  if (cut === -1) sock.write(rng.bytes(rng.range(1, 5000)));
  else sock.write(req.slice(0, cut));
  if (cut === req.length && rng.chance(0.5)) sock.write(rng.bytes(rng.range(1, 200)));
  await sleep(rng.int(50));
  sock.destroy();
}
