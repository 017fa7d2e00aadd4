// RTCP sender reports (RFC 3550 §6.2) for the streams the fast writer sends: werift's RTCRtpSender
// would report its own counters, which the fast path bypasses.
import type {RTCDtlsTransport, RtcpSrPacket} from 'werift';
import type {DownstreamTrack} from './forwarder';

/** Sends the sender reports of one session's outgoing streams about once a second (RFC 3550 §6.2). */
export class SenderReports {
  readonly #streams: () => Iterable<DownstreamTrack>;
  #timer: NodeJS.Timeout | undefined;

  constructor(streams: () => Iterable<DownstreamTrack>) {
    this.#streams = streams;
  }

  /** Runs while there is something to report on; cheap to call after every change. */
  update(active: boolean): void {
    if (active && !this.#timer) this.#schedule();
    else if (!active && this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #schedule(): void {
    // Randomised 0.5–1.5 s interval so reports of many sessions do not synchronise.
    this.#timer = setTimeout(
      () => {
        this.#send();
        this.#schedule();
      },
      500 + Math.random() * 1000,
    );
    this.#timer.unref();
  }

  #send(): void {
    const now = Date.now();
    const byTransport = new Map<RTCDtlsTransport, RtcpSrPacket[]>();
    for (const d of this.#streams()) {
      const sr = d.senderReport(now);
      if (!sr) continue;
      const list = byTransport.get(d.dtlsTransport) ?? [];
      list.push(sr);
      byTransport.set(d.dtlsTransport, list);
    }
    for (const [transport, reports] of byTransport) {
      if (transport.state !== 'connected') continue;
      transport.sendRtcp(reports).catch(() => {});
    }
  }

  close(): void {
    this.update(false);
  }
}
