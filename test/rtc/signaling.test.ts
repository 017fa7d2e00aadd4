// Negotiation details with real peers: voice activity from the audio-level extension, the signaling
// lock while the server renegotiates, a server offer made again when it got no answer, DC signaling
// (server offers over calls-dc), DC keepalives and metrics, the 10 s first-offer timeout, and no media
// before the data channel is open.
import {MediaStream, MediaStreamTrack} from 'werift';
import {newId} from '../../server/src/ids';
import type {EmbeddedRtcServer} from '../../server/src/rtc';
import {DCMessageType} from '@calls/protocol';
import type {RtcSignal} from '../../server/src/rtc/types';
import {join, joinTwo, newSession, silence, speak, speech, startAudio, useRtcServer} from './support/harness';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(60_000);

describe('signaling and voice activity', () => {
  let server: EmbeddedRtcServer;
  const voice: {sessionID: string; on: boolean}[] = [];
  const closes: {sessionID: string; reason: string}[] = [];
  const {clients, stops} = useRtcServer(
    (s) => {
      server = s;
      server.on('voice', (sessionID, on) => voice.push({sessionID, on}));
      server.on('close', (sessionID, reason) => closes.push({sessionID, reason}));
    },
    {timeouts: {signalingMs: 1500}},
  );

  it('reports one voice_on for speech and one voice_off after silence', async () => {
    const callID = newId();
    const a = await join(server, {callID});
    clients.push(a);
    const mic = await a.addTrack('audio', 'mic');
    let loud = true;
    stops.push(startAudio(a, mic.track, mic.transceiver, (i) => (loud ? speech(i) : silence())));
    await waitFor(() => voice.some((v) => v.sessionID === a.sessionID && v.on), 5000, 'voice on');
    await sleep(1500);
    loud = false;
    await waitFor(() => voice.some((v) => v.sessionID === a.sessionID && !v.on), 6000, 'voice off');
    await sleep(1000);
    expect(voice.filter((v) => v.sessionID === a.sessionID)).toEqual([
      {sessionID: a.sessionID, on: true},
      {sessionID: a.sessionID, on: false},
    ]);
  });

  it('does not turn voice on for a single loud packet in silence', async () => {
    const callID = newId();
    const a = await join(server, {callID});
    clients.push(a);
    const mic = await a.addTrack('audio', 'mic');
    stops.push(startAudio(a, mic.track, mic.transceiver, (i) => (i === 60 ? 0 : silence())));
    await sleep(2500);
    expect(voice.filter((v) => v.sessionID === a.sessionID)).toEqual([]);
  });

  it('refuses a client Lock while the server renegotiates and grants it afterwards', async () => {
    const {a, b} = await joinTwo(server, clients, {manualAnswer: true});
    expect(await a.requestLock()).toBe(true);
    a.unlock();
    // B's microphone makes the server offer A a new track; A holds its answer.
    const offered = new Promise((resolve) => a.once('offer', resolve));
    void b.addTrack('audio', 'mic-b');
    await offered;
    expect(await a.requestLock()).toBe(false);
    await a.answerPending();
    await waitFor(async () => (await server.inspect(a.sessionID))?.signalingState === 'stable', 5000, 'server stable');
    await sleep(50);
    expect(await a.requestLock()).toBe(true);
    a.unlock();
  });

  it('drops a client offer that collides with its own (impolite server) and completes after the client yields', async () => {
    const {a, b} = await joinTwo(server, clients, {manualAnswer: true});
    const offered = new Promise((resolve) => a.once('offer', resolve));
    await speak(b, 'mic-b', speech, stops);
    await offered;
    // A offers too (its own microphone, without taking the lock): glare.
    const answersBefore = a.received.length;
    const serverSdps: string[] = [];
    const listener = (id: string, sig: RtcSignal) => {
      if (id === a.sessionID && sig.type === 'sdp') serverSdps.push(sig.data.type);
    };
    server.on('signal', listener);
    a.pc.addTrack(new MediaStreamTrack({kind: 'audio'}), new MediaStream({id: 'mic-a'}));
    const glare = await a.pc.createOffer();
    await a.pc.setLocalDescription(glare);
    server.send({sessionID: a.sessionID, type: 'sdp', data: {type: 'offer', sdp: a.pc.localDescription!.sdp}});
    await sleep(500);
    expect(serverSdps).toEqual([]); // no answer to the colliding offer
    expect((await server.inspect(a.sessionID))?.signalingState).toBe('have-local-offer');
    // The polite client rolls back and answers the server's offer; media then flows.
    await a.answerPending();
    await waitFor(() => a.packetsFrom('voice', b.sessionID) > 5, 10_000, 'A receiving B after glare');
    expect(a.received.length).toBeGreaterThan(answersBefore);
    server.off('signal', listener);
  });

  it('makes a server offer the client never got again, so the client still gets the track', async () => {
    const {a, b} = await joinTwo(server, clients, {manualAnswer: true});
    // B's microphone makes the server offer A its voice; that offer is lost on the way (never answered).
    let offers = 0;
    a.on('offer', () => offers++);
    await speak(b, 'mic-b', speech, stops);
    await waitFor(() => offers === 1, 5000, 'the first offer');
    // After the answer timeout (1.5 s here) the server offers the same tracks again, and A answers that one.
    await waitFor(() => offers === 2, 5000, 'the offer made again');
    await a.answerPending();
    await waitFor(() => a.packetsFrom('voice', b.sessionID) > 5, 10_000, 'A receiving B');
    expect((await server.inspect(a.sessionID))?.signalingState).toBe('stable');
  });

  it('gives a newcomer a transceiver of its own when the client never learned the one of who left was freed', async () => {
    const {callID, a, b} = await joinTwo(server, clients, {manualAnswer: true});
    const answerEvery = () => void a.answerPending();
    a.on('offer', answerEvery);
    const bMic = await b.addTrack('audio', 'mic-b');
    const stopB = startAudio(b, bMic.track, bMic.transceiver, speech);
    await waitFor(() => a.packetsFrom('voice', b.sessionID) > 5, 10_000, 'A receiving B');
    a.off('offer', answerEvery);
    const midOfB = a.trackOfType('voice', b.sessionID)!.mid;

    // B hangs up. The offer that frees B's transceiver is lost on the way to A (a bus outage between nodes).
    const offers: string[] = [];
    a.on('offer', (desc: {sdp: string}) => offers.push(desc.sdp));
    stopB();
    await server.closeSession(b.sessionID);
    await b.close();
    await waitFor(() => offers.length === 1, 5000, 'the offer freeing B’s transceiver');

    // B2 joins and talks; the server offers again after the answer timeout, now with B2's voice. A answers
    // that one: its transceiver for B never stopped receiving, so B2 must come on a new one (a reused one would
    // only change its stream id, which fires no track event: A would play B2's voice as B's).
    const b2 = await join(server, {callID});
    clients.push(b2);
    await speak(b2, 'mic-b2', speech, stops);
    await waitFor(() => offers.some((sdp) => sdp.includes(b2.sessionID)), 10_000, 'an offer with B2');
    await a.answerPending();
    await waitFor(() => a.packetsFrom('voice', b2.sessionID) > 5, 10_000, 'A receiving B2 as B2');
    expect(a.trackOfType('voice', b2.sessionID)!.mid).not.toBe(midOfB);
  });

  it('keeps offering to a connected client that answers nothing for a while (signaling cut off, media flowing), and it stays in the call', async () => {
    const {a, b} = await joinTwo(server, clients, {manualAnswer: true});
    let offers = 0;
    a.on('offer', () => offers++);
    await speak(b, 'mic-b', speech, stops);
    // Four offers go unanswered (1.5 s each here): more than the three after which a client that is not
    // connected is dropped. A is connected, so it is kept and offered to again.
    await waitFor(() => offers >= 4, 20_000, 'four unanswered offers');
    expect(closes.map((c) => c.sessionID)).not.toContain(a.sessionID);
    expect((await server.inspect(a.sessionID))?.connectionState).toBe('connected');
    await waitFor(() => offers >= 5, 10_000, 'the next offer');
    await a.answerPending();
    await waitFor(() => a.packetsFrom('voice', b.sessionID) > 5, 10_000, 'A receiving B');
  });

  it('sends server offers over calls-dc with DC signaling and answers DC offers on the DC', async () => {
    const callID = newId();
    const a = await join(server, {callID, dcSignaling: true});
    const b = await join(server, {callID, dcSignaling: true});
    clients.push(a, b);
    const wsSignals: string[] = [];
    const listener = (id: string, s: RtcSignal) => {
      if (id === a.sessionID && s.type === 'sdp') wsSignals.push(s.data.type);
    };
    server.on('signal', listener);
    const dcSdps: string[] = [];
    a.on('dc', (m: {type: number; sdp?: {type: string}}) => {
      if (m.type === DCMessageType.SDP) dcSdps.push(m.sdp!.type);
    });
    await speak(b, 'mic-b', speech, stops); // B's offer goes over the DC too
    await waitFor(() => a.packetsFrom('voice', b.sessionID) > 5, 10_000, 'A receiving B');
    server.off('signal', listener);
    expect(dcSdps).toContain('offer');
    expect(wsSignals).toEqual([]);
  });

  it('answers calls-dc ping (binary and text) and accepts metrics', async () => {
    const a = await join(server, {callID: newId()});
    clients.push(a);
    const pong = new Promise((resolve) =>
      a.on('dc', (m: {type: number}) => m.type === DCMessageType.Pong && resolve(m)),
    );
    a.sendDc({type: DCMessageType.Ping});
    await pong;
    const textPong = new Promise((resolve) => a.on('dcText', (t: string) => t === 'pong' && resolve(t)));
    a.sendDc('ping');
    await textPong;
    a.sendDc({type: DCMessageType.LossRate, value: 0.25});
    a.sendDc({type: DCMessageType.RoundTripTime, value: 0.04});
    a.sendDc({type: DCMessageType.Jitter, value: 0.003});
    await waitFor(async () => (await server.inspect(a.sessionID))?.metrics.jitter === 0.003, 2000, 'metrics');
    expect((await server.inspect(a.sessionID))?.metrics).toEqual({lossRate: 0.25, rtt: 0.04, jitter: 0.003});
  });

  it('closes a session whose client never offers, after the signaling timeout', async () => {
    const sessionID = await newSession(server, newId());
    await waitFor(() => closes.some((c) => c.sessionID === sessionID), 4000, 'timeout close');
    expect(closes.find((c) => c.sessionID === sessionID)?.reason).toMatch(/signaling timeout/);
    expect(await server.inspect(sessionID)).toBeUndefined();
  });

  it('sends no track to a session before its data channel is open', async () => {
    const callID = newId();
    const a = await join(server, {callID});
    clients.push(a);
    await speak(a, 'mic', speech, stops);
    // B answers but its data channel never opens: it never gets an offer with A's voice.
    const b = await join(server, {callID, wait: false});
    clients.push(b);
    b.dc.close();
    await sleep(1200);
    expect(b.serverOffers).toBe(0);
    expect((await server.inspect(b.sessionID))?.receiving ?? []).toEqual([]);
  });
});
