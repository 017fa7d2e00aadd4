// A session's periodic RTCP reports (RFC 3550 §6.4): sender reports for the streams the fast writer sends
// (werift's RTCRtpSender would report its own counters, which the fast path bypasses) and receiver reports
// for the incoming audio streams the fast receive path took over, in one compound packet per transport.
import type {RTCDtlsTransport, RTCRtpReceiver, RtcpPacket} from 'werift';
import type {DownstreamTrack} from './forwarder';
import {receiverReport} from '../werift/internals';

/**
 * Mean report interval (RFC 3550 §6.2), as browsers use: libwebrtc reports every second when video flows and
 * every 5 s for audio. An audio report is for statistics and lip sync only, and a session in a large call
 * would otherwise cost the SFU an SRTCP packet a second.
 */
const VIDEO_INTERVAL_MS = 1000;
const AUDIO_INTERVAL_MS = 5000;

export interface RtcpReportSources {
  /** The streams this session is sent (sender reports). */
  streams(): Iterable<DownstreamTrack>;
  /** The receivers whose reports werift no longer sends (claimReceiverReports). */
  receivers(): Iterable<RTCRtpReceiver>;
}

/** Sends one session's reports every ≈ 1 s while it is sent video, every ≈ 5 s otherwise. */
export class RtcpReports {
  readonly #sources: RtcpReportSources;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(sources: RtcpReportSources) {
    this.#sources = sources;
  }

  /** Starts the reports (idempotent): the first one comes within a second, for a new receiver's lip sync. */
  start(): void {
    if (!this.#timer && !this.#closed) this.#schedule(true);
  }

  #schedule(video: boolean): void {
    // Randomised over 0.5–1.5 × the interval so reports of many sessions do not synchronise.
    const mean = video ? VIDEO_INTERVAL_MS : AUDIO_INTERVAL_MS;
    this.#timer = setTimeout(() => this.#schedule(this.#send()), mean * (0.5 + Math.random()));
    this.#timer.unref();
  }

  /** Sends the reports due; true if a stream is video. */
  #send(): boolean {
    const now = Date.now();
    const byTransport = new Map<RTCDtlsTransport, RtcpPacket[]>();
    const add = (transport: RTCDtlsTransport, packet: RtcpPacket) => {
      const list = byTransport.get(transport);
      if (list) list.push(packet);
      else byTransport.set(transport, [packet]);
    };
    let video = false;
    for (const d of this.#sources.streams()) {
      if (d.sender.kind === 'video') video = true;
      const sr = d.senderReport(now);
      if (sr) add(d.dtlsTransport, sr);
    }
    for (const r of this.#sources.receivers()) {
      const rr = receiverReport(r);
      if (rr) add(r.dtlsTransport, rr);
    }
    for (const [transport, reports] of byTransport) {
      if (transport.state !== 'connected') continue;
      transport.sendRtcp(reports).catch(() => {});
    }
    return video;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
