// Voice between real werift peers through the SFU: byte-identical Opus payloads both ways, a late
// joiner that receives everyone's voice through a server offer typed by the MediaMap, and mute.
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import type {ReceivedTrack} from './support/client';
import {expectMuteStopsVoice, join, joinTwo, speak, speech, startAudio, useRtcServer} from './support/harness';
import {SrtpReplayCheck} from './support/srtpReplay';
import {waitFor} from '../support/wait';

jest.setTimeout(60_000);

describe('voice forwarding', () => {
  let server: EmbeddedRtcServer;
  const {clients, stops} = useRtcServer((s) => (server = s));

  it('carries A→B and B→A with identical payload bytes, and gives a late joiner both voices typed voice', async () => {
    const {callID, a, b} = await joinTwo(server, clients);

    const aMic = await a.addTrack('audio', 'mic-a');
    const bMic = await b.addTrack('audio', 'mic-b');
    const sentA: Buffer[] = [];
    const sentB: Buffer[] = [];
    stops.push(startAudio(a, aMic.track, aMic.transceiver, speech, sentA));
    stops.push(startAudio(b, bMic.track, bMic.transceiver, speech, sentB));

    await waitFor(() => b.packetsFrom('voice', a.sessionID) >= 20, 10_000, 'B receiving A');
    await waitFor(() => a.packetsFrom('voice', b.sessionID) >= 20, 10_000, 'A receiving B');

    // Every payload B got from A is one A sent, byte for byte, in order.
    const atB = b.trackOfType('voice', a.sessionID)!;
    const firstIdx = sentA.findIndex((p) => p.equals(atB.payloads[0]));
    expect(firstIdx).toBeGreaterThanOrEqual(0);
    atB.payloads.slice(0, 20).forEach((p, i) => expect(p.equals(sentA[firstIdx + i])).toBe(true));
    const atA = a.trackOfType('voice', b.sessionID)!;
    const firstIdxB = sentB.findIndex((p) => p.equals(atA.payloads[0]));
    expect(firstIdxB).toBeGreaterThanOrEqual(0);
    atA.payloads.slice(0, 20).forEach((p, i) => expect(p.equals(sentB[firstIdxB + i])).toBe(true));

    // Track identity: <type>_<sender>_<random>, stream id = sender session id.
    expect(atB.trackId).toMatch(new RegExp(`^voice_${a.sessionID}_[a-z0-9]{8}$`));
    expect(atB.streamId).toBe(a.sessionID);

    // C joins later: one server offer brings both voices, announced as voice in the MediaMap.
    const c = await join(server, {callID});
    clients.push(c);
    await waitFor(
      () => !!c.trackOfType('voice', a.sessionID) && !!c.trackOfType('voice', b.sessionID),
      10_000,
      'C getting both voices',
    );
    expect(c.mediaMaps.length).toBeGreaterThan(0);
    const types = Object.values(c.mediaMap)
      .map((m) => m.type)
      .sort();
    expect(types).toEqual(['voice', 'voice']);
    expect(
      Object.values(c.mediaMap)
        .map((m) => m.sender_id)
        .sort(),
    ).toEqual([a.sessionID, b.sessionID].sort());
    await waitFor(
      () => c.packetsFrom('voice', a.sessionID) >= 10 && c.packetsFrom('voice', b.sessionID) >= 10,
      10_000,
      'C receiving media',
    );
  });

  it('continues a stream whose transceiver is reused for a later sender, so a browser does not drop it as replayed', async () => {
    const {callID, a, b} = await joinTwo(server, clients);
    // What A receives on each SSRC, in order, through a browser's SRTP replay check.
    const replay = new SrtpReplayCheck();
    const bySsrc = new Map<number, {seq: number; at: number}[]>();
    const heard = new Map<string, number>();
    a.on('rtp', (rec: ReceivedTrack, rtp: {header: {ssrc: number; sequenceNumber: number}}) => {
      if (!a.isCurrent(rec)) return; // a reused transceiver's earlier record sees the same packets
      const {ssrc, sequenceNumber: seq} = rtp.header;
      let list = bySsrc.get(ssrc);
      if (!list) bySsrc.set(ssrc, (list = []));
      list.push({seq, at: Date.now()});
      if (replay.accept(ssrc, seq)) heard.set(rec.streamId, (heard.get(rec.streamId) ?? 0) + 1);
    });
    const bMic = await b.addTrack('audio', 'mic-b');
    const stopB = startAudio(b, bMic.track, bMic.transceiver, speech);
    await waitFor(() => (heard.get(b.sessionID) ?? 0) >= 25, 10_000, 'A hearing B');
    const [ssrc] = [...bySsrc.keys()];
    const mid = a.trackOfType('voice', b.sessionID)!.mid;

    // B hangs up; B2 joins: the server sends B2's voice to A on the transceiver that carried B's.
    stopB();
    await server.closeSession(b.sessionID);
    await b.close();
    const leftAt = Date.now();
    const b2 = await join(server, {callID});
    clients.push(b2);
    await speak(b2, 'mic-b2', speech, stops);
    await waitFor(() => (bySsrc.get(ssrc) ?? []).some((p) => p.at > leftAt), 10_000, 'B2 on the reused transceiver');
    expect(a.trackOfType('voice', b2.sessionID)?.mid).toBe(mid);

    // The stream goes on where B's ended: the next sequence number, not a new random start.
    const packets = bySsrc.get(ssrc)!;
    const lastOld = packets.filter((p) => p.at <= leftAt).pop()!;
    const firstNew = packets.find((p) => p.at > leftAt)!;
    expect((firstNew.seq - lastOld.seq + 0x10000) % 0x10000).toBeGreaterThan(0);
    expect((firstNew.seq - lastOld.seq + 0x10000) % 0x10000).toBeLessThan(50);
    await waitFor(() => (heard.get(b2.sessionID) ?? 0) >= 25, 10_000, 'A hearing B2 through the replay check');
    expect(replay.dropped.get(ssrc) ?? 0).toBe(0);
  });

  it('stops forwarding a muted voice and resumes on unmute', async () => {
    const {a, b} = await joinTwo(server, clients);
    await speak(a, 'mic', speech, stops);
    await waitFor(() => b.packetsFrom('voice', a.sessionID) >= 10, 10_000, 'B receiving A');
    const atB = b.trackOfType('voice', a.sessionID)!;

    await expectMuteStopsVoice(a, () => atB.payloads.length);
  });
});
