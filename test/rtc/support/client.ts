// A werift peer that behaves like the browser client (calls-common RTCPeer): creates calls-dc first so
// it makes the first offer, trickles ICE, answers server offers (politely), takes the signaling lock
// before adding tracks, reads the MediaMap, and sends RTP with the audio-level extension.
import {EventEmitter} from 'node:events';
import {
  MediaStream,
  MediaStreamTrack,
  RTCPeerConnection,
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
  RtpHeader,
  RtpPacket,
  useAudioLevelIndication,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
  type PeerConfig,
  type RTCDataChannel,
  type RTCRtpTransceiver,
} from 'werift';
import {DCMessageType, type DCMessage, type MediaMap, type TrackType} from '@calls/protocol';
import {decodeDCMessage, encodeDCMessage} from '../../../server/src/protocol-node';
import {AUDIO_LEVEL_URI, av1Codec, MID_URI, opusCodec, vp8Codec} from '../../../server/src/rtc/media/codecs';
import {
  cacheCertificateFingerprints,
  countLateConsentAnswers,
  ignoreRepeatedHelloVerify,
  nativeDtlsCrypto,
  onDtlsSocket,
  settleIceOnCompletion,
  stopDtlsRetransmissions,
} from '../../../server/src/rtc/werift/internals';
import type {IceCandidate, RtcInbound, RtcSignal, SessionDescription} from '../../../server/src/rtc/types';
import {waitFor, withTimeout} from '../../support/wait';

// A browser counts a consent answer that comes late (until the next check), as the SFU does: werift's own client
// drops one later than 2 × the last round trip, and a busy load-test machine then loses users it still reaches.
countLateConsentAnswers();

/** A peer on loopback only, with no STUN servers: what every test peer starts from. */
export const LOOPBACK_PEER = {
  iceServers: [],
  bundlePolicy: 'max-bundle',
  iceUseIpv4: false,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ['127.0.0.1'],
} satisfies Partial<PeerConfig>;

// The handshake crypto and the certificate's fingerprint as the SFU does them (dtlsCrypto.ts, fixes.ts): a load
// test's clients should not cost more CPU per join than a browser's.
nativeDtlsCrypto();
cacheCertificateFingerprints();

/**
 * werift's DTLS client sleeps 100 ms between its ICE agent connecting and its first flight; a browser sends its
 * ClientHello as soon as ICE is writable. The client's socket is connected when werift creates it instead (the
 * call werift makes after its sleep gets the same handshake), so a join takes what a browser's would.
 */
function startDtlsAtOnce(pc: RTCPeerConnection): void {
  onDtlsSocket(pc, (socket) => {
    if (!socket.connect || socket.constructor.name !== 'DtlsClient') return;
    const handshake = socket.connect();
    handshake.catch(() => {});
    socket.connect = () => handshake;
  });
}

type WithoutSession<T> = T extends unknown ? Omit<T, 'sessionID'> : never;

/** Where the client's signaling goes: the RtcServer directly, or a websocket client. */
export interface SignalingPort {
  send(msg: RtcInbound): void;
  onSignal(sessionID: string, fn: (signal: RtcSignal) => void): () => void;
}

export interface TestClientOptions {
  sessionID: string;
  signaling: SignalingPort;
  av1?: boolean;
  dcSignaling?: boolean;
  /** Only ICE-TCP: UDP candidates are neither sent nor paired (a client behind a UDP-blocking firewall). */
  udpBlocked?: boolean;
  /** Only candidate pairs this accepts are checked and used (e.g. only the server's relay candidate). */
  pairFilter?: (pair: {remoteCandidate: {type: string}}) => boolean;
  /** Hold server offers until answerPending() is called. */
  manualAnswer?: boolean;
  /** SRTP protection profiles to offer in DTLS (werift offers AEAD_AES_128_GCM=7 then AES_CM_128_HMAC_SHA1_80=1). */
  srtpProfiles?: number[];
  /** Keep every received payload and sequence number in `received` (default true; load clients turn it off). */
  record?: boolean;
  /**
   * A light receiver (load tests): incoming RTP is counted here by payload type and SSRC and dropped before
   * SRTP decryption, so thousands of streams cost little client CPU. RTCP, DTLS and data channels are untouched.
   */
  onRawRtp?: (payloadType: number, ssrc: number, length: number) => void;
}

export interface ReceivedTrack {
  mid: string;
  trackId: string;
  streamId: string;
  kind: string;
  /** From the MediaMap that preceded the offer. */
  type?: TrackType;
  payloads: Buffer[];
  seqs: number[];
  ssrcs: Set<number>;
  transceiver: RTCRtpTransceiver;
}

export class TestClient extends EventEmitter {
  readonly sessionID: string;
  readonly pc: RTCPeerConnection;
  readonly dc: RTCDataChannel;
  readonly opts: TestClientOptions;
  mediaMap: MediaMap = {};
  readonly mediaMaps: MediaMap[] = [];
  readonly received: ReceivedTrack[] = [];
  readonly errors: string[] = [];
  /** Every local candidate the server sent (candidate lines). */
  readonly serverCandidates: string[] = [];
  serverOffers = 0;
  #dcNegotiated = false;
  #queued: IceCandidate[] = [];
  #lockWaiter: ((ok: boolean) => void) | undefined;
  #pendingOffer: SessionDescription | undefined;
  #pendingOfferVia: 'ws' | 'dc' = 'ws';
  #answerWaiter: (() => void) | undefined;
  #unsubscribe: () => void;
  #closed = false;
  #signalChain: Promise<void> = Promise.resolve();

  constructor(opts: TestClientOptions) {
    super();
    this.opts = opts;
    this.sessionID = opts.sessionID;
    this.pc = new RTCPeerConnection({
      ...LOOPBACK_PEER,
      iceUseTcp: !!opts.udpBlocked,
      iceFilterCandidatePair: opts.udpBlocked ? (pair) => pair.protocol.type === 'tcp' : opts.pairFilter,
      // The SFU's own codecs (Opus/111, VP8/96, AV1/45 with the same feedback), as a browser offers them.
      codecs: {audio: [opusCodec()], video: opts.av1 ? [vp8Codec(), av1Codec()] : [vp8Codec()]},
      headerExtensions: {
        audio: [useSdesMid(), useAudioLevelIndication()],
        video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()],
      },
    });
    this.#unsubscribe = opts.signaling.onSignal(this.sessionID, (s) => {
      this.#signalChain = this.#signalChain
        .then(() => this.#onSignal(s))
        .catch((err: unknown) => {
          this.errors.push(String(err));
        });
    });
    this.pc.onIceCandidate.subscribe((c) => {
      if (!c || this.#closed) return;
      const json = c.toJSON();
      if (opts.udpBlocked && / udp /i.test(json.candidate ?? '')) return;
      this.#send({
        type: 'ice',
        data: {candidate: json.candidate ?? '', sdpMid: json.sdpMid ?? null, sdpMLineIndex: json.sdpMLineIndex ?? null},
      });
    });
    this.pc.ontrack = (ev) => {
      const t = ev.transceiver;
      const rec: ReceivedTrack = {
        mid: t.mid ?? '',
        trackId: t.receiver.remoteTrackId ?? '',
        streamId: ev.streams[0]?.id ?? '',
        kind: t.kind,
        type: this.mediaMap[t.mid ?? '']?.type,
        payloads: [],
        seqs: [],
        ssrcs: new Set(),
        transceiver: t,
      };
      this.received.push(rec);
      const record = opts.record !== false;
      ev.track.onReceiveRtp.subscribe((rtp) => {
        if (record) {
          rec.ssrcs.add(rtp.header.ssrc);
          rec.payloads.push(Buffer.from(rtp.payload));
          rec.seqs.push(rtp.header.sequenceNumber);
        }
        this.emit('rtp', rec, rtp);
      });
      this.emit('track', rec);
    };
    // The data channel is created first: that is what makes the client the first offerer.
    this.dc = this.pc.createDataChannel('calls-dc');
    // No public STUN server for a test peer either (werift defaults to one when none is configured).
    for (const t of this.pc.iceTransports) (t.connection as unknown as {stunServer?: unknown}).stunServer = undefined;
    // Like a browser: ICE reports connected when its checks conclude, and DTLS starts right then.
    for (const t of this.pc.iceTransports) settleIceOnCompletion(t.connection);
    // Hooked before startDtlsAtOnce: its connect() runs inside the socket hook, so this one must be in place first.
    ignoreRepeatedHelloVerify(this.pc);
    startDtlsAtOnce(this.pc);
    if (opts.srtpProfiles)
      for (const t of this.pc.dtlsTransports)
        (t as unknown as {srtpProfiles: number[]}).srtpProfiles = opts.srtpProfiles;
    if (opts.onRawRtp) {
      const count = opts.onRawRtp;
      // RTP, not RTCP (RFC 5761: RTCP packet types 192-223 read as payload types 64-95).
      const countedRtp = (data: Buffer): boolean => {
        if (data.length < 12 || (data[0] & 0xc0) !== 0x80) return false;
        const pt = data[1] & 0x7f;
        if (pt >= 64 && pt <= 95) return false;
        count(pt, data.readUInt32BE(8), data.length);
        return true;
      };
      for (const t of this.pc.iceTransports) {
        const conn = t.connection as unknown as {
          onData: {execute: (data: Buffer) => void};
          protocols: {transport?: {onData?: (data: Buffer, addr: unknown) => void}}[];
        };
        const next = conn.onData.execute;
        let socketsHooked = false;
        conn.onData.execute = (data: Buffer) => {
          if (!countedRtp(data)) return next(data);
          // From the first RTP packet on, count right at the UDP sockets, before werift's ICE layer.
          if (!socketsHooked) {
            socketsHooked = true;
            for (const p of conn.protocols) {
              const transport = p.transport;
              const deliver = transport?.onData;
              if (!transport || !deliver) continue;
              transport.onData = (d: Buffer, addr: unknown) => {
                if (!countedRtp(d)) deliver(d, addr);
              };
            }
          }
        };
      }
    }
    this.dc.onMessage.subscribe((data) => this.#onDc(data));
  }

  get dcOpen(): boolean {
    return this.dc.readyState === 'open';
  }

  /** Sends the first offer over the "websocket". */
  async start(): Promise<void> {
    await this.#offer();
  }

  /** Resolves as the connection is connected with calls-dc open (on the event, as a browser app sees it). */
  async waitConnected(timeoutMs = 10_000): Promise<void> {
    const ready = () => this.pc.connectionState === 'connected' && this.dcOpen;
    if (ready()) return;
    const subs: {unSubscribe: () => void}[] = [];
    try {
      await withTimeout(
        new Promise<void>((resolve) => {
          const check = () => {
            if (ready()) resolve();
          };
          subs.push(this.pc.connectionStateChange.subscribe(check), this.dc.stateChanged.subscribe(check));
          check();
        }),
        timeoutMs,
        'client connected with calls-dc open',
      );
    } finally {
      for (const s of subs) s.unSubscribe();
    }
  }

  #send(msg: WithoutSession<RtcInbound>): void {
    if (this.#closed) return;
    this.opts.signaling.send({...msg, sessionID: this.sessionID} as RtcInbound);
  }

  sendAction(type: 'mute' | 'unmute' | 'screen_off' | 'video_off'): void {
    this.#send({type});
  }

  screenOn(screenStreamID: string): void {
    this.#send({type: 'screen_on', data: {screenStreamID}});
  }

  videoOn(videoStreamID: string): void {
    this.#send({type: 'video_on', data: {videoStreamID}});
  }

  sendDc(msg: DCMessage | Uint8Array | string): void {
    if (typeof msg === 'string') this.dc.send(msg);
    else if (msg instanceof Uint8Array) this.dc.send(Buffer.from(msg));
    else this.dc.send(Buffer.from(encodeDCMessage(msg)));
  }

  /** A single Lock request; resolves with the server's answer. */
  requestLock(timeoutMs = 2000): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no Lock response')), timeoutMs);
      this.#lockWaiter = (ok) => {
        clearTimeout(timer);
        resolve(ok);
      };
      this.sendDc({type: DCMessageType.Lock});
    });
  }

  /** calls-common grabSignalingLock: retry every 50 ms for up to 5 s. */
  async grabLock(timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.requestLock(), timeoutMs, 'the signaling lock', 50);
  }

  unlock(): void {
    this.sendDc({type: DCMessageType.Unlock});
  }

  /** Adds a track the way the webapp does (lock, addTrack with its stream, offer); resolves once answered. */
  async addTrack(
    kind: 'audio' | 'video',
    streamId: string,
    opts: {codec?: 'VP8' | 'AV1'} = {},
  ): Promise<{track: MediaStreamTrack; transceiver: RTCRtpTransceiver}> {
    await this.grabLock();
    const track = new MediaStreamTrack({kind});
    let transceiver: RTCRtpTransceiver;
    if (kind === 'video') {
      transceiver = this.pc.addTransceiver(track, {direction: 'sendonly', streams: [new MediaStream({id: streamId})]});
      const codec = this.pc.config.codecs.video?.find((c) => c.mimeType === `video/${opts.codec ?? 'VP8'}`);
      if (codec) transceiver.setCodecPreferences([codec]);
    } else {
      const sender = this.pc.addTrack(track, new MediaStream({id: streamId}));
      transceiver = this.pc.getTransceivers().find((t) => t.sender === sender)!;
    }
    const answered = new Promise<void>((resolve) => {
      this.#answerWaiter = resolve;
    });
    await this.#offer();
    await withTimeout(answered, 10_000, 'answer to the client offer');
    return {track, transceiver};
  }

  /**
   * A screen transceiver that offers simulcast layers l and h (werift cannot send simulcast itself:
   * the offer is rewritten the way a browser writes it, and layers are sent with sendRawRtp).
   */
  async addSimulcastScreen(streamId: string): Promise<RTCRtpTransceiver> {
    await this.grabLock();
    const transceiver = this.pc.addTransceiver('video', {
      direction: 'sendonly',
      streams: [new MediaStream({id: streamId})],
    });
    const answered = new Promise<void>((resolve) => {
      this.#answerWaiter = resolve;
    });
    await this.#offer((sdp) => {
      const sections = sdp.split(/\r\n(?=m=)/);
      return sections
        .map((sec) => {
          if (!sec.startsWith('m=video') || !sec.includes(`a=mid:${transceiver.mid}\r\n`)) return sec;
          const lines = sec.split('\r\n').filter((l) => !l.startsWith('a=ssrc') && l !== '');
          return [...lines, 'a=rid:l send', 'a=rid:h send', 'a=simulcast:send l;h'].join('\r\n') + '\r\n';
        })
        .join('\r\n');
    });
    await withTimeout(answered, 10_000, 'answer to the simulcast offer');
    return transceiver;
  }

  /** Encrypts and sends one RTP packet on the transceiver's transport with the mid/rid extensions. */
  sendRawRtp(
    transceiver: RTCRtpTransceiver,
    o: {payload: Buffer; seq: number; ts: number; pt: number; ssrc: number; rid?: string},
  ): void {
    const ext = (uri: string) => transceiver.headerExtensions.find((e) => e.uri === uri)?.id;
    const extensions = [];
    const midId = ext(MID_URI);
    if (midId !== undefined && transceiver.mid) extensions.push({id: midId, payload: Buffer.from(transceiver.mid)});
    const ridId = ext('urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id');
    if (ridId !== undefined && o.rid) extensions.push({id: ridId, payload: Buffer.from(o.rid)});
    const header = new RtpHeader({
      payloadType: o.pt,
      sequenceNumber: o.seq & 0xffff,
      timestamp: o.ts >>> 0,
      ssrc: o.ssrc,
      marker: true,
      extension: extensions.length > 0,
      extensions,
    });
    void transceiver.dtlsTransport.sendRtp(o.payload, header).catch(() => {});
  }

  /** Sends a REMB (receiver estimated maximum bitrate) for a received track. */
  sendRemb(rec: ReceivedTrack, bitrate: number): void {
    const ssrc = [...rec.ssrcs][0];
    let exp = 0;
    let mantissa = bitrate;
    while (mantissa > 0x3ffff) {
      mantissa = Math.floor(mantissa / 2);
      exp++;
    }
    const remb = new ReceiverEstimatedMaxBitrate({
      senderSsrc: rec.transceiver.receiver.rtcpSsrc,
      mediaSsrc: 0,
      ssrcNum: 1,
      brExp: exp,
      brMantissa: mantissa,
      bitrate: BigInt(mantissa) << BigInt(exp),
      ssrcFeedbacks: [ssrc],
    });
    void rec.transceiver.receiver.dtlsTransport
      .sendRtcp([new RtcpPayloadSpecificFeedback({feedback: remb})])
      .catch(() => {});
  }

  /** Removes a sent track (screen off) with a renegotiation under the lock. */
  async removeTrack(transceiver: RTCRtpTransceiver): Promise<void> {
    await this.grabLock();
    this.pc.removeTrack(transceiver.sender);
    const answered = new Promise<void>((resolve) => {
      this.#answerWaiter = resolve;
    });
    await this.#offer();
    await withTimeout(answered, 10_000, 'answer to the client offer');
  }

  /** Sends one RTP packet on a track added with addTrack. */
  sendRtp(
    track: MediaStreamTrack,
    transceiver: RTCRtpTransceiver,
    o: {payload: Buffer; seq: number; ts: number; pt: number; audioLevel?: number; marker?: boolean; ssrc?: number},
  ): void {
    const extensions = [];
    if (o.audioLevel !== undefined) {
      const id = transceiver.headerExtensions.find((e) => e.uri === AUDIO_LEVEL_URI)?.id;
      if (id !== undefined) extensions.push({id, payload: Buffer.from([0x80 | (o.audioLevel & 0x7f)])});
    }
    const header = new RtpHeader({
      payloadType: o.pt,
      sequenceNumber: o.seq & 0xffff,
      timestamp: o.ts >>> 0,
      ssrc: o.ssrc ?? 1234,
      marker: !!o.marker,
      extension: extensions.length > 0,
      extensions,
    });
    track.writeRtp(new RtpPacket(header, o.payload));
  }

  /** Answers a server offer held by manualAnswer. */
  async answerPending(): Promise<void> {
    const offer = this.#pendingOffer;
    this.#pendingOffer = undefined;
    if (offer) await this.#answer(offer, this.#pendingOfferVia);
  }

  get hasPendingOffer(): boolean {
    return this.#pendingOffer !== undefined;
  }

  /**
   * Whether this is the latest record of its transceiver: a transceiver the server reuses for another
   * sender fires ontrack again, and the earlier record keeps seeing the same packets.
   */
  isCurrent(rec: ReceivedTrack): boolean {
    for (let i = this.received.length - 1; i >= 0; i--)
      if (this.received[i].transceiver === rec.transceiver) return this.received[i] === rec;
    return false;
  }

  /** How many packets of `type` from `senderSessionID` arrived on the current track for them (0 before any). */
  packetsFrom(type: TrackType, senderSessionID: string): number {
    return this.trackOfType(type, senderSessionID)?.payloads.length ?? 0;
  }

  trackOfType(type: TrackType, senderSessionID?: string): ReceivedTrack | undefined {
    return this.received.find(
      (r) =>
        (this.mediaMap[r.mid]?.type ?? r.type) === type &&
        (senderSessionID === undefined || r.streamId === senderSessionID) &&
        r.transceiver.currentDirection !== 'inactive',
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    stopDtlsRetransmissions(this.pc);
    await this.pc.close();
  }

  async #offer(rewrite?: (sdp: string) => string): Promise<void> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    let sdp = this.pc.localDescription!.sdp;
    if (rewrite) sdp = rewrite(sdp);
    if (this.opts.udpBlocked)
      sdp = sdp
        .split('\r\n')
        .filter((l) => !(l.startsWith('a=candidate') && / udp /i.test(l)))
        .join('\r\n');
    const desc: SessionDescription = {type: 'offer', sdp};
    if (this.opts.dcSignaling && this.dcOpen) this.sendDc({type: DCMessageType.SDP, sdp: desc});
    else this.#send({type: 'sdp', data: desc});
  }

  async #onSignal(signal: RtcSignal): Promise<void> {
    if (this.#closed) return;
    if (signal.type === 'ice') {
      this.serverCandidates.push(signal.data.candidate);
      if (!this.pc.remoteDescription) this.#queued.push(signal.data);
      else
        await this.pc.addIceCandidate({
          ...signal.data,
          sdpMid: signal.data.sdpMid ?? undefined,
          sdpMLineIndex: signal.data.sdpMLineIndex ?? undefined,
        });
      return;
    }
    await this.#onSdp(signal.data, 'ws');
  }

  async #onSdp(desc: SessionDescription, via: 'ws' | 'dc'): Promise<void> {
    if (desc.type === 'offer') {
      this.serverOffers++;
      if (this.opts.manualAnswer) {
        this.#pendingOffer = desc;
        this.#pendingOfferVia = via;
        this.emit('offer', desc);
        return;
      }
      await this.#answer(desc, via);
    } else if (desc.type === 'answer') {
      await this.pc.setRemoteDescription(desc);
      await this.#flush();
      if (!this.#dcNegotiated) this.#dcNegotiated = true;
      else if (this.dcOpen) this.unlock();
      const w = this.#answerWaiter;
      this.#answerWaiter = undefined;
      w?.();
    }
  }

  async #answer(offer: SessionDescription, via: 'ws' | 'dc'): Promise<void> {
    await this.pc.setRemoteDescription(offer);
    // Tracks announced before this offer were mapped by the MediaMap that preceded it.
    for (const r of this.received) if (!r.type) r.type = this.mediaMap[r.mid]?.type;
    await this.#flush();
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    const desc: SessionDescription = {type: 'answer', sdp: this.pc.localDescription!.sdp};
    if (this.opts.dcSignaling && this.dcOpen && via === 'dc') this.sendDc({type: DCMessageType.SDP, sdp: desc});
    else if (this.opts.dcSignaling && this.dcOpen) this.sendDc({type: DCMessageType.SDP, sdp: desc});
    else this.#send({type: 'sdp', data: desc});
    this.emit('answered');
  }

  async #flush(): Promise<void> {
    const queued = this.#queued;
    this.#queued = [];
    for (const c of queued)
      await this.pc
        .addIceCandidate({...c, sdpMid: c.sdpMid ?? undefined, sdpMLineIndex: c.sdpMLineIndex ?? undefined})
        .catch(() => {});
  }

  #onDc(data: string | Buffer): void {
    if (typeof data === 'string') {
      this.emit('dcText', data);
      return;
    }
    let msg: DCMessage;
    try {
      msg = decodeDCMessage(data);
    } catch (err) {
      this.errors.push(`dc decode: ${String(err)}`);
      return;
    }
    this.emit('dc', msg);
    switch (msg.type) {
      case DCMessageType.Lock: {
        const w = this.#lockWaiter;
        this.#lockWaiter = undefined;
        w?.(!!msg.acquired);
        break;
      }
      case DCMessageType.MediaMap:
        this.mediaMap = msg.map;
        this.mediaMaps.push(msg.map);
        break;
      case DCMessageType.SDP:
        this.#signalChain = this.#signalChain
          .then(() => this.#onSdp(msg.sdp, 'dc'))
          .catch((err: unknown) => {
            this.errors.push(String(err));
          });
        break;
      default:
        break;
    }
  }
}
