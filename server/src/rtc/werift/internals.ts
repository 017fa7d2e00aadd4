// The one place the SFU reads or writes werift objects below their public API (werift 0.25.2), behind
// small typed functions. The ICE agent is in iceAgent.ts (with iceSettle.ts, muxUdpTransport.ts and
// packetSink.ts, its send path), behaviour corrections in fixes.ts, the DTLS handshake's crypto in
// dtlsCrypto.ts, flat long-lived strings in flatStrings.ts; nothing else in rtc/ casts a werift object.
// Upgrading werift means re-checking these files.
import {RtcpReceiverInfo, RtcpRrPacket} from 'werift';
import type {RTCDtlsTransport, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender} from 'werift';
import {Socket} from 'node:dgram';
import {isIP} from 'node:net';
import type {StreamStatisticsFields} from '../fastpath/receiveStatistics';
import {receiveInsteadOfDgram, type BatchedSocket} from '../net/batchedReceive';
import type {SrtpContextKeys} from '../fastpath/srtpGcm';

export {IceAgent} from './iceAgent';
export {settleIceOnCompletion} from './iceSettle';
export {PacketSink, SinkRoute} from './packetSink';
export {
  boundIncomingRequestIds,
  cacheCertificateFingerprints,
  countLateConsentAnswers,
  dropUnusedSrtpHmacs,
  holdEarlyDtlsRecords,
  routeKeyframeRequestsByMediaSsrc,
} from './fixes';
export {installLeanEvents} from './leanEvent';
export {flattenWeriftStrings} from './flatStrings';
export {nativeDtlsCrypto} from './dtlsCrypto';
export {
  answerHelloWithoutCookie,
  dtlsHandshakeError,
  ignoreRepeatedHelloVerify,
  onDtlsSocket,
  type DtlsSocketInternals,
} from './dtlsSocket';

/** werift's remote SRTP context as the fast receive path reads it (rtp/src/srtp/context/context.js). */
export interface RemoteSrtpContext extends SrtpContextKeys {
  getSrtpSsrcState(ssrc: number): {rolloverCounter: number; lastSequenceNumber: number};
}

/** The SRTP context that encrypts what we send on this transport, once DTLS has produced keys. */
export function localSrtpContext(dtls: RTCDtlsTransport): SrtpContextKeys | undefined {
  return dtls.srtp?.localContext as unknown as SrtpContextKeys | undefined;
}

/** The SRTP context that decrypts what the peer sends on this receiver's transport, with its per-SSRC state. */
export function remoteSrtpContext(receiver: RTCRtpReceiver): RemoteSrtpContext | undefined {
  const context = receiver.dtlsTransport.srtp?.remoteContext as unknown as RemoteSrtpContext | undefined;
  return context && typeof context.getSrtpSsrcState === 'function' ? context : undefined;
}

/** The receive statistics werift keeps for one incoming SSRC (its receiver reports are built from them). */
export function receiveStatistics(receiver: RTCRtpReceiver, ssrc: number): StreamStatisticsFields | undefined {
  return (receiver as unknown as {remoteStreams: Record<number, StreamStatisticsFields | undefined>}).remoteStreams[
    ssrc
  ];
}

/**
 * Takes a receiver's reports over from werift (RFC 3550 §6.4.2 receiver reports, which werift sends every
 * 0.5–1.5 s from the first packet on): its loop stops or never starts. The SFU's RtcpReports sends
 * receiverReport() instead; a load-test receiver whose packets bypass werift sends none.
 */
export function claimReceiverReports(receiver: RTCRtpReceiver): void {
  const r = receiver as unknown as {rtcpRunning: boolean; rtcpCancel?: AbortController};
  r.rtcpCancel?.abort();
  // werift starts its loop only while this is false (and stop() ends it for good).
  r.rtcpRunning = true;
}

interface ReceiverReportState {
  rtcpSsrc: number;
  remoteStreams: Record<
    string,
    StreamStatisticsFields & {fraction_lost: number; packets_lost: number; max_seq: number; jitter: number}
  >;
  lastSRtimestamp: Record<string, number | undefined>;
  receiveLastSRTimestamp: Record<string, number | undefined>;
}

/** The receiver report werift's loop would send now for a receiver's incoming streams, or undefined if none. */
export function receiverReport(receiver: RTCRtpReceiver): RtcpRrPacket | undefined {
  const r = receiver as unknown as ReceiverReportState;
  const reports: RtcpReceiverInfo[] = [];
  for (const [key, stream] of Object.entries(r.remoteStreams)) {
    const lsr = r.lastSRtimestamp[key] ?? 0;
    let dlsr = 0;
    const at = r.receiveLastSRTimestamp[key];
    if (lsr && at !== undefined) {
      // DLSR: time since that SR in 1/65536 s (werift's timestampSeconds clock: seconds since the Unix epoch).
      const delay = Date.now() / 1000 - at;
      if (delay > 0 && delay < 65536) dlsr = Math.floor(delay * 65536);
    }
    reports.push(
      new RtcpReceiverInfo({
        ssrc: Number(key),
        fractionLost: stream.fraction_lost,
        packetsLost: stream.packets_lost,
        highestSequence: stream.max_seq,
        jitter: stream.jitter,
        lsr,
        dlsr,
      }),
    );
  }
  return reports.length ? new RtcpRrPacket({ssrc: r.rtcpSsrc, reports}) : undefined;
}

/** The track id the sender announces in SDP (a=msid); werift derives it and offers no setter. */
export function setSenderTrackId(sender: RTCRtpSender, trackId: string): void {
  (sender as {trackId: string}).trackId = trackId;
}

/** DTLS-SRTP protection profile of the peer connection's first transport (7 AES-GCM, 1 AES-CM), once connected. */
export function srtpProfile(pc: RTCPeerConnection): number | undefined {
  const transport = pc.dtlsTransports[0];
  return transport ? localSrtpContext(transport)?.profile : undefined;
}

/** The STUN server werift's first ICE agent would ask (the SFU clears it; diagnostics show it). */
export function agentStunServer(pc: RTCPeerConnection): unknown {
  return (pc.iceTransports[0]?.connection as unknown as {stunServer?: unknown} | undefined)?.stunServer;
}

/** werift falls back to a public Google STUN server when none is configured: a peer that must not ask one clears it. */
export function clearAgentStunServers(pc: RTCPeerConnection): void {
  for (const t of pc.iceTransports) (t.connection as unknown as {stunServer?: unknown}).stunServer = undefined;
}

/**
 * werift's DTLS handshake retransmits a flight up to 10 times (about 33 s) and does not stop when the
 * transport closes; marking the handshake as past every flight ends those loops at their next wake-up.
 */
export function stopDtlsRetransmissions(pc: RTCPeerConnection): void {
  for (const t of pc.dtlsTransports) {
    const context = t.dtls?.dtls;
    if (context) context.flight = Number.MAX_SAFE_INTEGER;
  }
}

/** werift's UDP ICE protocol (lib/ice/src/stun/protocol.js): every datagram of its socket passes here. */
interface DatagramProtocol {
  datagramReceived(data: Buffer, addr: unknown): void;
  /** werift's UdpTransport: its socket, and the last source it heard from (a send without an address goes there). */
  transport?: {socket?: unknown; rinfo?: {address: string; port: number; family: string; size: number}};
  [INTERCEPTED]?: (data: Buffer) => boolean;
}
const INTERCEPTED = Symbol('callsDatagramIntercept');

/**
 * Lets `take` see every datagram a peer connection's own UDP sockets receive before werift parses it (a
 * client-side peer, which owns its sockets; the SFU's sessions are fed by the port mux instead). What
 * `take` returns true for, werift never sees. Protocols added later (an ICE restart) need another call.
 * `batched`: the sockets are read in batches by the native addon where it can; those readers are returned.
 */
export function interceptDatagrams(
  pc: RTCPeerConnection,
  take: (data: Buffer) => boolean,
  o: {batched?: boolean} = {},
): BatchedSocket[] {
  const batched: BatchedSocket[] = [];
  for (const t of pc.iceTransports) {
    const protocols = (t.connection as unknown as {protocols?: unknown[]}).protocols ?? [];
    for (const p of protocols) {
      const proto = p as DatagramProtocol;
      if (typeof proto.datagramReceived !== 'function' || proto[INTERCEPTED]) continue;
      const original = proto.datagramReceived.bind(proto);
      proto[INTERCEPTED] = take;
      proto.datagramReceived = (data, addr) => {
        if (!take(data)) original(data, addr);
      };
      const reader = o.batched ? readInBatches(proto) : undefined;
      if (reader) batched.push(reader);
    }
  }
  return batched;
}

/**
 * The protocol's socket is read by the native addon in batches (net/batchedReceive.ts) instead of one dgram event
 * per datagram, each datagram still going through datagramReceived; nothing changes without the addon.
 */
function readInBatches(proto: DatagramProtocol): BatchedSocket | undefined {
  const transport = proto.transport;
  const socket = transport?.socket;
  if (!transport || !(socket instanceof Socket)) return undefined;
  const reader = receiveInsteadOfDgram(socket, (data, host, port) => {
    if (transport.rinfo?.port !== port || transport.rinfo.address !== host)
      transport.rinfo = {address: host, port, family: isIP(host) === 6 ? 'IPv6' : 'IPv4', size: data.length};
    proto.datagramReceived(data, [host, port]);
  });
  socket.once('close', () => reader?.close());
  return reader;
}

/** What the selected ICE pair saw: our consent checks and their answers, the client's checks, its datagrams. */
export interface IcePairCounters {
  consentChecksSent: number;
  answersReceived: number;
  checksReceived: number;
  packetsReceived: number;
  rttMs: number | undefined;
}

/** The selected pair's counters (werift's CandidatePair fields), for the log line of a failed connection. */
export function icePairCounters(pc: RTCPeerConnection): IcePairCounters | undefined {
  const pair = (pc.iceTransports[0]?.connection as unknown as {nominated?: Record<string, number | undefined>})
    ?.nominated;
  if (!pair) return undefined;
  const n = (k: string) => Number(pair[k] ?? 0);
  return {
    consentChecksSent: n('consentRequestsSent'),
    answersReceived: n('responsesReceived'),
    checksReceived: n('requestsReceived'),
    packetsReceived: n('packetsReceived'),
    rttMs: pair.rtt === undefined ? undefined : Math.round(Number(pair.rtt) * 1000),
  };
}

/** The UDP sockets a client-side peer connection receives on (werift's UdpTransport of each ICE protocol). */
export function udpSockets(pc: RTCPeerConnection): Socket[] {
  const sockets: Socket[] = [];
  for (const t of pc.iceTransports) {
    const protocols = (t.connection as unknown as {protocols?: unknown[]}).protocols ?? [];
    for (const p of protocols) {
      const socket = (p as {transport?: {socket?: unknown}}).transport?.socket;
      if (socket instanceof Socket) sockets.push(socket);
    }
  }
  return sockets;
}
