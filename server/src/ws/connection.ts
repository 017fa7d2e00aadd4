// One logical Mattermost websocket connection (it outlives its socket for the resume window): per-connection
// sequence numbers, the bounded resume buffer, the calls-action rate bucket and bounded sends.
import type {Duplex} from 'node:stream';
import {WebSocket} from 'ws';
import type {HubConnection} from './hub';
import type {WebSocketEvent} from './types';

/** Events kept per connection so a reconnecting client can resume without losing any (Mattermost's dead queue). */
const RESUME_BUFFER = 128;
/** …and at most this many bytes of them. */
const RESUME_BUFFER_BYTES = 256 * 1024;
/**
 * An event for one user or connection larger than this is not kept for resumption. It is the call_state a joining
 * user gets (≈ 115 bytes a participant): a copy for every connection, so 300 joins kept 4 MB of them and a
 * 1,000-person call would keep ≈ 100 MB. A resume from before such an event is refused, as one from before the
 * buffer: the client starts a new connection, and the webapp asks for call_state whenever it connects again.
 * Events for a channel are one string shared by all its connections and are kept whatever their size.
 */
export const MAX_KEPT_PRIVATE_EVENT_BYTES = 16 * 1024;
/**
 * A socket whose unsent data exceeds this is not reading (or cannot keep up): it is cut, as Mattermost
 * closes a connection whose send queue is full; the client reconnects and resumes from the buffer.
 */
export const MAX_SEND_BUFFER_BYTES = 2 * 1024 * 1024;

/** Calls actions a connection may send (upstream rate.NewLimiter per session). */
export class TokenBucket {
  #tokens: number;
  #last = Date.now();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.#tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * An event serialised once for every connection it goes to: the JSON up to the sequence number, which
 * each connection appends (`head + seq + '}'`). Connections and their resume buffers share the head.
 */
const heads = new WeakMap<WebSocketEvent, string>();
function eventHead(ev: WebSocketEvent): string {
  let head = heads.get(ev);
  if (head === undefined) {
    head = JSON.stringify({event: ev.event, data: ev.data, broadcast: ev.broadcast}).slice(0, -1) + ',"seq":';
    heads.set(ev, head);
  }
  return head;
}

/** The TCP (or TLS) socket under each websocket (see corkForTick). */
const rawSockets = new WeakMap<WebSocket, Duplex>();

/** Called by the upgrade with the socket the websocket runs on. */
export function attachRawSocket(ws: WebSocket, raw: Duplex): void {
  rawSockets.set(ws, raw);
}

const corked = new Set<Duplex>();

function uncorkAll(): void {
  for (const s of corked) s.uncork();
  corked.clear();
}

/**
 * Holds the socket's writes until the current tick's work is done, so a burst of events to one socket (a mass
 * leave's user_left per session) goes out in one write instead of one system call per frame.
 */
function corkForTick(ws: WebSocket): void {
  const raw = rawSockets.get(ws);
  if (!raw || corked.has(raw)) return;
  raw.cork();
  if (corked.size === 0) process.nextTick(uncorkAll);
  corked.add(raw);
}

/** Sends unless the socket is closed or not reading; a socket whose send buffer is full is cut (returns false). */
export function sendBounded(ws: WebSocket, text: string): boolean {
  if (ws.readyState !== WebSocket.OPEN) return true;
  if (ws.bufferedAmount > MAX_SEND_BUFFER_BYTES) {
    ws.terminate();
    return false;
  }
  corkForTick(ws);
  ws.send(text);
  return true;
}

/** One logical Mattermost websocket connection; outlives its socket for the resume window. */
export class Connection implements HubConnection {
  socket: WebSocket | null = null;
  /** Next server sequence number. */
  seq = 0;
  /**
   * The last events sent, for resumption: their shared heads (see eventHead), oldest first; the oldest has sequence
   * number `#firstSent` and each next one the number after (a connection numbers every event it sends). Heads, not
   * an object per event: a connection keeps up to 128 of them for as long as it lives.
   */
  readonly #sent: string[] = [];
  #firstSent = 0;
  #sentBytes = 0;
  closedAt = 0;
  readonly bucket: TokenBucket;
  dropped = 0;
  /** Calls actions of this connection, run in order, and how many are waiting. */
  queue: Promise<void> = Promise.resolve();
  queued = 0;

  constructor(
    readonly id: string,
    readonly userID: string,
    public token: string,
    rate: {perSecond: number; burst: number},
    private readonly onOut?: (type: string) => void,
    private readonly onSlow?: (conn: Connection) => void,
  ) {
    this.bucket = new TokenBucket(rate.perSecond, rate.burst);
  }

  send(event: WebSocketEvent): void {
    const head = eventHead(event);
    if (head.length > MAX_KEPT_PRIVATE_EVENT_BYTES && (event.broadcast.user_id || event.broadcast.connection_id)) {
      // The buffer starts after it: whoever missed it cannot resume anyway (the next event sets #firstSent).
      this.#sent.length = 0;
      this.#sentBytes = 0;
    } else {
      if (this.#sent.length === 0) this.#firstSent = this.seq;
      this.#sent.push(head);
      this.#sentBytes += head.length;
    }
    while (this.#sent.length > RESUME_BUFFER || (this.#sentBytes > RESUME_BUFFER_BYTES && this.#sent.length > 1)) {
      this.#sentBytes -= this.#sent.shift()!.length;
      this.#firstSent++;
    }
    const text = head + this.seq + '}';
    this.seq++;
    this.onOut?.(event.event);
    this.#write(text);
  }

  reply(seqReply: number, status: 'OK' | 'FAIL', extra: Record<string, unknown> = {}): void {
    this.#write(JSON.stringify({status, seq_reply: seqReply, ...extra}));
  }

  #write(text: string): void {
    const s = this.socket;
    if (s && !sendBounded(s, text)) this.onSlow?.(this);
  }

  /** Whether events from `from` onward are all still buffered. */
  canResumeFrom(from: number): boolean {
    if (from > this.seq || from < 0) return false;
    if (from === this.seq) return true;
    return this.#sent.length > 0 && this.#firstSent <= from;
  }

  /** The buffered events from `from` on, as sent. */
  *resumeFrom(from: number): Generator<string> {
    for (let i = Math.max(0, from - this.#firstSent); i < this.#sent.length; i++) {
      yield this.#sent[i] + (this.#firstSent + i) + '}';
    }
  }
}

export function sendRaw(ws: WebSocket, msg: Record<string, unknown>): void {
  sendBounded(ws, JSON.stringify(msg));
}
