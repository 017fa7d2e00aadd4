// A lean receive-only load-test peer: werift does ICE, DTLS and calls-dc exactly as for any client, then
// every datagram meets interceptDatagrams first. RTP is counted per SSRC from its header; one packet in
// `sampleEvery` is authenticated and decrypted through the server's fast receive path (Ingress, takeover.ts)
// and its payload checked; inbound RTCP is dropped and werift's receiver reports stopped. With the native addon
// the peer's sockets are read in batches, and a stream once taken over is counted in the addon (recvmmsg,
// no JavaScript per packet): only its samples reach JavaScript.
import type {RTCRtpTransceiver} from 'werift';
import {Ingress} from '../../server/src/rtc/fastpath/ingress';
import {takeOverReceivedAudio} from '../../server/src/rtc/fastpath/takeover';
import {claimReceiverReports, interceptDatagrams} from '../../server/src/rtc/werift/internals';
import {setRtpCountGate, type BatchedSocket} from '../../server/src/rtc/net/batchedReceive';
import type {ReceivedTrack, TestClient} from '../rtc/support/client';

export interface LeanStream {
  ssrc: number;
  mid: string;
  kind: 'audio' | 'video';
  /** RTP packets counted while the gate was open (sync() adds the addon's count). */
  packets: number;
  /** Packets decrypted (whole run), and of those: authentic with a payload the check accepted, or not. */
  sampled: number;
  verified: number;
  failed: number;
  sinceSample: number;
  /** Counted by the native addon on these sockets (every packet reaching JavaScript is then a sample). */
  native?: BatchedSocket[];
  /** Packets counted here before the addon took over. */
  counted: number;
}

/** Whether a decrypted sample's payload is what the stream's sender sent. */
export type PayloadCheck = (payload: Buffer, stream: LeanStream) => boolean;

export interface LeanReceiverOptions {
  /** Decrypt one packet in this many per stream (default 50: one a second of audio). */
  sampleEvery?: number;
  check?: PayloadCheck;
  /** Packets are counted only while `open` (the load test's measurement window); default always. */
  gate?: CountGate;
  /** Tests only: a copy of every counted datagram that is not sampled, before anything reads it. */
  tap?: (datagram: Buffer, stream: LeanStream) => void;
}

/**
 * When lean receivers count: the load test's measurement window. Streams counted in the native addon follow it
 * too, so a process has one gate at a time (the addon's is process-wide).
 */
export class CountGate {
  #open: boolean;

  constructor(open = true) {
    this.#open = open;
    setRtpCountGate(open);
  }

  get open(): boolean {
    return this.#open;
  }

  set open(on: boolean) {
    if (on === this.#open) return;
    this.#open = on;
    setRtpCountGate(on);
  }
}

let alwaysCounting: CountGate | undefined;

export type SampleOutcome = 'verified' | 'failed' | 'unexpected';

export class LeanReceiver {
  readonly peer: TestClient;
  /** Streams taken over, by SSRC: werift routed their first packet to one of this peer's tracks. */
  readonly streams = new Map<number, LeanStream>();
  readonly errors: string[] = [];
  readonly #ingress = new Ingress();
  readonly #strangers = new Map<number, number>();
  readonly #sampleEvery: number;
  readonly #check: PayloadCheck | undefined;
  readonly #gate: CountGate;
  #sockets: BatchedSocket[] = [];
  readonly #tap: LeanReceiverOptions['tap'];
  #ok = false;

  /** Before the peer starts: its tracks are taken over as their first packet arrives. */
  constructor(peer: TestClient, o: LeanReceiverOptions = {}) {
    this.peer = peer;
    this.#sampleEvery = Math.max(1, o.sampleEvery ?? 50);
    this.#check = o.check;
    this.#gate = o.gate ?? (alwaysCounting ??= new CountGate());
    this.#tap = o.tap;
    peer.on('rtp', (rec: ReceivedTrack, rtp: {header: {ssrc: number}}) => this.#firstPacket(rec, rtp.header.ssrc));
  }

  /** Once the peer has started (its sockets exist): from now on datagrams pass here before werift. */
  attach(): void {
    // Read in batches (one JS call per event-loop turn for all of the process's peers) where the addon allows.
    this.#sockets = interceptDatagrams(this.peer.pc, (data) => this.#take(data), {batched: true});
  }

  /** Brings `packets` up to date with what the addon counted. */
  sync(): void {
    for (const s of this.streams.values())
      if (s.native) s.packets = s.native.reduce((n, socket) => n + socket.counted(s.ssrc), s.counted);
  }

  /** RTP that reached werift on SSRCs none of this peer's tracks announced (a misrouted or forged stream). */
  get unexpected(): number {
    let n = 0;
    for (const c of this.#strangers.values()) n += c;
    return n;
  }

  /** Runs the sample check on one datagram now, whatever the sampling rate (a datagram is consumed: decrypted in place). */
  check(datagram: Buffer): SampleOutcome {
    if (datagram.length < 12) return 'unexpected';
    const stream = this.streams.get(datagram.readUInt32BE(8));
    if (!stream) return 'unexpected';
    return this.#sample(stream, datagram) ? 'verified' : 'failed';
  }

  #firstPacket(rec: ReceivedTrack, ssrc: number): void {
    if (this.streams.has(ssrc)) return;
    const t: RTCRtpTransceiver = rec.transceiver;
    const stream: LeanStream = {
      ssrc,
      mid: t.mid ?? '',
      kind: t.kind === 'video' ? 'video' : 'audio',
      // This packet, and any before it werift was still handling, were counted as strangers at #take.
      packets: this.#strangers.get(ssrc) ?? 0,
      sampled: 0,
      verified: 0,
      failed: 0,
      sinceSample: 0,
      counted: 0,
    };
    this.#strangers.delete(ssrc);
    const giveBack = takeOverReceivedAudio(this.#ingress, t, ssrc, (_seq, _ts, _marker, payload) => {
      this.#ok = this.#check ? this.#check(payload, stream) : true;
    });
    if (!giveBack) {
      if (this.errors.length < 5)
        this.errors.push(`stream ${ssrc}: SRTP is not AES-GCM, a lean receiver cannot read it`);
      return;
    }
    this.streams.set(ssrc, stream);
    claimReceiverReports(t.receiver);
    // The tap wants every datagram, so a tapped receiver counts in JavaScript.
    if (!this.#tap && this.#sockets.length > 0 && this.#sockets.every((s) => s.countRtp(ssrc, this.#sampleEvery))) {
      stream.native = this.#sockets;
      stream.counted = stream.packets;
    }
  }

  /** Every datagram of the peer's sockets; true = handled here, werift never sees it. */
  #take(data: Buffer): boolean {
    // STUN (0–3) and DTLS (20–63, the data channel inside) stay with werift.
    if (data.length < 12 || (data[0] & 0xc0) !== 0x80) return false;
    const pt = data[1] & 0x7f;
    // RTCP (RFC 5761): sender reports and the like, which a receiver that reports nothing does not need.
    if (pt >= 64 && pt <= 95) return this.streams.size > 0;
    const ssrc = data.readUInt32BE(8);
    const stream = this.streams.get(ssrc);
    if (!stream) {
      // werift gets it: the first packet of a track is taken over from there (#firstPacket), anything else is a stranger.
      if (this.#gate.open) this.#strangers.set(ssrc, (this.#strangers.get(ssrc) ?? 0) + 1);
      return false;
    }
    if (stream.native) {
      // The addon counted it and passed it on as the one in sampleEvery (or it was read before the addon took over).
      this.#sample(stream, data);
      return true;
    }
    if (this.#gate.open) stream.packets++;
    if (++stream.sinceSample >= this.#sampleEvery) {
      stream.sinceSample = 0;
      this.#sample(stream, data);
    } else if (this.#tap) this.#tap(Buffer.from(data), stream);
    return true;
  }

  /** Authenticates and decrypts in place (Ingress: replay window, ROC), then checks the payload. */
  #sample(stream: LeanStream, data: Buffer): boolean {
    this.#ok = false;
    stream.sampled++;
    this.#ingress.take(data);
    if (this.#ok) stream.verified++;
    else stream.failed++;
    return this.#ok;
  }
}
