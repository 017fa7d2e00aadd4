// Voice between real werift peers through the SFU: byte-identical Opus payloads both ways, a late
// joiner that receives everyone's voice through a server offer typed by the MediaMap, and mute.
import {newId} from '../../server/src/ids';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import type {TestClient} from './support/client';
import {sleep, waitFor} from './support/client';
import {join, speech, startAudio, startServer} from './support/harness';

jest.setTimeout(60_000);

describe('voice forwarding', () => {
  let server: EmbeddedRtcServer;
  const clients: TestClient[] = [];
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    for (const s of stops) s();
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
  });

  it('carries A→B and B→A with identical payload bytes, and gives a late joiner both voices typed voice', async () => {
    const callID = newId();
    const a = await join(server, {callID});
    const b = await join(server, {callID});
    clients.push(a, b);

    const aMic = await a.addTrack('audio', 'mic-a');
    const bMic = await b.addTrack('audio', 'mic-b');
    const sentA: Buffer[] = [];
    const sentB: Buffer[] = [];
    stops.push(startAudio(a, aMic.track, aMic.transceiver, speech, sentA));
    stops.push(startAudio(b, bMic.track, bMic.transceiver, speech, sentB));

    await waitFor(() => (b.trackOfType('voice', a.sessionID)?.payloads.length ?? 0) >= 20, 10_000, 'B receiving A');
    await waitFor(() => (a.trackOfType('voice', b.sessionID)?.payloads.length ?? 0) >= 20, 10_000, 'A receiving B');

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
    await waitFor(() => !!c.trackOfType('voice', a.sessionID) && !!c.trackOfType('voice', b.sessionID), 10_000, 'C getting both voices');
    expect(c.mediaMaps.length).toBeGreaterThan(0);
    const types = Object.values(c.mediaMap).map((m) => m.type).sort();
    expect(types).toEqual(['voice', 'voice']);
    expect(Object.values(c.mediaMap).map((m) => m.sender_id).sort()).toEqual([a.sessionID, b.sessionID].sort());
    await waitFor(() => (c.trackOfType('voice', a.sessionID)?.payloads.length ?? 0) >= 10 &&
      (c.trackOfType('voice', b.sessionID)?.payloads.length ?? 0) >= 10, 10_000, 'C receiving media');
  });

  it('stops forwarding a muted voice and resumes on unmute', async () => {
    const callID = newId();
    const a = await join(server, {callID});
    const b = await join(server, {callID});
    clients.push(a, b);
    const mic = await a.addTrack('audio', 'mic');
    stops.push(startAudio(a, mic.track, mic.transceiver, speech));
    await waitFor(() => (b.trackOfType('voice', a.sessionID)?.payloads.length ?? 0) >= 10, 10_000, 'B receiving A');
    const atB = b.trackOfType('voice', a.sessionID)!;

    a.sendAction('mute');
    await sleep(200);
    const afterMute = atB.payloads.length;
    await sleep(600);
    expect(atB.payloads.length).toBe(afterMute);

    a.sendAction('unmute');
    await waitFor(() => atB.payloads.length >= afterMute + 10, 5000, 'voice after unmute');
  });
});
