// The forwarding path: an UpstreamTrack is one incoming RTP stream (a remote track or one simulcast
// layer) fanned out to DownstreamTracks, each the sending side of one receiver's transceiver. Key-frame
// requests (PLI/FIR) travel the other way, rate-limited per source. The writers that put each
// receiver's copy on the wire are in fastWriter.ts (default) and rtpWriter.ts (werift's, the reference).
import {
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  type RTCDtlsTransport,
  type RTCRtpSender,
  type RtcpSrPacket,
} from 'werift';
import type {Clock} from '../../clock';
import type {Logger} from '../../log';
import {newRtpCounters, type RtpCounters} from '../../metrics';
import {RateMonitor} from '../media/simulcast';
import {FastWriter} from './fastWriter';
import {StockWriter, type MediaPacket, type RtpWriter} from './rtpWriter';

export {mediaPacket, type MediaPacket} from './rtpWriter';

export type ForwardingMode = 'fast' | 'stock';

/** RTCP PSFB FMT of a Full Intra Request (RFC 5104); werift parses it but does not export the class. */
const FIR_FMT = 4;
/** Reference §5.4: one forwarded key-frame request per second per source. */
const KEYFRAME_REQUEST_INTERVAL_MS = 1000;
/** One fan-out in this many is timed for rtc_rtp_tracks_writes_time (timing every packet costs more than the write). */
const WRITE_TIME_SAMPLE = 128;

/** What a track tells the native route that forwards its packets (nativeRoute.ts). */
export interface TrackRoute {
  writersChanged(): void;
  pausedChanged(paused: boolean): void;
  close(): void;
}

export interface UpstreamTrackOptions {
  kind: 'audio' | 'video';
  /** Simulcast rid ('l' / 'h'), or undefined for a single-layer track. */
  rid?: string;
  /** Sends a PLI for this stream to its publisher. */
  sendKeyframeRequest: () => void;
  clock: Clock;
  /** Server-wide RTP counters this track adds to. */
  counters?: RtpCounters;
  /** Receives the sampled time of one write (seconds), for rtc_rtp_tracks_writes_time. */
  onWriteTime?: (seconds: number) => void;
}

export class UpstreamTrack {
  readonly kind: 'audio' | 'video';
  readonly rid: string | undefined;
  #downstreams: DownstreamTrack[] = [];
  #paused = false;
  #closed = false;
  #lastKeyframeRequest = -Infinity;
  #packets = 0;
  #bytes = 0;
  readonly #sendKeyframeRequest: () => void;
  readonly #clock: Clock;
  readonly #counters: RtpCounters;
  readonly #onWriteTime: ((seconds: number) => void) | undefined;
  /** Video only: the measured source rate the simulcast layer choice compares against. */
  readonly #rate: RateMonitor | undefined;
  /** The native addon's route for this track's packets (nativeRoute.ts), when it has one. */
  route: TrackRoute | undefined;

  constructor(opts: UpstreamTrackOptions) {
    this.kind = opts.kind;
    this.rid = opts.rid;
    this.#sendKeyframeRequest = opts.sendKeyframeRequest;
    this.#clock = opts.clock;
    this.#counters = opts.counters ?? newRtpCounters();
    this.#onWriteTime = opts.onWriteTime;
    this.#rate = opts.kind === 'video' ? new RateMonitor(opts.rid === 'h' ? 2000 : 5000, opts.clock) : undefined;
  }

  /** bit/s of a video source over its window, -1 until known (and always for audio). */
  get bitrate(): number {
    return this.#rate?.rate ?? -1;
  }

  get packets(): number {
    return this.#packets;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get downstreamCount(): number {
    return this.#downstreams.length;
  }

  get downstreams(): readonly DownstreamTrack[] {
    return this.#downstreams;
  }

  /** While paused (a muted voice track) packets are dropped here, before any receiver work. */
  setPaused(paused: boolean): void {
    this.#paused = paused;
    this.route?.pausedChanged(paused);
  }

  /** Packets the native route forwarded (nativeRoute.ts), added to this track's and the server's counts. */
  countForwarded(packetsIn: number, bytesIn: number, packetsOut: number, bytesOut: number): void {
    this.#packets += packetsIn;
    this.#bytes += bytesIn;
    const counters = this.#counters;
    counters.packetsIn += packetsIn;
    counters.bytesIn += bytesIn;
    counters.packetsOut += packetsOut;
    counters.bytesOut += bytesOut;
  }

  /** A write time (seconds per receiver) the native route sampled. */
  observeWriteTime(seconds: number): void {
    this.#onWriteTime?.(seconds);
  }

  get paused(): boolean {
    return this.#paused;
  }

  forward(rtp: MediaPacket): void {
    if (this.#closed) return;
    const length = rtp.payload.length;
    this.#packets++;
    this.#bytes += length;
    const counters = this.#counters;
    counters.packetsIn++;
    counters.bytesIn += length;
    this.#rate?.push(length);
    if (this.#paused) return;
    const downs = this.#downstreams;
    const n = downs.length;
    if (n === 0) return;
    const timed = this.#onWriteTime !== undefined && this.#packets % WRITE_TIME_SAMPLE === 0;
    const start = timed ? performance.now() : 0;
    let sent = 0;
    for (let i = 0; i < n; i++) if (downs[i].send(rtp)) sent++;
    counters.packetsOut += sent;
    counters.bytesOut += sent * length;
    if (timed) this.#onWriteTime!((performance.now() - start) / 1000 / n);
  }

  requestKeyframe(): void {
    if (this.#closed || this.kind !== 'video') return;
    const now = this.#clock.now();
    if (now - this.#lastKeyframeRequest < KEYFRAME_REQUEST_INTERVAL_MS) return;
    this.#lastKeyframeRequest = now;
    this.#sendKeyframeRequest();
  }

  add(d: DownstreamTrack): void {
    if (this.#downstreams.includes(d)) return;
    this.#downstreams = [...this.#downstreams, d];
    this.route?.writersChanged();
  }

  remove(d: DownstreamTrack): void {
    if (!this.#downstreams.includes(d)) return;
    this.#downstreams = this.#downstreams.filter((x) => x !== d);
    this.route?.writersChanged();
  }

  /** Detaches every receiver; the tracks' owners remove their transceivers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.route?.close();
    for (const d of this.#downstreams) d.sourceClosed(this);
    this.#downstreams = [];
  }
}
export class DownstreamTrack {
  readonly sender: RTCRtpSender;
  #source: UpstreamTrack | undefined;
  #closed = false;
  #sent = 0;
  readonly #writer: RtpWriter;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(sender: RTCRtpSender, mode: ForwardingMode, logger: Logger) {
    this.sender = sender;
    this.#writer = mode === 'fast' ? new FastWriter(sender) : new StockWriter(sender, logger);
    this.#unsubscribe.push(
      sender.onRtcp.subscribe((packet) => {
        if (
          packet instanceof RtcpPayloadSpecificFeedback &&
          (packet.feedback instanceof PictureLossIndication || packet.feedback.count === FIR_FMT)
        ) {
          this.#source?.requestKeyframe();
        }
      }).unSubscribe,
    );
    if (this.#writer instanceof FastWriter) {
      const writer = this.#writer;
      this.#unsubscribe.push(sender.onGenericNack.subscribe((nack) => writer.retransmit(nack.lost)).unSubscribe);
    }
  }

  get source(): UpstreamTrack | undefined {
    return this.#source;
  }

  get sent(): number {
    return this.#sent + (this.#writer instanceof FastWriter ? this.#writer.nativeSent : 0);
  }

  get writer(): RtpWriter {
    return this.#writer;
  }

  get dtlsTransport(): RTCDtlsTransport {
    return this.#writer.dtlsTransport;
  }

  /**
   * Starts forwarding `source`, or switches to it. Whatever this stream carried before (another simulcast
   * layer, or another sender's track when its transceiver is reused), the numbering continues: receivers
   * drop SRTP packets whose index goes back (browsers' replay protection), and AES-GCM must never
   * encrypt one index twice.
   */
  attach(source: UpstreamTrack): void {
    if (this.#closed || this.#source === source) return;
    this.#source?.remove(this);
    this.#writer.sourceChanged();
    this.#source = source;
    source.add(this);
    source.requestKeyframe();
  }

  /** True if the packet went out. */
  send(rtp: MediaPacket): boolean {
    if (!this.#writer.write(rtp)) return false;
    this.#sent++;
    return true;
  }

  /** This stream's sender report for now, if it has sent anything (fast writer only). */
  senderReport(nowMs: number): RtcpSrPacket | undefined {
    return this.#writer.senderReport(nowMs);
  }

  /** Stops forwarding (the sender left); the stream keeps its numbering for the next attach. */
  detach(): void {
    this.#source?.remove(this);
    this.#source = undefined;
  }

  /** Called by the source when it goes away. */
  sourceClosed(source: UpstreamTrack): void {
    if (this.#source === source) this.#source = undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source?.remove(this);
    this.#source = undefined;
    for (const un of this.#unsubscribe) un();
    this.#writer.close();
  }
}
