// A call participant as the webapp behaves, for cluster tests: a Mattermost websocket that, when its
// node goes away, reconnects to another node (what a load balancer does) and sends `reconnect` with
// the original connection id; and a werift peer (test/rtc/support TestClient) that talks voice and,
// on `rtc_reconnect`, drops its peer connection and negotiates a new one over the same session. It
// counts as heard only the packets a browser's SRTP receiver would accept.
import type {MediaStreamTrack, RTCRtpTransceiver, RtpPacket} from 'werift';
import {CALLS, WsTestClient, type ServerEvent} from '../../support/calls-client';
import {waitFor} from '../../support/wait';
import {type ReceivedTrack, TestClient, type SignalingPort} from '../../rtc/support/client';
import {SrtpReplayCheck} from '../../rtc/support/srtpReplay';
import {speech, startAudio} from '../../rtc/support/harness';

export {CALLS} from '../../support/calls-client';
export type WsEvent = ServerEvent;

/** The calls websocket of one user, with failover to another node when its node disappears. */
export class CallWs extends WsTestClient {
  channelID = '';
  reconnects = 0;
  /** Reconnect attempts, 500 ms apart, before giving up (the webapp keeps trying for 30 s). */
  reconnectAttempts = 20;
  #closed = false;

  /** `fallback` gives the node to reconnect to when the current one is gone. */
  constructor(
    baseURL: string,
    token: string,
    private readonly fallback: () => string,
  ) {
    super(baseURL, token);
    this.waitTimeoutMs = 10_000;
    this.on('close', (ws: unknown, opened: boolean) => {
      // A socket that never opened is a failed attempt: the loop that made it tries again (one loop only).
      if (ws !== this.socket || this.#closed || !opened) return;
      // The webapp retries after 1 s; through a load balancer that reaches a live node.
      setTimeout(() => void this.#failover(), 1000);
    });
  }

  /** Opens a new socket resuming this connection and sends `reconnect` for the call it was in. */
  async resume(): Promise<void> {
    const prev = this.connID;
    await this.connect({connectionID: this.connID, timeoutMs: 5000});
    if (this.channelID)
      this.send('reconnect', {channelID: this.channelID, originalConnID: this.originalConnID, prevConnID: prev});
  }

  async #failover(): Promise<void> {
    for (let attempt = 0; attempt < this.reconnectAttempts && !this.#closed; attempt++) {
      this.baseURL = this.fallback();
      try {
        await this.resume();
        this.reconnects++;
        this.emit('reconnected', this.baseURL);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Joins and resolves on the join ack (rejects with the error event's text). */
  override join(channelID: string, extra: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<void> {
    this.channelID = channelID;
    return super.join(channelID, extra, timeoutMs);
  }

  /** The connection drops (network, or its node): the socket reconnects to the fallback node. */
  dropSocket(): void {
    this.socket?.terminate();
  }

  /** Closes for good: no failover. */
  override close(): Promise<void> {
    this.#closed = true;
    return this.drop();
  }
}

/** One user in a call: websocket + werift peer sending speech-like Opus packets, recording what it hears. */
export class CallUser {
  readonly ws: CallWs;
  peer: TestClient | null = null;
  /** Arrival times (Date.now) of voice packets, per sender session id. */
  readonly heard = new Map<string, number[]>();
  /** Each media (re)start: when it began and when the peer was connected again. */
  readonly restarts: {at: number; connectedAt?: number}[] = [];
  #stopAudio: (() => void) | null = null;
  #mic: {track: MediaStreamTrack; transceiver: RTCRtpTransceiver} | null = null;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  /** Extra SDP lines added to the first offer (to make it large). */
  offerPadding = '';
  errors: string[] = [];

  constructor(
    readonly name: string,
    baseURL: string,
    token: string,
    fallback: () => string,
  ) {
    this.ws = new CallWs(baseURL, token, fallback);
    this.ws.on('event', (e: ServerEvent) => {
      if (e.event === CALLS + 'rtc_reconnect') this.#enqueue(() => this.#restartMedia());
    });
  }

  get sessionID(): string {
    return this.ws.originalConnID;
  }

  async connect(): Promise<void> {
    await this.ws.connect();
  }

  /** Joins the call, connects media, adds the microphone, starts talking and unmutes. */
  async joinAndTalk(channelID: string): Promise<void> {
    await this.ws.join(channelID);
    await this.#enqueue(() => this.#startMedia());
    this.ws.send('unmute');
  }

  #enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(fn);
    this.#chain = run.catch((err) => {
      this.errors.push(String(err));
    });
    return run;
  }

  async #startMedia(): Promise<void> {
    if (this.#closed) return;
    const signaling = this.ws.signaling();
    const padding = this.offerPadding;
    const port: SignalingPort = padding
      ? {
          ...signaling,
          send: (msg) => {
            if (msg.type === 'sdp' && msg.data.type === 'offer' && !msg.data.sdp.includes('a=x-cluster-padding')) {
              // Session-level attribute lines (before the first m=) that no SDP parser needs.
              const i = msg.data.sdp.indexOf('m=');
              signaling.send({
                ...msg,
                data: {...msg.data, sdp: msg.data.sdp.slice(0, i) + padding + msg.data.sdp.slice(i)},
              });
              return;
            }
            signaling.send(msg);
          },
        }
      : signaling;
    const peer = new TestClient({sessionID: this.sessionID, signaling: port});
    this.peer = peer;
    // Heard means what a browser would play: its SRTP receiver drops packets whose index goes back.
    const replay = new SrtpReplayCheck();
    peer.on('rtp', (rec: ReceivedTrack, rtp: RtpPacket) => {
      if (rec.kind !== 'audio' || !peer.isCurrent(rec)) return;
      if (!replay.accept(rtp.header.ssrc, rtp.header.sequenceNumber)) return;
      let list = this.heard.get(rec.streamId);
      if (!list) this.heard.set(rec.streamId, (list = []));
      list.push(Date.now());
    });
    await peer.start();
    await peer.waitConnected(30_000);
    this.#mic = await peer.addTrack('audio', `mic-${this.sessionID}`);
    this.#stopAudio = startAudio(peer, this.#mic.track, this.#mic.transceiver, speech);
  }

  async #restartMedia(): Promise<void> {
    const entry: {at: number; connectedAt?: number} = {at: Date.now()};
    this.restarts.push(entry);
    this.#stopAudio?.();
    this.#stopAudio = null;
    const old = this.peer;
    this.peer = null;
    await old?.close();
    await this.#startMedia();
    entry.connectedAt = Date.now();
  }

  /** Packets heard from a sender after time t. */
  heardSince(sender: string, t: number): number {
    return (this.heard.get(sender) ?? []).filter((x) => x > t).length;
  }

  lastHeard(sender: string, before = Infinity): number {
    const list = (this.heard.get(sender) ?? []).filter((x) => x <= before);
    return list.length ? list[list.length - 1] : 0;
  }

  firstHeardAfter(sender: string, t: number): number {
    return (this.heard.get(sender) ?? []).find((x) => x > t) ?? 0;
  }

  /** The longest silence from a sender over the ~10 s of audio after `from` (the audio gap an event causes). */
  longestGap(sender: string, from: number): number {
    const list = this.heard.get(sender) ?? [];
    const start = list.findIndex((x) => x > from);
    if (start < 0) return Infinity;
    let gap = 0;
    for (let i = Math.max(1, start); i < Math.min(list.length, start + 10 * 50); i++)
      gap = Math.max(gap, list[i] - list[i - 1]);
    return gap;
  }

  async waitHearing(sender: string, packets: number, timeoutMs: number, since = 0): Promise<void> {
    await waitFor(
      () => this.heardSince(sender, since) >= packets,
      timeoutMs,
      `${this.name} hearing ${packets} packets from ${sender}`,
      50,
    );
  }

  /** Hangs up as the webapp does: `leave`, then the peer connection and the websocket close. */
  async leave(): Promise<void> {
    this.ws.send('leave');
    await this.ws.waitFor('user_left', (e) => e.data.session_id === this.sessionID, 10_000);
    await this.close();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopAudio?.();
    void this.ws.close();
    await this.peer?.close().catch(() => undefined);
  }
}

/** Connects the users, joins them to the channel's call in this order (each talking), and waits until each hears the others. */
export async function joinTalking(channelID: string, ...users: CallUser[]): Promise<void> {
  for (const u of users) await u.connect();
  for (const u of users) await u.joinAndTalk(channelID);
  for (const u of users) for (const other of users) if (other !== u) await u.waitHearing(other.sessionID, 25, 30_000);
}

/** Waits until a and b have each heard at least 10 packets of the other after `since`. */
export function hearEachOtherSince(
  a: CallUser,
  b: CallUser,
  since: number,
  timeoutMs: number,
  what = 'audio to resume both ways',
): Promise<void> {
  return waitFor(
    () => a.heardSince(b.sessionID, since) >= 10 && b.heardSince(a.sessionID, since) >= 10,
    timeoutMs,
    what,
    50,
  );
}
