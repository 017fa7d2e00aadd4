// What a DownstreamTrack hands its packets to: the packet it forwards, the writer interface, and
// werift's own RTCRtpSender as a writer (the stock mode, kept as the reference the fast writer is checked
// against in forwarder.bench.ts and test/rtc/fastpath.test.ts).
import {RtpHeader, RtpPacket, type RTCDtlsTransport, type RTCRtpSender, type RtcpSrPacket} from 'werift';
import type {Logger} from '../../log';

/** One packet to forward: what the writers need, whichever receive path it came from. */
export interface MediaPacket {
  payload: Buffer;
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payloadType: number;
  /** werift's packet when it came through werift (the stock writer sends that). */
  rtp?: RtpPacket;
}

/** A MediaPacket view of a werift packet. */
export function mediaPacket(rtp: RtpPacket): MediaPacket {
  const h = rtp.header;
  return {
    payload: rtp.payload,
    sequenceNumber: h.sequenceNumber,
    timestamp: h.timestamp,
    marker: h.marker,
    payloadType: h.payloadType,
    rtp,
  };
}

/** Puts one receiver's copy of a stream on the wire. */
export interface RtpWriter {
  /** False when the packet could not go out (transport not up yet). */
  write(rtp: MediaPacket): boolean;
  /** The next packet starts a new source: keep seq/timestamps continuous. */
  sourceChanged(): void;
  senderReport(nowMs: number): RtcpSrPacket | undefined;
  readonly dtlsTransport: RTCDtlsTransport;
  close(): void;
}

/** werift's RTCRtpSender: clone, rewrite, its own NACK cache and sender reports. */
export class StockWriter implements RtpWriter {
  readonly #sender: RTCRtpSender;
  readonly #logger: Logger;

  constructor(sender: RTCRtpSender, logger: Logger) {
    this.#sender = sender;
    this.#logger = logger;
  }

  get dtlsTransport(): RTCDtlsTransport {
    return this.#sender.dtlsTransport;
  }

  write(pkt: MediaPacket): boolean {
    const rtp =
      pkt.rtp ??
      new RtpPacket(
        new RtpHeader({
          sequenceNumber: pkt.sequenceNumber,
          timestamp: pkt.timestamp,
          marker: pkt.marker,
          payloadType: pkt.payloadType,
        }),
        pkt.payload,
      );
    // The publisher's extension ids mean nothing in this receiver's negotiation.
    if (rtp.header.extensions.length > 0) rtp.header.extensions = [];
    this.#sender.sendRtp(rtp).catch((err: unknown) => this.#logger.debug({err}, 'rtp send failed'));
    return true;
  }

  sourceChanged(): void {
    this.#sender.replaceRTP({sequenceNumber: 0, timestamp: 0}, true);
  }

  senderReport(): undefined {
    return undefined;
  }

  close(): void {}
}
