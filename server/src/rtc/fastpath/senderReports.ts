// RTCP sender reports (RFC 3550 §6.2) for the streams the fast writer sends: werift's RTCRtpSender
// would report its own counters, which the fast path bypasses.
import type {RTCDtlsTransport, RtcpSrPacket} from 'werift';
import type {DownstreamTrack} from './forwarder';

/**
 * Mean report interval (RFC 3550 §6.2), as browsers use: libwebrtc reports video streams every second and audio
 * every 5 s. A receiver needs an audio SR only for lip sync and statistics, and a session hearing a large call
 * would otherwise cost the SFU an SRTCP packet a second.
 */
const VIDEO_INTERVAL_MS = 1000;
const AUDIO_INTERVAL_MS = 5000;

/** Sends the sender reports of one session's outgoing streams (every ≈ 1 s with video, ≈ 5 s audio only). */
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

  #schedule(video = true): void {
    // Randomised over 0.5–1.5 × the interval so reports of many sessions do not synchronise. Until the first
    // report, the video interval: a new receiver gets its first SR soon.
    const mean = video ? VIDEO_INTERVAL_MS : AUDIO_INTERVAL_MS;
    this.#timer = setTimeout(() => this.#schedule(this.#send()), mean * (0.5 + Math.random()));
    this.#timer.unref();
  }

  /** Sends the reports due; true if a stream is video. */
  #send(): boolean {
    const now = Date.now();
    const byTransport = new Map<RTCDtlsTransport, RtcpSrPacket[]>();
    let video = false;
    for (const d of this.#streams()) {
      if (d.sender.kind === 'video') video = true;
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
    return video;
  }

  close(): void {
    this.update(false);
  }
}
