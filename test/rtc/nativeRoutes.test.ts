// Voice forwarded by the native addon's routes (server/native/routes.c, fastpath/nativeRoute.ts) between real werift
// peers: once a voice is established the addon forwards it (no packet of it reaches JavaScript), byte for byte and in
// order; a late joiner hears it too, a mute stops it, voice activity still follows its audio levels, the server's
// RTP counts include it, and when its sender leaves no route is left behind.
import type {EmbeddedRtcServer, SfuServer} from '../../server/src/rtc';
import {rtcNative} from '../../server/src/rtc/fastpath/native';
import {expectMuteStopsVoice, join, joinTwo, startAudio, useRtcServer} from './support/harness';
import {waitFor} from '../support/wait';

jest.setTimeout(60_000);

const SILENCE = 127;
const routeStats = () => rtcNative()!.routeStats!();

describe('native routes in a call', () => {
  let server: EmbeddedRtcServer;
  const {clients, stops} = useRtcServer((s) => (server = s), {native: 'required'});
  // One process (no media workers): the server is the SFU itself.
  const counters = () => (server as SfuServer).rtpCounters;

  it('forwards an established voice natively, to a late joiner too, with mute, voice activity and counts', async () => {
    const {callID, a, b} = await joinTwo(server, clients);
    const voice: {on: boolean; at: number}[] = [];
    server.on('voice', (id, on) => {
      if (id === a.sessionID) voice.push({on, at: Date.now()});
    });
    const sent: Buffer[] = [];
    let level = SILENCE;
    const mic = await a.addTrack('audio', 'mic-a');
    stops.push(startAudio(a, mic.track, mic.transceiver, () => level, sent));
    await waitFor(async () => (await server.inspect(a.sessionID))?.nativeRouteStreams === 1, 10_000, 'route installed');
    expect(routeStats()[0]).toBe(1);

    // From here on the addon forwards A's voice: B gets every payload A sent, in order, byte for byte.
    const atB = b.trackOfType('voice', a.sessionID)!;
    const before = {taken: routeStats()[1], atB: atB.payloads.length, counters: counters()};
    await waitFor(() => atB.payloads.length >= before.atB + 50, 10_000, 'B receiving A through the route');
    // (A packet or two the addon took before the count was read may still have been on their way to B.)
    expect(routeStats()[1] - before.taken).toBeGreaterThanOrEqual(45);
    const heard = atB.payloads.slice(before.atB, before.atB + 50);
    const first = sent.findIndex((p) => p.equals(heard[0]));
    expect(first).toBeGreaterThanOrEqual(0);
    heard.forEach((p, i) => expect(p.equals(sent[first + i])).toBe(true));
    // The server's RTP counts include what the addon forwarded (collected within a sweep).
    await waitFor(() => counters().packetsOut - before.counters.packetsOut >= 50, 2000, 'counts');
    expect(counters().packetsIn - before.counters.packetsIn).toBeGreaterThanOrEqual(50);

    // Voice activity from the levels the addon read: on when A speaks, off after a silence.
    expect(voice).toEqual([]);
    level = 20;
    await waitFor(() => voice.length === 1, 5000, 'voice on');
    expect(voice[0].on).toBe(true);
    level = SILENCE;
    await waitFor(() => voice.length === 2, 5000, 'voice off');
    expect(voice[1].on).toBe(false);
    expect((await server.inspect(a.sessionID))?.nativeRouteStreams).toBe(1);

    // C joins late: the JS path serves C until its transport is up, then the route carries all three.
    const c = await join(server, {callID});
    clients.push(c);
    await waitFor(() => c.packetsFrom('voice', a.sessionID) >= 10, 10_000, 'C hearing A');
    await waitFor(async () => (await server.inspect(a.sessionID))?.nativeRouteStreams === 1, 5000, 'route again');
    const atC = c.trackOfType('voice', a.sessionID)!;
    const cBefore = atC.payloads.length;
    await waitFor(() => atC.payloads.length >= cBefore + 25, 5000, 'C hearing A through the route');
    const fromC = atC.payloads.slice(cBefore, cBefore + 25);
    const firstC = sent.findIndex((p) => p.equals(fromC[0]));
    fromC.forEach((p, i) => expect(p.equals(sent[firstC + i])).toBe(true));

    // A mute stops the route's copies; an unmute resumes them.
    await expectMuteStopsVoice(a, () => atB.payloads.length);

    // A leaves: its route goes with it.
    await server.closeSession(a.sessionID);
    await waitFor(() => routeStats()[0] === 0, 5000, 'no route left');
  });
});
