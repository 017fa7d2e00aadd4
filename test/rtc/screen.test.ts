// Screen share, screen audio, camera video and AV1 through the SFU with real werift peers:
// classification by the screen_on/video_on stream ids, MediaMap types, PLI forwarding (rate-limited),
// removal on screen_off, AV1 only between capable peers, camera video only when enabled.
import {newId} from '../../server/src/ids';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import {join, joinTwo, speak, speech, startServer, startVideo, useRtcTeardown} from './support/harness';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(60_000);

/** Frames of varying size (300 to 499 bytes), as an encoder sends them. */
const videoSize = (i: number) => 300 + (i % 200);

describe('screen share and video', () => {
  const {servers, clients, stops} = useRtcTeardown();

  async function server(overrides = {}): Promise<EmbeddedRtcServer> {
    const s = await startServer(overrides);
    servers.push(s);
    return s;
  }

  it('forwards a screen typed screen, screen audio typed screen-audio, and a rate-limited PLI back to the sharer', async () => {
    const srv = await server();
    const {a, b} = await joinTwo(srv, clients);

    a.screenOn('screen-stream-a');
    const screen = await a.addTrack('video', 'screen-stream-a');
    const sent: Buffer[] = [];
    stops.push(startVideo(a, screen.track, screen.transceiver, {size: videoSize, sent}));
    await speak(a, 'screen-stream-a', speech, stops);

    await waitFor(() => b.packetsFrom('screen', a.sessionID) >= 10, 10_000, 'B receiving the screen');
    await waitFor(() => b.packetsFrom('screen-audio', a.sessionID) >= 10, 10_000, 'B receiving screen audio');
    const atB = b.trackOfType('screen', a.sessionID)!;
    expect(atB.trackId).toMatch(new RegExp(`^screen_${a.sessionID}_`));
    expect(b.trackOfType('screen-audio', a.sessionID)!.trackId).toMatch(new RegExp(`^screen-audio_${a.sessionID}_`));
    const first = sent.findIndex((p) => p.equals(atB.payloads[0]));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(atB.payloads[5].equals(sent[first + 5])).toBe(true);
    // Nothing announced as voice: the screen's audio is not a microphone.
    expect(b.trackOfType('voice', a.sessionID)).toBeUndefined();

    let plis = 0;
    screen.transceiver.sender.onPictureLossIndication.subscribe(() => plis++);
    const ssrc = [...atB.ssrcs][0];
    await sleep(1100); // let the key-frame request of B's subscription expire from the rate limit
    plis = 0;
    for (let i = 0; i < 5; i++) await atB.transceiver.receiver.sendRtcpPLI(ssrc);
    await waitFor(() => plis >= 1, 5000, 'PLI at the sharer');
    await sleep(300);
    expect(plis).toBe(1);
    await sleep(900);
    await atB.transceiver.receiver.sendRtcpPLI(ssrc);
    await waitFor(() => plis >= 2, 5000, 'second PLI after the rate-limit interval');

    // screen_off: the screen goes away for B through a server offer whose MediaMap no longer has it.
    const offersBefore = b.serverOffers;
    a.sendAction('screen_off');
    await waitFor(() => b.serverOffers > offersBefore, 5000, 'server offer after screen_off');
    await waitFor(
      () => !Object.values(b.mediaMap).some((m) => m.type === 'screen'),
      5000,
      'screen gone from the MediaMap',
    );
    await waitFor(() => b.trackOfType('screen', a.sessionID) === undefined, 5000, 'screen m-line inactive at B');
  });

  it('drops camera video unless EnableVideo, and forwards it typed video when enabled', async () => {
    for (const enableVideo of [false, true]) {
      const srv = await server({enableVideo});
      const {a, b} = await joinTwo(srv, clients);
      a.videoOn('camera-a');
      const cam = await a.addTrack('video', 'camera-a');
      stops.push(startVideo(a, cam.track, cam.transceiver, {size: videoSize}));
      // A voice track as a positive control that B is receiving at all.
      await speak(a, 'mic-a', speech, stops);
      await waitFor(() => b.packetsFrom('voice', a.sessionID) >= 10, 10_000, 'voice control');
      if (enableVideo) {
        await waitFor(() => b.packetsFrom('video', a.sessionID) >= 10, 10_000, 'B receiving camera video');
        expect(b.trackOfType('video', a.sessionID)!.trackId).toMatch(new RegExp(`^video_${a.sessionID}_`));
      } else {
        await sleep(500);
        expect(b.received.filter((r) => r.kind === 'video')).toHaveLength(0);
      }
    }
  });

  it('drops a video track whose stream was never announced', async () => {
    const srv = await server({enableVideo: true});
    const {a, b} = await joinTwo(srv, clients);
    const stray = await a.addTrack('video', 'unannounced');
    stops.push(startVideo(a, stray.track, stray.transceiver, {size: videoSize}));
    await speak(a, 'mic-a', speech, stops);
    await waitFor(() => b.packetsFrom('voice', a.sessionID) >= 10, 10_000, 'voice control');
    expect(b.received.filter((r) => r.kind === 'video')).toHaveLength(0);
  });

  it('sends AV1 only between AV1-capable peers and VP8 to the others', async () => {
    const srv = await server({enableAV1: true});
    const callID = newId();
    const a = await join(srv, {callID, av1: true});
    const av1Peer = await join(srv, {callID, av1: true});
    const vp8Peer = await join(srv, {callID});
    clients.push(a, av1Peer, vp8Peer);
    a.screenOn('screen-a');
    const vp8 = await a.addTrack('video', 'screen-a', {codec: 'VP8'});
    const av1 = await a.addTrack('video', 'screen-a', {codec: 'AV1'});
    const sentVp8: Buffer[] = [];
    const sentAv1: Buffer[] = [];
    stops.push(startVideo(a, vp8.track, vp8.transceiver, {size: videoSize, sent: sentVp8}));
    stops.push(startVideo(a, av1.track, av1.transceiver, {pt: 45, size: videoSize, sent: sentAv1}));
    await waitFor(
      () => av1Peer.packetsFrom('screen', a.sessionID) >= 10 && vp8Peer.packetsFrom('screen', a.sessionID) >= 10,
      15_000,
      'both receivers getting the screen',
    );
    const atAv1 = av1Peer.trackOfType('screen', a.sessionID)!;
    const atVp8 = vp8Peer.trackOfType('screen', a.sessionID)!;
    expect(atAv1.transceiver.codecs[0].mimeType).toBe('video/AV1');
    expect(atVp8.transceiver.codecs[0].mimeType).toBe('video/VP8');
    expect(sentAv1.some((p) => p.equals(atAv1.payloads[3]))).toBe(true);
    expect(sentVp8.some((p) => p.equals(atVp8.payloads[3]))).toBe(true);
    // Each receiver has exactly one screen.
    expect(
      av1Peer.received.filter((r) => r.kind === 'video' && r.transceiver.currentDirection !== 'inactive'),
    ).toHaveLength(1);
    expect(
      vp8Peer.received.filter((r) => r.kind === 'video' && r.transceiver.currentDirection !== 'inactive'),
    ).toHaveLength(1);
  });
});
