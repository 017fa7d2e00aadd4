// RTCP through the SFU: a receiver's NACK is served from the SFU's retransmission buffer (the sender
// never sees it), and the sender reports a receiver gets describe the stream it actually receives:
// its SSRC, packet count, RTP timestamps and a wall-clock NTP time; a speaker gets receiver reports on its
// voice stream at the audio interval.
import {GenericNack, RtcpRrPacket, RtcpSrPacket, RtcpTransportLayerFeedback} from 'werift';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import {joinTwo, speak, speech, startVideo, useRtcServer} from './support/harness';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(60_000);

/** NTP (1900 epoch, 32.32 fixed point) → Unix ms. */
function ntpToUnixMs(ntp: bigint): number {
  const seconds = Number(ntp >> 32n);
  const fraction = Number(ntp & 0xffffffffn) / 2 ** 32;
  return (seconds - 2_208_988_800 + fraction) * 1000;
}

describe('RTCP through the SFU', () => {
  let server: EmbeddedRtcServer;
  const {clients, stops} = useRtcServer((s) => (server = s));

  it('serves a receiver NACK from the retransmission buffer without asking the sender', async () => {
    const {a, b} = await joinTwo(server, clients);
    a.screenOn('screen-a');
    const screen = await a.addTrack('video', 'screen-a');
    let nacksAtSender = 0;
    screen.transceiver.sender.onGenericNack.subscribe(() => nacksAtSender++);
    const sent: Buffer[] = [];
    stops.push(startVideo(a, screen.track, screen.transceiver, {intervalMs: 20, size: () => 500, sent}));
    await waitFor(() => b.packetsFrom('screen', a.sessionID) >= 30, 10_000, 'B receiving');
    const rec = b.trackOfType('screen', a.sessionID)!;
    const ssrc = [...rec.ssrcs][0];
    const k = rec.payloads.length - 10;
    const lostSeq = rec.seqs[k];
    const original = rec.payloads[k];
    const before = rec.payloads.length;
    const nack = new GenericNack({
      senderSsrc: rec.transceiver.receiver.rtcpSsrc,
      mediaSourceSsrc: ssrc,
      lost: [lostSeq],
    });
    await rec.transceiver.receiver.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({feedback: nack})]);
    await waitFor(() => rec.seqs.slice(before).includes(lostSeq), 3000, 'retransmission');
    const again = rec.payloads[before + rec.seqs.slice(before).indexOf(lostSeq)];
    expect(again.equals(original)).toBe(true);
    await sleep(200);
    expect(nacksAtSender).toBe(0);
  });

  it('sends a speaker receiver reports on its voice stream every ≈ 5 s: its SSRC, highest sequence, no loss', async () => {
    const {a} = await joinTwo(server, clients);
    const mic = await speak(a, 'mic', speech, stops);
    // The sequence number of the speaker's last packet on the wire (werift keeps it private).
    const lastSeq = () => (mic.transceiver.sender as unknown as {sequenceNumber?: number}).sequenceNumber ?? -1;
    const ssrc = mic.transceiver.sender.ssrc;
    const rrs: {at: number; highest: number; lost: number; fraction: number; sentSoFar: number}[] = [];
    mic.transceiver.sender.onRtcp.subscribe((p) => {
      if (!(p instanceof RtcpRrPacket)) return;
      for (const r of p.reports)
        if (r.ssrc === ssrc)
          rrs.push({
            at: Date.now(),
            highest: r.highestSequence & 0xffff,
            lost: r.packetsLost,
            fraction: r.fractionLost,
            sentSoFar: lastSeq(),
          });
    });
    await waitFor(() => rrs.length >= 3, 25_000, 'three receiver reports');
    for (let i = 1; i < rrs.length; i++) expect(rrs[i].at - rrs[i - 1].at).toBeGreaterThanOrEqual(2400);
    for (const rr of rrs) {
      expect([rr.lost, rr.fraction]).toEqual([0, 0]);
      // The highest sequence the SFU saw is the speaker's latest, give or take the packets in flight.
      expect(((rr.sentSoFar - rr.highest) & 0xffff) <= 5).toBe(true);
    }
  });

  it('sends sender reports with the forwarded SSRC, counts, RTP time and wall-clock NTP time', async () => {
    const {a, b} = await joinTwo(server, clients);
    await speak(a, 'mic', speech, stops);
    await waitFor(() => b.packetsFrom('voice', a.sessionID) > 10, 10_000, 'B receiving');
    const rec = b.trackOfType('voice', a.sessionID)!;
    const ssrc = [...rec.ssrcs][0];
    const timestamps: number[] = [];
    b.on('rtp', (r: unknown, rtp: {header: {timestamp: number}}) => {
      if (r === rec) timestamps.push(rtp.header.timestamp);
    });
    const reports: {sr: RtcpSrPacket; receivedAt: number; packetsSoFar: number; recent: number[]}[] = [];
    rec.transceiver.receiver.onRtcp.subscribe((p) => {
      if (p instanceof RtcpSrPacket && p.ssrc === ssrc) {
        reports.push({sr: p, receivedAt: Date.now(), packetsSoFar: rec.payloads.length, recent: timestamps.slice(-10)});
      }
    });
    await waitFor(() => reports.length >= 2, 12_000, 'two sender reports');
    // An audio stream is reported every ≈ 5 s (0.5–1.5 × the mean, as libwebrtc does), not every second.
    expect(reports[1].receivedAt - reports[0].receivedAt).toBeGreaterThanOrEqual(2400);
    for (const {sr, receivedAt, packetsSoFar, recent} of reports) {
      const info = sr.senderInfo;
      // NTP is wall-clock time of the last packet (sub-second precision, not just whole seconds).
      expect(Math.abs(ntpToUnixMs(info.ntpTimestamp) - receivedAt)).toBeLessThan(250);
      // Packet count is what this receiver got on this SSRC (give or take packets in flight).
      expect(Math.abs(info.packetCount - packetsSoFar)).toBeLessThanOrEqual(3);
      expect(info.octetCount).toBeGreaterThan(info.packetCount * 50);
      // The RTP timestamp is that of the stream around the time of the report.
      expect(recent.length).toBeGreaterThan(0);
      expect(info.rtpTimestamp).toBeGreaterThanOrEqual(Math.min(...recent) - 960 * 3);
      expect(info.rtpTimestamp).toBeLessThanOrEqual(Math.max(...recent) + 960 * 3);
    }
  });
});
