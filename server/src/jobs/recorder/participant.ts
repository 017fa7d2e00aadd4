// The recorder in the call: joins through the public websocket like any client (authentication_challenge with
// the bot token, join {channelID, jobID}), then behaves as the browser's peer does, receive-only: calls-dc
// created first so it makes the first offer, ICE trickled both ways, server offers answered, the MediaMap
// telling voice, screen and screen-audio tracks apart. Each received track is handed to the pipeline.
// Emits 'roster' when the slate should change and 'stop' (reason) when the recording must end. On
// `rtc_reconnect` (its media moved, e.g. a media worker died) it drops its peer and negotiates a new one over
// the same websocket session, as the webapp does: the recording goes on with the tracks of the new peer.
import {EventEmitter} from 'node:events';
import {RTCPeerConnection, useAudioLevelIndication, useSdesMid, type RTCRtpTransceiver} from 'werift';
import {
  DCMessageType,
  eventSuffix,
  trackTypeFromID,
  type MediaMap,
  type SessionDescription,
  type TrackType,
} from '../../protocol';
import {decodeDCMessage, encodeDCMessage} from '../../protocol-node';
import type {Logger} from '../../log';
import {Ingress} from '../../rtc/fastpath/ingress';
import {takeOverReceivedAudio} from '../../rtc/fastpath/takeover';
import {opusCodec, vp8Codec} from '../../rtc/media/codecs';
import {
  cacheCertificateFingerprints,
  countLateConsentAnswers,
  ignoreRepeatedHelloVerify,
  interceptDatagrams,
  nativeDtlsCrypto,
  udpSockets,
} from '../../rtc/werift/internals';
import {BatchedReceive} from './batched-receive';
import {RecorderSocket, type WsEvent} from './calls-socket';
import type {RecordingPipeline, TrackHandle} from './pipeline';
import {Roster} from './roster';

// The DTLS handshake's crypto by OpenSSL and the certificate's fingerprint computed once, as in the SFU.
nativeDtlsCrypto();
cacheCertificateFingerprints();
// The recorder is the full ICE agent toward the SFU: its consent checks' late answers count (fixes.ts).
countLateConsentAnswers();

export interface ParticipantOptions {
  siteURL: string;
  token: string;
  channelID: string;
  jobID: string;
  log: Logger;
  /** ICE servers for the peer (none: host candidates only, as on a LAN or loopback). */
  iceServers?: {urls: string}[];
  joinTimeoutMs?: number;
}

interface Received {
  transceiver: RTCRtpTransceiver;
  senderID: string;
  handle: TrackHandle;
  /** Gives an audio stream taken over by the fast receive path back to werift. */
  giveBack?: () => void;
}

/** How long a track of unknown type waits for the MediaMap that names it. */
const UNTYPED_VIDEO_WAIT_MS = 2000;

export class RecorderParticipant extends EventEmitter {
  readonly roster = new Roster();
  readonly #o: ParticipantOptions;
  readonly #socket: RecorderSocket;
  #pc: RTCPeerConnection | undefined;
  /** The fast receive path of the current peer (its audio streams skip werift's receive path). */
  #ingress = new Ingress();
  /** The peer's sockets, read once per mixer batch while only audio comes. */
  readonly receive = new BatchedReceive();
  #pipeline: RecordingPipeline | undefined;
  #mediaMap: MediaMap = {};
  /** The peer whose sockets `receive` reads. */
  #batchedPc: RTCPeerConnection | undefined;
  /** Video tracks whose type is not known yet, by mid: they wait for the MediaMap (up to UNTYPED_VIDEO_WAIT_MS). */
  #untyped = new Map<string, {transceiver: RTCRtpTransceiver; timer: NodeJS.Timeout}>();
  #received = new Map<string, Received>();
  #queuedIce: Record<string, unknown>[] = [];
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(o: ParticipantOptions) {
    super();
    this.#o = o;
    this.#socket = new RecorderSocket(o.siteURL, o.token);
  }

  get connID(): string {
    return this.#socket.connID;
  }

  /** Connects and joins the call; resolves once the server acknowledged the join. */
  async join(): Promise<void> {
    const connID = await this.#socket.connect();
    this.#socket.on('event', (e: WsEvent) => this.#onEvent(e));
    this.#socket.on('close', (code: number) => this.#stop(`websocket closed (${code})`));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('join timed out')), this.#o.joinTimeoutMs ?? 15_000);
      const onEvent = (e: WsEvent) => {
        const s = eventSuffix(e.event);
        if ((s !== 'join' && s !== 'error') || e.data.connID !== connID) return;
        done(s === 'error' ? new Error(`join refused: ${String(e.data.data)}`) : undefined);
      };
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.#socket.off('event', onEvent);
        if (err) reject(err);
        else resolve();
      };
      this.#socket.on('event', onEvent);
      this.#socket.send('join', {channelID: this.#o.channelID, jobID: this.#o.jobID});
    });
    this.#o.log.info({connID}, 'joined the call');
  }

  /** Starts the peer: from here on, received tracks go to `pipeline`. */
  async startMedia(pipeline: RecordingPipeline): Promise<void> {
    this.#pipeline = pipeline;
    if (pipeline.mixer) pipeline.mixer.afterTick = () => this.receive.drain();
    await this.#newPeer();
  }

  async #newPeer(): Promise<void> {
    const pc = new RTCPeerConnection({
      iceServers: this.#o.iceServers ?? [],
      bundlePolicy: 'max-bundle',
      codecs: {audio: [opusCodec()], video: [vp8Codec()]},
      headerExtensions: {audio: [useSdesMid(), useAudioLevelIndication()], video: [useSdesMid()]},
    });
    this.#pc = pc;
    const ingress = new Ingress();
    this.#ingress = ingress;
    pc.onIceCandidate.subscribe((c) => {
      if (!c || this.#closed) return;
      const j = c.toJSON();
      this.#socket.send('ice', {
        data: JSON.stringify({
          candidate: j.candidate ?? '',
          sdpMid: j.sdpMid ?? null,
          sdpMLineIndex: j.sdpMLineIndex ?? null,
        }),
      });
    });
    // A replaced peer's late events (its tracks, its failure, its data channel) are no longer ours.
    pc.ontrack = (ev) => {
      if (this.#pc === pc) this.#onTrack(ev.transceiver);
    };
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed' && this.#pc === pc) this.#stop('peer connection failed');
    });
    // calls-dc first: that makes this side the first offerer, as the browser client is.
    const dc = pc.createDataChannel('calls-dc');
    ignoreRepeatedHelloVerify(pc);
    dc.onMessage.subscribe((data) => {
      if (typeof data === 'string' || this.#pc !== pc) return;
      try {
        const msg = decodeDCMessage(data);
        if (msg.type === DCMessageType.MediaMap) this.#addMediaMap(msg.map);
        else if (msg.type === DCMessageType.Ping) dc.send(Buffer.from(encodeDCMessage({type: DCMessageType.Pong})));
        else if (msg.type === DCMessageType.SDP) this.#enqueue(() => this.#onSdp(msg.sdp));
      } catch (err) {
        this.#o.log.debug({err: String(err)}, 'bad dc message');
      }
    });
    await pc.setLocalDescription(await pc.createOffer());
    this.#socket.sendSDP({type: 'offer', sdp: pc.localDescription!.sdp});
  }

  #enqueue(fn: () => Promise<void>): void {
    this.#chain = this.#chain
      .then(fn)
      .catch((err: unknown) => this.#o.log.warn({err: String(err)}, 'signaling failed'));
  }

  #onEvent(e: WsEvent): void {
    const s = eventSuffix(e.event);
    if (!s) return;
    switch (s) {
      case 'signal':
        if (e.data.connID !== this.connID) return;
        this.#onSignal(String(e.data.data));
        return;
      case 'rtc_reconnect':
        if (e.data.session_id === this.connID) this.#enqueue(() => this.#restartMedia(String(e.data.reason ?? '')));
        return;
      case 'job_stop':
        if (e.data.job_id === this.#o.jobID) this.#stop('job_stop');
        return;
      case 'call_end':
        if ((e.data.channelID ?? this.#o.channelID) === this.#o.channelID) this.#stop('call ended');
        return;
      case 'user_left':
        this.#endTracksOf(String(e.data.session_id ?? ''));
        break;
      case 'user_screen_off': {
        const sid = String(e.data.session_id ?? this.roster.screenSessionID);
        for (const [mid, r] of this.#received)
          if (r.senderID === sid && this.#mediaMap[mid]?.type === 'screen') this.#endTrack(mid);
        break;
      }
      default:
        break;
    }
    // Events of other channels (a bot user gets more than this call's) do not change the roster.
    const ch = e.data.channelID ?? e.data.channel_id;
    if (ch !== undefined && ch !== this.#o.channelID) return;
    if (this.roster.apply(s, e.data)) this.emit('roster');
  }

  #onSignal(text: string): void {
    let msg: {type?: string; sdp?: string; candidate?: Record<string, unknown>};
    try {
      msg = JSON.parse(text) as typeof msg;
    } catch {
      return;
    }
    if (msg.type === 'candidate' && msg.candidate) {
      const c = msg.candidate;
      this.#enqueue(async () => {
        if (!this.#pc?.remoteDescription) this.#queuedIce.push(c);
        else await this.#addIce(c);
      });
    } else if ((msg.type === 'offer' || msg.type === 'answer') && typeof msg.sdp === 'string') {
      const desc = {type: msg.type, sdp: msg.sdp} as SessionDescription;
      this.#enqueue(() => this.#onSdp(desc));
    }
  }

  async #addIce(c: Record<string, unknown>): Promise<void> {
    await this.#pc
      ?.addIceCandidate({
        candidate: String(c.candidate ?? ''),
        sdpMid: typeof c.sdpMid === 'string' ? c.sdpMid : undefined,
        sdpMLineIndex: typeof c.sdpMLineIndex === 'number' ? c.sdpMLineIndex : undefined,
      })
      .catch(() => undefined);
  }

  async #onSdp(desc: SessionDescription): Promise<void> {
    const pc = this.#pc;
    if (!pc || this.#closed) return;
    await pc.setRemoteDescription(desc);
    for (const c of this.#queuedIce.splice(0)) await this.#addIce(c);
    if (desc.type === 'offer') {
      await pc.setLocalDescription(await pc.createAnswer());
      this.#socket.sendSDP({type: 'answer', sdp: pc.localDescription!.sdp});
    }
    // Tracks the server stopped sending (renegotiated to inactive) are over.
    for (const [mid, r] of this.#received) {
      const dir = r.transceiver.currentDirection ?? r.transceiver.direction;
      if (dir === 'inactive' || dir === 'sendonly') this.#endTrack(mid);
    }
  }

  #addMediaMap(map: MediaMap): void {
    this.#mediaMap = {...this.#mediaMap, ...map};
    for (const [mid, u] of this.#untyped) {
      if (!this.#mediaMap[mid]) continue;
      clearTimeout(u.timer);
      this.#untyped.delete(mid);
      this.#onTrack(u.transceiver);
    }
  }

  /**
   * What a track is: the MediaMap's entry for its mid, else its id (`<type>_<sender>_…`) and stream id (the
   * sender) — the map of the first offer can be sent before the data channel is open — else audio is voice.
   */
  #trackInfo(t: RTCRtpTransceiver): {type: TrackType; sender_id: string} | undefined {
    const mapped = this.#mediaMap[t.mid ?? ''];
    if (mapped) return mapped;
    const sender = t.receiver.remoteStreamId ?? '';
    const type = trackTypeFromID(t.receiver.remoteTrackId ?? '') ?? (t.kind === 'audio' ? 'voice' : undefined);
    return type && sender ? {type, sender_id: sender} : undefined;
  }

  #onTrack(t: RTCRtpTransceiver): void {
    const mid = t.mid ?? '';
    const info = this.#trackInfo(t);
    const pipeline = this.#pipeline;
    if (!pipeline || this.#closed) return;
    if (!info) {
      if (this.#untyped.has(mid)) return;
      const timer = setTimeout(() => {
        this.#untyped.delete(mid);
        this.#updateReceiveMode();
        this.#o.log.warn({mid}, 'a track whose type never became known: ignored');
      }, UNTYPED_VIDEO_WAIT_MS);
      timer.unref();
      this.#untyped.set(mid, {transceiver: t, timer});
      this.#updateReceiveMode();
      return;
    }
    this.#endTrack(mid);
    let handle: TrackHandle;
    if (info.type === 'voice' || info.type === 'screen-audio') handle = pipeline.addAudio(`${info.sender_id}:${mid}`);
    else if (info.type === 'screen') {
      let ssrc = 0;
      handle = pipeline.addScreen(info.sender_id, () => {
        if (ssrc) void t.receiver.sendRtcpPLI(ssrc).catch(() => undefined);
      });
      t.receiver.track?.onReceiveRtp.once((rtp) => (ssrc = rtp.header.ssrc));
    } else return;
    this.#received.set(mid, {transceiver: t, senderID: info.sender_id, handle});
    this.#updateReceiveMode();
    this.#o.log.info({mid, type: info.type, sender: info.sender_id}, 'receiving a track');
    const track = t.receiver.track ?? t.receiver.tracks[0];
    let first = true;
    track?.onReceiveRtp.subscribe((rtp) => {
      const r = this.#received.get(mid);
      if (r?.handle !== handle) return;
      handle.push({
        seq: rtp.header.sequenceNumber,
        timestamp: rtp.header.timestamp,
        marker: rtp.header.marker,
        payload: rtp.payload,
      });
      if (first && t.kind === 'audio') this.#fastReceive(t, rtp.header.ssrc, r);
      first = false;
    });
  }

  /**
   * From its second packet on, an audio stream skips werift's receive path (STUN parse attempt, SRTP through
   * a new decipher per packet, header objects, events): the recorder's largest cost in an audio-only call.
   */
  #fastReceive(t: RTCRtpTransceiver, ssrc: number, r: Received): void {
    const pc = this.#pc;
    if (!pc) return;
    const ingress = this.#ingress;
    interceptDatagrams(pc, (data) => ingress.take(data));
    r.giveBack = takeOverReceivedAudio(
      ingress,
      t,
      ssrc,
      (seq, timestamp, marker, payload) => {
        // The payload is a view into its own datagram's buffer, which nothing else reuses: it may be kept.
        if (this.#received.get(t.mid ?? '') === r) r.handle.push({seq, timestamp, marker, payload});
      },
      // Nobody reads the recorder's receiver reports (the SFU drops them unread).
      {statistics: false},
    );
    if (r.giveBack) {
      // Its sockets exist once ICE runs; the first fast audio stream is the first moment batching may start.
      if (this.#batchedPc !== pc) {
        this.receive.attach(udpSockets(pc));
        this.#batchedPc = pc;
      }
      this.#updateReceiveMode();
    }
  }

  /** Batched while every received track is audio on the fast path; any video (a screen share) reads at once. */
  #updateReceiveMode(): void {
    let audio = false;
    // A video track waiting for its type is video all the same.
    let other = this.#untyped.size > 0;
    for (const r of this.#received.values()) {
      if (r.giveBack) audio = true;
      else other = true;
    }
    this.receive.setBatching(audio && !other && !this.#closed);
  }

  #endTrack(mid: string): void {
    const r = this.#received.get(mid);
    if (!r) return;
    this.#received.delete(mid);
    r.giveBack?.();
    r.handle.end();
    this.#updateReceiveMode();
  }

  #endTracksOf(sessionID: string): void {
    for (const [mid, r] of this.#received) if (r.senderID === sessionID) this.#endTrack(mid);
  }

  /**
   * The server re-created this session's media elsewhere: the old peer's tracks are over (their senders'
   * new tracks come on the new peer), its mids and MediaMap mean nothing any more.
   */
  async #restartMedia(reason: string): Promise<void> {
    const old = this.#pc;
    if (!old || !this.#pipeline || this.#closed) return;
    this.#o.log.info({reason}, 'media moved: negotiating a new peer connection');
    this.#pc = undefined;
    for (const u of this.#untyped.values()) clearTimeout(u.timer);
    this.#untyped.clear();
    for (const mid of [...this.#received.keys()]) this.#endTrack(mid);
    this.#updateReceiveMode();
    this.#mediaMap = {};
    this.#queuedIce = [];
    await old.close().catch(() => undefined);
    if (!this.#closed) await this.#newPeer();
  }

  #stop(reason: string): void {
    if (this.#closed) return;
    this.emit('stop', reason);
  }

  /** Leaves the call and closes the peer (the recording is finished by the caller). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const u of this.#untyped.values()) clearTimeout(u.timer);
    this.#untyped.clear();
    for (const mid of [...this.#received.keys()]) this.#endTrack(mid);
    this.#socket.send('leave');
    await this.#pc?.close().catch(() => undefined);
    await this.#socket.close();
  }
}
