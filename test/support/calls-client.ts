// A test client for the server: REST login and a websocket speaking Mattermost's framing
// (hello, seq, seq_reply, resume) and the calls actions, including SDP as a msgpack binary frame.
import {deflateSync} from 'node:zlib';
import {encode as msgpackEncode} from '@msgpack/msgpack';
import WebSocket from 'ws';

export const CALLS = 'custom_com.mattermost.calls_';

export interface ServerEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: Record<string, unknown>;
  seq: number;
}

export interface Reply {
  status: 'OK' | 'FAIL';
  seq_reply: number;
  data?: Record<string, unknown>;
  error?: {id: string; message: string};
}

export interface LoggedIn {
  token: string;
  user: {id: string; username: string; roles: string};
}

export async function login(baseURL: string, username: string, password = username): Promise<LoggedIn> {
  const res = await fetch(`${baseURL}/api/v4/users/login`, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({login_id: username, password})});
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return {token: res.headers.get('token') ?? '', user: (await res.json()) as LoggedIn['user']};
}

/** fetch with the bearer token; returns status and parsed JSON (or text). */
export async function api(baseURL: string, token: string, method: string, path: string, body?: unknown): Promise<{status: number; body: any}> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${baseURL}${path}`, {
    method,
    headers: {Authorization: `Bearer ${token}`, ...(body !== undefined ? {'Content-Type': 'application/json'} : {})},
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return {status: res.status, body: parsed};
}

export interface ConnectOptions {
  /** Authenticate with authentication_challenge instead of the Authorization header. */
  challenge?: boolean;
  connectionID?: string;
  sequenceNumber?: number;
}

export class WsTestClient {
  readonly events: ServerEvent[] = [];
  readonly replies: Reply[] = [];
  connID = '';
  /** The first connection id of this client = its call session id once joined. */
  originalConnID = '';
  nextSeq = 0;
  #ws: WebSocket | null = null;
  #clientSeq = 1;
  #waiters: {pred: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void}[] = [];
  #closeWaiters: (() => void)[] = [];

  constructor(readonly baseURL: string, readonly token: string) {}

  get wsURL(): string {
    return this.baseURL.replace(/^http/, 'ws') + '/api/v4/websocket';
  }

  get isOpen(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** Opens the socket and resolves on hello. */
  async connect(opts: ConnectOptions = {}): Promise<ServerEvent> {
    const params = new URLSearchParams();
    if (opts.connectionID) {
      params.set('connection_id', opts.connectionID);
      params.set('sequence_number', String(opts.sequenceNumber ?? this.nextSeq));
    }
    const url = this.wsURL + (params.size ? `?${params}` : '');
    const helloSince = this.events.length;
    const ws = new WebSocket(url, opts.challenge ? {} : {headers: {Authorization: `Bearer ${this.token}`}});
    this.#ws = ws;
    ws.on('message', (raw) => this.#onMessage(String(raw)));
    ws.on('close', () => {
      for (const w of this.#closeWaiters.splice(0)) w();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (opts.challenge) this.sendRaw({action: 'authentication_challenge', seq: this.#clientSeq++, data: {token: this.token}});
    const hello = await this.waitFor('hello', undefined, 5000, helloSince);
    this.connID = String(hello.data.connection_id);
    if (!this.originalConnID) this.originalConnID = this.connID;
    return hello;
  }

  #onMessage(text: string): void {
    const msg = JSON.parse(text) as ServerEvent & Reply;
    if (msg.seq_reply !== undefined) {
      this.replies.push(msg);
      return;
    }
    this.events.push(msg);
    this.nextSeq = msg.seq + 1;
    for (const w of [...this.#waiters]) {
      if (w.pred(msg)) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(msg);
      }
    }
  }

  sendRaw(frame: unknown): void {
    this.#ws!.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** Sends a calls action (suffix) as JSON; returns the seq used. */
  send(action: string, data?: Record<string, unknown>): number {
    const seq = this.#clientSeq++;
    this.sendRaw({action: CALLS + action, seq, data: data ?? {}});
    return seq;
  }

  /** Sends a calls action as a msgpack binary frame (how clients send sdp). */
  sendBinary(action: string, data: Record<string, unknown>): void {
    this.#ws!.send(Buffer.from(msgpackEncode({action: CALLS + action, seq: this.#clientSeq++, data})));
  }

  sendSDP(desc: {type: string; sdp: string}): void {
    this.sendBinary('sdp', {data: deflateSync(Buffer.from(JSON.stringify(desc)))});
  }

  async ping(timeoutMs = 2000): Promise<Reply> {
    const seq = this.#clientSeq++;
    this.sendRaw({action: 'ping', seq});
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = this.replies.find((x) => x.seq_reply === seq);
      if (r) return r;
      await new Promise((r2) => setTimeout(r2, 10));
    }
    throw new Error('no ping reply');
  }

  /** Resolves with the first event (after index `since`) named `name` (calls events may be given by suffix). */
  waitFor(name: string, pred?: (e: ServerEvent) => boolean, timeoutMs = 5000, since = 0): Promise<ServerEvent> {
    const match = (e: ServerEvent) => (name === '' || e.event === name || e.event === CALLS + name) && (!pred || pred(e));
    const found = this.events.slice(since).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = {pred: match, resolve: (e: ServerEvent) => {
        clearTimeout(timer);
        resolve(e);
      }};
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${name}; got: ${this.events.map((e) => e.event.replace(CALLS, '')).join(', ')}`));
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Events named `name` (calls suffix or full name) received so far. */
  received(name: string): ServerEvent[] {
    return this.events.filter((e) => e.event === name || e.event === CALLS + name);
  }

  /** Joins a call and waits for the join ack (or throws with the error event's text). */
  async join(channelID: string, extra: Record<string, unknown> = {}): Promise<void> {
    const since = this.events.length;
    this.send('join', {channelID, ...extra});
    const mine = (e: ServerEvent) => e.data.connID === this.connID;
    const ev = await this.waitFor('', (e) => (e.event === CALLS + 'join' || e.event === CALLS + 'error') && mine(e), 5000, since);
    if (ev.event === CALLS + 'error') throw new Error(`join failed: ${String(ev.data.data)}`);
  }

  /** Closes the socket (as a network drop would, without sending leave). */
  async drop(): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((r) => this.#closeWaiters.push(r));
    ws.terminate();
    await closed;
  }

  async close(): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((r) => this.#closeWaiters.push(r));
    ws.close();
    await closed;
  }
}
