// Call quality from the peer's audio RTP stats (reference webapp.md §4.4): receive-side loss and jitter, send-side
// jitter and fraction lost from the remote's reports, latency from the DC round trip, folded into a MOS estimate
// (simplified E-model). Below 3.5 the widget warns that the call quality may be degraded.

import {Emitter} from '../utils/emitter';

export const MOS_THRESHOLD = 3.5;

/** MOS from latency and jitter in ms and loss in percent. */
export function calculateMOS(latencyMs: number, jitterMs: number, lossPercent: number): number {
  const eff = latencyMs + 2 * jitterMs + 10;
  let r = eff < 160 ? 93.2 - eff / 40 : 93.2 - (eff - 120) / 10;
  r -= 2.5 * lossPercent;
  if (r < 0) {
    return 1;
  }
  if (r > 100) {
    return 4.5;
  }
  return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
}

interface InSample {
  packetsReceived: number;
  packetsLost: number;
  jitter: number;
  remotePacketsSent?: number;
}
interface OutSample {
  packetsSent: number;
  jitter: number;
  fractionLost: number;
}

export interface StatsSource {
  getStats(): Promise<RTCStatsReport>;
  readonly rtt: number;
  handleMetrics(lossRate: number, jitter: number): void;
}

type MonitorEvents = {mos: [number]};

export class RTCMonitor extends Emitter<MonitorEvents> {
  readonly #peer: StatsSource;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setInterval> | null = null;
  #prevIn = new Map<string, InSample>();
  #prevOut = new Map<string, OutSample>();

  constructor(peer: StatsSource, intervalMs = 10000) {
    super();
    this.#peer = peer;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    if (this.#timer) {
      return;
    }
    this.#timer = setInterval(() => {
      this.#sample().catch(() => undefined);
    }, this.#intervalMs);
  }

  /** Forget the previous samples (after unmute, a paused sender would otherwise skew the deltas). */
  clearCache(): void {
    this.#prevIn.clear();
    this.#prevOut.clear();
  }

  stop(): void {
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
    this.removeAllListeners();
  }

  async #sample(): Promise<void> {
    const report = await this.#peer.getStats();
    const remoteOut = new Map<string, number>();
    const inNow = new Map<string, InSample>();
    const outNow = new Map<string, OutSample>();
    report.forEach((s: RTCStats & Record<string, unknown>) => {
      if (s.kind !== 'audio') {
        return;
      }
      const ssrc = String(s.ssrc);
      if (s.type === 'remote-outbound-rtp') {
        remoteOut.set(ssrc, Number(s.packetsSent || 0));
      } else if (s.type === 'inbound-rtp') {
        inNow.set(ssrc, {
          packetsReceived: Number(s.packetsReceived || 0),
          packetsLost: Number(s.packetsLost || 0),
          jitter: Number(s.jitter || 0),
        });
      } else if (s.type === 'remote-inbound-rtp') {
        outNow.set(ssrc, {packetsSent: 0, jitter: Number(s.jitter || 0), fractionLost: Number(s.fractionLost || 0)});
      } else if (s.type === 'outbound-rtp') {
        const prev = outNow.get(ssrc);
        outNow.set(ssrc, {
          packetsSent: Number(s.packetsSent || 0),
          jitter: prev?.jitter || 0,
          fractionLost: prev?.fractionLost || 0,
        });
      }
    });
    for (const [ssrc, sent] of remoteOut) {
      const s = inNow.get(ssrc);
      if (s) {
        s.remotePacketsSent = sent;
      }
    }

    let inJitter = 0;
    let inLoss = 0;
    let inCount = 0;
    for (const [ssrc, s] of inNow) {
      const prev = this.#prevIn.get(ssrc);
      if (!prev) {
        continue;
      }
      const received = s.packetsReceived - prev.packetsReceived;
      if (received <= 0) {
        continue;
      }
      let lost = s.packetsLost - prev.packetsLost;
      if (s.remotePacketsSent !== undefined && prev.remotePacketsSent !== undefined) {
        // Gap between what the SFU sent and what we got isolates the server→us leg.
        lost = Math.max(0, s.remotePacketsSent - prev.remotePacketsSent - received);
      }
      inLoss += (Math.max(0, lost) / (received + Math.max(0, lost))) * 100;
      inJitter += s.jitter * 1000;
      inCount++;
    }
    let outJitter = 0;
    let outLoss = 0;
    let outCount = 0;
    for (const [ssrc, s] of outNow) {
      const prev = this.#prevOut.get(ssrc);
      if (!prev || s.packetsSent <= prev.packetsSent) {
        continue;
      }
      outJitter += s.jitter * 1000;
      outLoss += s.fractionLost * 100;
      outCount++;
    }
    this.#prevIn = inNow;
    this.#prevOut = outNow;
    if (!inCount && !outCount) {
      return;
    }
    const jitter = Math.max(inCount ? inJitter / inCount : 0, outCount ? outJitter / outCount : 0);
    const loss = Math.max(inCount ? inLoss / inCount : 0, outCount ? outLoss / outCount : 0);
    const latency = (this.#peer.rtt * 1000) / 2;
    this.#peer.handleMetrics(loss / 100, jitter / 1000);
    this.emit('mos', calculateMOS(latency, jitter, loss));
  }
}
