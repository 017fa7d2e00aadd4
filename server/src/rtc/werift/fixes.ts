// Corrections to werift behaviour the SFU depends on (werift 0.25.2), kept in one place; reached through internals.ts.
import {weriftModule} from './weriftModule';
import type {RTCPeerConnection} from 'werift';
import {RTCCertificate, RTCDtlsTransport, ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback} from 'werift';

interface RtcpRecipient {
  handleRtcpPacket(packet: unknown): void;
}

interface RouterLike {
  ssrcTable: Record<number, RtcpRecipient | undefined>;
  routeRtcp(packet: unknown): void;
}

/**
 * Key-frame requests (PLI/FIR) name the stream they are about in their media SSRC, but werift routes them
 * by the *sender* SSRC first. Chromium sends its RTCP from the SSRC of one of its own outgoing streams,
 * which the SFU knows as an incoming stream, so once a client has sent any media its PLIs for a stream
 * it receives went to the wrong object and no key frame was ever requested (a screen share stayed black).
 */
export function routeKeyframeRequestsByMediaSsrc(pc: RTCPeerConnection): void {
  const router = (pc as unknown as {router: RouterLike}).router;
  const original = router.routeRtcp.bind(router);
  router.routeRtcp = (packet: unknown) => {
    if (packet instanceof RtcpPayloadSpecificFeedback && packet.feedback.count !== ReceiverEstimatedMaxBitrate.count) {
      const target = router.ssrcTable[(packet.feedback as unknown as {mediaSsrc: number}).mediaSsrc];
      if (target) {
        target.handleRtcpPacket(packet);
        return;
      }
    }
    original(packet);
  };
}

/** A candidate pair's record of the checks it received (ice/src/iceBase.js CandidatePair). */
export interface CandidatePairRequests {
  requestTransactionIds: Set<string>;
  retransmissionsReceived: number;
  noteIncomingRequest(transactionId: string): boolean;
}

/**
 * werift's ICE constants and the consent wait, read by its agents at each use, and its candidate pair class
 * (ice/src/iceBase.js).
 */
export interface IceBaseModule {
  CONSENT_INTERVAL: number;
  CONSENT_TIMEOUT: number;
  consentResponseTimeoutMs(rttSeconds?: number): number;
  CandidatePair: {
    new (protocol: unknown, remoteCandidate: unknown, iceControlling: boolean): CandidatePairRequests;
    prototype: CandidatePairRequests;
  };
}

/** The module object werift's ICE agents read (the package's exports map does not list it). */
export function weriftIceBase(): IceBaseModule {
  return weriftModule<IceBaseModule>('ice/src/iceBase.js');
}

let lateConsentAnswersCount = false;

/**
 * werift counts a consent check's answer (RFC 7675) only if it arrives within 2 × the last round trip + 200 ms
 * (at least 500 ms); a later one is dropped and does not update the round trip. A werift client whose path to the
 * SFU suddenly slows — an uplink's queue filling, a busy machine — gets every answer late, and 30 s later drops the
 * call although every answer arrived. An answer now counts until shortly before the next check (0.8 × the
 * interval, the shortest randomised wait), as browsers do. For the SFU's own werift clients (the recorder, the
 * tests'); the SFU itself sends no consent checks after the first (clientConsent.ts). Process-wide and idempotent.
 */
export function countLateConsentAnswers(): void {
  if (lateConsentAnswersCount) return;
  lateConsentAnswersCount = true;
  const iceBase = weriftIceBase();
  const original = iceBase.consentResponseTimeoutMs;
  iceBase.consentResponseTimeoutMs = (rtt) => Math.max(original(rtt), Math.round(iceBase.CONSENT_INTERVAL * 800));
}

/** Transaction ids a pair remembers: a check's retransmissions come within seconds (RFC 8489 §6.2.1). */
export const REMEMBERED_REQUEST_IDS = 64;
let requestIdsBounded = false;

/**
 * werift remembers the transaction id of every check a pair ever received, to count retransmissions, and never
 * forgets one: a pair that werift answers for a day (an ICE-TCP client's consent checks every ≈ 5 s; the mux answers
 * UDP ones itself) holds ≈ 17,000 strings. Only the latest REMEMBERED_REQUEST_IDS are kept now. Idempotent.
 */
export function boundIncomingRequestIds(): void {
  if (requestIdsBounded) return;
  requestIdsBounded = true;
  weriftIceBase().CandidatePair.prototype.noteIncomingRequest = function (
    this: CandidatePairRequests,
    transactionId: string,
  ) {
    const ids = this.requestTransactionIds;
    if (ids.has(transactionId)) {
      this.retransmissionsReceived++;
      return true;
    }
    ids.add(transactionId);
    if (ids.size > REMEMBERED_REQUEST_IDS) ids.delete(ids.values().next().value as string);
    return false;
  };
}

const certificateFingerprints = new WeakMap<RTCCertificate, ReturnType<RTCCertificate['getFingerprints']>>();
let fingerprintsCached = false;

/**
 * werift computes its certificate's fingerprint by parsing the certificate's PEM again on every read of a
 * transport's local DTLS parameters — every offer and answer of every session, ≈ 0.25 ms each, which added up to
 * seconds when a speaker's leave re-offered to a thousand listeners at once. A certificate never changes: its
 * fingerprints are computed once (each caller still gets its own array). Idempotent.
 */
export function cacheCertificateFingerprints(): void {
  if (fingerprintsCached) return;
  fingerprintsCached = true;
  const proto = RTCCertificate.prototype;
  const compute = proto.getFingerprints;
  proto.getFingerprints = function (this: RTCCertificate) {
    let fingerprints = certificateFingerprints.get(this);
    if (!fingerprints) certificateFingerprints.set(this, (fingerprints = compute.call(this)));
    return [...fingerprints];
  };
}

/** The SRTP context fields werift fills with HMAC-SHA1 objects it never reads again (rtp/src/srtp/context/context.js). */
interface SrtpContextHmacs {
  srtpSessionAuth?: unknown;
  srtcpSessionAuth?: unknown;
}
let srtpHmacsDropped = false;

/**
 * Every SRTP context werift makes (four a transport: SRTP and SRTCP, each way) creates two HMAC-SHA1 objects at
 * once, whatever the profile, and never uses them: AES-GCM authenticates with its tag, and werift's AES-CM cipher and
 * `generateSrtpAuthTag` each make their own. Each holds an OpenSSL context, ≈ 1.3 KB of C heap: ≈ 10 KB a session
 * for nothing. They are dropped as soon as a transport's contexts exist. Idempotent.
 */
export function dropUnusedSrtpHmacs(): void {
  if (srtpHmacsDropped) return;
  srtpHmacsDropped = true;
  const proto = RTCDtlsTransport.prototype as unknown as {updateSrtpSession(): void};
  const update = proto.updateSrtpSession;
  proto.updateSrtpSession = function (this: RTCDtlsTransport) {
    update.call(this);
    for (const session of [this.srtp, this.srtcp] as unknown as Array<
      {localContext?: SrtpContextHmacs; remoteContext?: SrtpContextHmacs} | undefined
    >) {
      for (const context of [session?.localContext, session?.remoteContext]) {
        if (!context) continue;
        context.srtpSessionAuth = undefined;
        context.srtcpSessionAuth = undefined;
      }
    }
  };
}

/** DTLS records held per transport before its handshake starts: a client's first flight and a retransmission. */
const MAX_EARLY_DTLS_RECORDS = 4;
const HOLDS_EARLY_DTLS = Symbol('callsHoldsEarlyDtls');

interface DtlsStartInternals {
  state: string;
  start(): Promise<void>;
  iceTransport: {connection: unknown};
  [HOLDS_EARLY_DTLS]?: true;
}

/** A DTLS handshake record carrying a ClientHello (record header 13 bytes, then msg_type, length, message_seq). */
function isClientHello(buf: Buffer): boolean {
  return buf.length > 19 && buf[0] === 22 && buf[13] === 1;
}

/**
 * A client starts DTLS as soon as its own ICE checks succeed; werift's transport listens only once its agent
 * reports `connected`, which can come a little later, and until then it drops what arrives. A ClientHello lost
 * that way cost the join a whole DTLS retransmission timeout (0.5 s in werift, 1 s in browsers). Records that
 * arrive before the transport started are now held (a few, copied) and handed to it the moment it starts, as
 * browsers do with an early ClientHello. Idempotent per transport; transports created later need another call.
 */
export function holdEarlyDtlsRecords(pc: RTCPeerConnection): void {
  for (const transport of pc.dtlsTransports) {
    const t = transport as unknown as DtlsStartInternals;
    if (t[HOLDS_EARLY_DTLS] || t.state !== 'new') continue;
    t[HOLDS_EARLY_DTLS] = true;
    const data = (t.iceTransport.connection as {onData: {execute: (data: Buffer) => void}}).onData;
    const deliver = data.execute;
    let held: Buffer[] = [];
    data.execute = (buf: Buffer) => {
      // RFC 7983: DTLS records start with 20–63; anything else (RTP before DTLS would be a client bug) passes.
      if (t.state !== 'new' || buf.length === 0 || buf[0] < 20 || buf[0] > 63) return deliver(buf);
      // A ClientHello sent again while we were not listening replaces the held one: one handshake, one answer
      // (two HelloVerifyRequests fail werift's client; two first flights are a needless kilobyte).
      if (isClientHello(buf))
        held = held.filter((h) => !isClientHello(h) || h.readUInt16BE(17) !== buf.readUInt16BE(17));
      if (held.length < MAX_EARLY_DTLS_RECORDS) held.push(Buffer.from(buf));
    };
    const start = t.start.bind(t);
    t.start = () => {
      // werift's start() subscribes its DTLS socket synchronously, before its first await.
      const started = start();
      data.execute = deliver;
      const early = held;
      held = [];
      for (const buf of early) deliver(buf);
      return started;
    };
  }
}
