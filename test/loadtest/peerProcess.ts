// A load-test client process: hosts many simulated users, each a calls websocket plus a werift peer
// that behaves like the webapp (calls-dc first, lock before adding tracks). Unmuted users send
// Opus-sized RTP at 50 packets/s with the audio-level extension, screen sharers VP8-sized packets at
// about 1 Mbit/s. Most receivers count SRTP datagrams without decrypting them; the sample decrypts.
// Lean receivers (--lean) hand their datagrams to a LeanReceiver once connected (leanReceiver.ts).
// Driven by the coordinator over IPC (protocol.ts).
import {monitorEventLoopDelay, PerformanceObserver} from 'node:perf_hooks';
import {RtpHeader, type RTCRtpTransceiver} from 'werift';
import {TestClient} from '../rtc/support/client';
import {CountGate, LeanReceiver} from './leanReceiver';
import {icePairCounters} from '../../server/src/rtc/werift/internals';
import {AUDIO_LEVEL_URI, MID_URI, OPUS_PT, VP8_PT} from '../../server/src/rtc/media/codecs';
import {AUDIO_MIN_BYTES, audioPayload, isSentPayload, videoPayload as loadVideoPayload} from './payloads';
import {
  AUDIO_INTERVAL_MS,
  mergeLossCauses,
  VIDEO_FPS,
  VIDEO_PACKETS_PER_FRAME,
  type FromPeers,
  type JoinStages,
  type LossCauses,
  type ToPeers,
  type UserSpec,
  type UserStats,
} from './protocol';
import {CallsSocket} from '../support/calls-socket';

const TICK_MS = 5;
/** After a stall longer than this a sender skips ahead instead of bursting to catch up. */
const MAX_CATCH_UP_MS = 200;

const baseURL = process.env.LT_URL ?? '';
/** Lean receivers decrypt one packet in this many per stream. */
const LEAN_SAMPLE = Number(process.env.LT_LEAN_SAMPLE) || 50;
const send = (m: FromPeers) => process.send?.(m);

/** Opus-framed payloads (100–160 bytes, payloads.ts) and a speech-like audio-level pattern. */
const audioPayloads = Array.from({length: 61}, (_, i) => audioPayload(AUDIO_MIN_BYTES + i));
const speechLevels = [10, 60, 25, 90, 40, 5, 70, 30, 127, 127, 20, 45];
const videoPayload = loadVideoPayload();
/** Open during the measurement window: what lean receivers count. */
const gate = new CountGate(false);

interface Stream {
  transceiver: RTCRtpTransceiver;
  ssrc: number;
  pt: number;
  midExt?: number;
  levelExt?: number;
  seq: number;
  ts: number;
  nextDue: number;
}

class LoadUser {
  readonly spec: UserSpec;
  ws: CallsSocket;
  peer: TestClient | undefined;
  lean: LeanReceiver | undefined;
  audio: Stream | undefined;
  video: Stream | undefined;
  readonly stats: UserStats;
  /** The first sign that this joined user was lost, and when (Date.now()); unset while it is fine. */
  lostBy: {what: string; at: number; ice?: string} | undefined;
  leaving = false;
  readonly #ssrcs = new Set<number>();
  #counter = 0;

  constructor(spec: UserSpec) {
    this.spec = spec;
    this.ws = new CallsSocket(baseURL, spec.token);
    this.stats = {
      index: spec.index,
      call: spec.call,
      full: spec.full,
      joined: false,
      sentAudio: 0,
      sentVideo: 0,
      recvAudio: 0,
      recvVideo: 0,
      streams: 0,
    };
  }

  report(): UserStats {
    const lean = this.lean;
    if (!lean) return {...this.stats, streams: this.#ssrcs.size};
    lean.sync();
    const out = {...this.stats, recvAudio: 0, recvVideo: 0, streams: lean.streams.size};
    const sample = {sampled: 0, verified: 0, failed: 0, unexpected: lean.unexpected};
    for (const s of lean.streams.values()) {
      if (s.kind === 'audio') out.recvAudio += s.packets;
      else out.recvVideo += s.packets;
      sample.sampled += s.sampled;
      sample.verified += s.verified;
      sample.failed += s.failed;
    }
    return {...out, lean: sample};
  }

  #received(ssrc: number, audio: boolean): void {
    const now = Date.now();
    this.stats.firstMediaAt ??= now;
    if (!inWindow(now)) return;
    this.#ssrcs.add(ssrc);
    if (audio) this.stats.recvAudio++;
    else this.stats.recvVideo++;
  }

  /** A failed join is retried once from scratch (new websocket and peer), as the webapp reconnects. */
  async joinWithRetry(): Promise<{joinMs: number; stages: JoinStages; retried: string | undefined}> {
    try {
      return {...(await this.join()), retried: undefined};
    } catch (err) {
      const first = this.#describe(err);
      await this.leave();
      this.stats.firstMediaAt = undefined;
      this.ws = new CallsSocket(baseURL, this.spec.token);
      this.peer = undefined;
      this.lean = undefined;
      try {
        return {...(await this.join()), retried: first};
      } catch (err2) {
        throw new Error(`${first}; retry: ${this.#describe(err2)}`);
      }
    }
  }

  /** Notes the first thing that went wrong after the join (the socket, the peer connection or calls-dc). */
  #watchForLoss(peer: TestClient): void {
    const ws = this.ws;
    const lost = (what: string) => {
      if (this.lostBy) return;
      const c = icePairCounters(peer.pc);
      const ice = c
        ? `our consent checks ${c.consentChecksSent}, answers ${c.answersReceived}, the server's checks ${c.checksReceived}, rtt ${c.rttMs ?? '?'} ms`
        : undefined;
      this.lostBy = {what, at: Date.now(), ice};
    };
    ws.on('close', (_socket: unknown, _opened: boolean, code: number) => {
      if (ws === this.ws && !this.leaving) lost(`websocket closed ${code}`);
    });
    peer.pc.connectionStateChange.subscribe((st) => {
      if ((st === 'failed' || st === 'closed' || st === 'disconnected') && !this.leaving)
        lost(`peer ${st} (ice ${peer.pc.iceConnectionState})`);
    });
    peer.dc.stateChanged.subscribe((st) => {
      if ((st === 'closing' || st === 'closed') && !this.leaving) lost('calls-dc closed');
    });
  }

  #describe(err: unknown): string {
    const pc = this.peer?.pc;
    const state = pc
      ? ` (connection ${pc.connectionState}, ice ${pc.iceConnectionState}, signaling ${pc.signalingState}, dc ${this.peer?.dc.readyState})`
      : '';
    return `${err instanceof Error ? err.message : String(err)}${state}`;
  }

  async join(): Promise<{joinMs: number; stages: JoinStages}> {
    const start = performance.now();
    await this.ws.connect();
    const wsAt = performance.now();
    await this.ws.join(this.spec.channelID);
    const joinedAt = performance.now();
    const lean = this.spec.lean && !this.spec.full && !this.spec.unmuted && !this.spec.screen;
    const onRawRtp =
      this.spec.full || lean ? undefined : (pt: number, ssrc: number) => this.#received(ssrc, pt === OPUS_PT);
    const peer = new TestClient({sessionID: this.ws.connID, signaling: this.ws.signaling(), record: false, onRawRtp});
    this.peer = peer;
    this.lean = lean
      ? new LeanReceiver(peer, {sampleEvery: LEAN_SAMPLE, gate, check: (p, s) => isSentPayload(p, s.kind)})
      : undefined;
    if (this.spec.full) {
      peer.on('rtp', (rec: {kind: string}, rtp: {header: {ssrc: number}}) =>
        this.#received(rtp.header.ssrc, rec.kind === 'audio'),
      );
    }
    // A lean receiver hears from werift only about each stream's first packet, which is the one that counts here.
    if (this.lean) peer.on('rtp', () => (this.stats.firstMediaAt ??= Date.now()));
    let iceAt = 0;
    let dtlsAt = 0;
    let dcAt = 0;
    peer.pc.iceConnectionStateChange.subscribe((st) => {
      if (st === 'connected' && !iceAt) iceAt = performance.now();
    });
    peer.pc.connectionStateChange.subscribe((st) => {
      if (st === 'connected' && !dtlsAt) dtlsAt = performance.now();
    });
    peer.dc.stateChanged.subscribe((st) => {
      if (st === 'open' && !dcAt) dcAt = performance.now();
    });
    await peer.start();
    this.lean?.attach();
    await peer.waitConnected(30_000);
    const end = performance.now();
    const joinMs = end - start;
    // A state seen only by the final poll counts at the end (the events normally come first).
    iceAt ||= end;
    dtlsAt ||= end;
    dcAt ||= end;
    const stages: JoinStages = {
      websocket: wsAt - start,
      join: joinedAt - wsAt,
      ice: iceAt - joinedAt,
      dtls: Math.max(0, dtlsAt - iceAt),
      dataChannel: Math.max(0, dcAt - dtlsAt),
    };
    this.stats.joined = true;
    this.stats.joinedAt = Date.now();
    this.#watchForLoss(peer);
    if (this.spec.unmuted || this.spec.screen) senders.add(this);
    if (this.spec.unmuted) {
      this.ws.send('unmute');
      const {transceiver} = await peer.addTrack('audio', `mic-${this.spec.index}`);
      this.audio = stream(transceiver);
    }
    if (this.spec.screen) {
      const streamID = `screen-${this.spec.index}`;
      peer.screenOn(streamID);
      const {transceiver} = await peer.addTrack('video', streamID);
      this.video = stream(transceiver);
    }
    if (this.spec.unmuted || this.spec.screen) this.stats.sendingAt = Date.now();
    return {joinMs, stages};
  }

  /** Sends whatever is due at `now` (performance ms); `counted` = inside the measurement window. */
  tick(now: number, counted: boolean): void {
    const a = this.audio;
    if (a) {
      if (now - a.nextDue > MAX_CATCH_UP_MS) a.nextDue = now;
      while (a.nextDue <= now) {
        a.nextDue += AUDIO_INTERVAL_MS;
        const i = this.#counter++;
        const extensions = [];
        if (a.midExt !== undefined && a.transceiver.mid)
          extensions.push({id: a.midExt, payload: Buffer.from(a.transceiver.mid)});
        if (a.levelExt !== undefined)
          extensions.push({id: a.levelExt, payload: Buffer.from([0x80 | speechLevels[i % speechLevels.length]])});
        this.#send(a, audioPayloads[i % audioPayloads.length], false, extensions, 960);
        if (counted) this.stats.sentAudio++;
      }
    }
    const v = this.video;
    if (v) {
      if (now - v.nextDue > MAX_CATCH_UP_MS) v.nextDue = now;
      while (v.nextDue <= now) {
        v.nextDue += 1000 / VIDEO_FPS;
        for (let k = 0; k < VIDEO_PACKETS_PER_FRAME; k++) {
          const extensions =
            v.midExt !== undefined && v.transceiver.mid
              ? [{id: v.midExt, payload: Buffer.from(v.transceiver.mid)}]
              : [];
          this.#send(v, videoPayload, k === VIDEO_PACKETS_PER_FRAME - 1, extensions, 0);
          if (counted) this.stats.sentVideo++;
        }
        v.ts = (v.ts + 90000 / VIDEO_FPS) >>> 0;
      }
    }
  }

  #send(
    s: Stream,
    payload: Buffer,
    marker: boolean,
    extensions: {id: number; payload: Buffer}[],
    tsStep: number,
  ): void {
    const header = new RtpHeader({
      payloadType: s.pt,
      sequenceNumber: s.seq,
      timestamp: s.ts,
      ssrc: s.ssrc,
      marker,
      extension: extensions.length > 0,
      extensions,
    });
    s.seq = (s.seq + 1) & 0xffff;
    s.ts = (s.ts + tsStep) >>> 0;
    void s.transceiver.dtlsTransport.sendRtp(payload, header).catch(() => {});
  }

  async leave(): Promise<void> {
    this.leaving = true;
    this.audio = undefined;
    this.video = undefined;
    this.ws.send('leave');
    await this.peer?.close().catch(() => {});
    await this.ws.close();
  }
}

function stream(t: RTCRtpTransceiver): Stream {
  const ext = (uri: string) => t.headerExtensions.find((e) => e.uri === uri)?.id;
  return {
    transceiver: t,
    ssrc: t.sender.ssrc,
    pt: t.codecs[0]?.payloadType ?? (t.kind === 'audio' ? OPUS_PT : VP8_PT),
    midExt: ext(MID_URI),
    levelExt: t.kind === 'audio' ? ext(AUDIO_LEVEL_URI) : undefined,
    seq: Math.floor(Math.random() * 0x8000),
    ts: Math.floor(Math.random() * 0x7fffffff),
    nextDue: performance.now(),
  };
}

/** A client process that stalls stops answering ICE consent checks: its longest stall goes into the report. */
const lag = monitorEventLoopDelay({resolution: 20});
lag.enable();
/** Stalls of many seconds kill ICE: whether they are garbage collection shows here. */
let gcMaxMs = 0;
let heapMaxBytes = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, e.duration);
}).observe({entryTypes: ['gc']});
setInterval(() => {
  heapMaxBytes = Math.max(heapMaxBytes, process.memoryUsage().heapUsed);
}, 1000).unref();
const users: LoadUser[] = [];
/** The users with something to send: the ticker visits only these. */
const senders = new Set<LoadUser>();
let windowStart = Infinity;
let windowEnd = Infinity;
let cpuAtStart: NodeJS.CpuUsage | undefined;
let cpuAtEnd: NodeJS.CpuUsage | undefined;

function inWindow(nowMs: number): boolean {
  return nowMs >= windowStart && nowMs < windowEnd;
}

const ticker = setInterval(() => {
  const now = performance.now();
  const wall = Date.now();
  if (wall >= windowStart && !cpuAtStart) cpuAtStart = process.cpuUsage();
  if (wall >= windowEnd && !cpuAtEnd) cpuAtEnd = process.cpuUsage();
  const counted = inWindow(wall);
  gate.open = counted;
  for (const u of senders) u.tick(now, counted);
}, TICK_MS);

async function onMessage(msg: ToPeers): Promise<void> {
  switch (msg.cmd) {
    case 'join': {
      const user = new LoadUser(msg.user);
      users.push(user);
      try {
        const {joinMs, stages, retried} = await user.joinWithRetry();
        send({ev: 'joined', index: msg.user.index, joinMs, stages, retried});
      } catch (err) {
        send({ev: 'joinFailed', index: msg.user.index, error: err instanceof Error ? err.message : String(err)});
      }
      break;
    }
    case 'window':
      windowStart = msg.start;
      windowEnd = msg.end;
      break;
    case 'report': {
      const start = cpuAtStart ?? process.cpuUsage();
      const end = cpuAtEnd ?? process.cpuUsage();
      const cpuMicros = end.user + end.system - start.user - start.system;
      const lost = users.filter((u) => u.stats.joined && u.peer?.pc.connectionState !== 'connected').length;
      const lossCauses: LossCauses = {};
      for (const {lostBy: l} of users)
        if (l) mergeLossCauses(lossCauses, {[l.what]: {n: 1, firstAt: l.at, lastAt: l.at, ice: l.ice}});
      send({
        ev: 'report',
        users: users.map((u) => u.report()),
        cpuMicros,
        wallMs: windowEnd - windowStart,
        lagMaxMs: lag.max / 1e6,
        gcMaxMs,
        heapMaxMB: heapMaxBytes / 1e6,
        lost,
        lossCauses,
      });
      break;
    }
    case 'leave':
      clearInterval(ticker);
      await Promise.all(users.map((u) => u.leave()));
      send({ev: 'left'});
      setTimeout(() => process.exit(0), 100);
      break;
  }
}

process.on('message', (m) => void onMessage(m as ToPeers));
// The coordinator going away ends this process too.
process.on('disconnect', () => process.exit(0));
send({ev: 'ready'});
