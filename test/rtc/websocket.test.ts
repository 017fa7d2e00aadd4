// The whole path a browser uses: login, the calls websocket, join, SDP as msgpack zlib frames, ICE as
// JSON strings, `signal` events back, and media through the embedded SFU of a real server node,
// plus the voice activity events the call domain broadcasts from it.
import type {WsTestClient} from '../support/calls-client';
import {seededWorld, type World} from '../support/fixtures';
import {loopbackSfu, startTestServer, type TestServer} from '../support/server';
import {type TestClient} from './support/client';
import {joinWithPeer, speech, startAudio} from './support/harness';
import {waitFor} from '../support/wait';

jest.setTimeout(60_000);

/** The value of one sample of a Prometheus text exposition, matched by name and labels in any order. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^mattermost_plugin_calls_(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (
      Object.keys(labels).length === Object.keys(have).length &&
      Object.entries(labels).every(([k, v]) => have[k] === v)
    )
      return Number(m[3]);
  }
  return undefined;
}

describe('media through the real websocket', () => {
  let srv: TestServer;
  let w: World;
  const sockets: WsTestClient[] = [];
  const peers: TestClient[] = [];
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    srv = await startTestServer({
      env: {MM_CALLS_DEFAULT_ENABLED: 'true'},
      rtc: loopbackSfu({iceServers: []}),
    });
    w = await seededWorld(srv);
  });

  afterAll(async () => {
    for (const s of stops) s();
    await Promise.all(peers.map((p) => p.close()));
    await Promise.all(sockets.map((s) => s.close()));
    await srv.stop();
  });

  async function joinWithMedia(
    user: 'alice' | 'bob',
    channelID: string,
  ): Promise<{ws: WsTestClient; peer: TestClient}> {
    const ws = await w.connect(user);
    sockets.push(ws);
    return {ws, peer: await joinWithPeer(ws, channelID, peers)};
  }

  it('carries A→B and B→A voice with identical bytes and reports voice activity', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const a = await joinWithMedia('alice', ch);
    const b = await joinWithMedia('bob', ch);

    // The SDP answer came back as a `signal` event carrying the JSON string and the session id.
    const signal = a.ws.received('signal').find((e) => String(e.data.data).includes('"answer"'));
    expect(signal?.data.connID).toBe(a.ws.originalConnID);
    expect(JSON.parse(String(signal?.data.data))).toEqual({type: 'answer', sdp: expect.stringMatching(/^v=0/)});
    expect(a.ws.received('signal').some((e) => JSON.parse(String(e.data.data)).type === 'candidate')).toBe(true);

    a.ws.send('unmute');
    b.ws.send('unmute');
    const aMic = await a.peer.addTrack('audio', 'mic-a');
    const bMic = await b.peer.addTrack('audio', 'mic-b');
    const sentA: Buffer[] = [];
    const sentB: Buffer[] = [];
    stops.push(startAudio(a.peer, aMic.track, aMic.transceiver, speech, sentA));
    stops.push(startAudio(b.peer, bMic.track, bMic.transceiver, speech, sentB));
    await waitFor(
      () =>
        b.peer.packetsFrom('voice', a.ws.originalConnID) >= 20 &&
        a.peer.packetsFrom('voice', b.ws.originalConnID) >= 20,
      15_000,
      'voice both ways',
    );
    const atB = b.peer.trackOfType('voice', a.ws.originalConnID)!;
    const i = sentA.findIndex((p) => p.equals(atB.payloads[0]));
    expect(i).toBeGreaterThanOrEqual(0);
    atB.payloads.slice(0, 20).forEach((p, k) => expect(p.equals(sentA[i + k])).toBe(true));
    const atA = a.peer.trackOfType('voice', b.ws.originalConnID)!;
    const j = sentB.findIndex((p) => p.equals(atA.payloads[0]));
    expect(j).toBeGreaterThanOrEqual(0);
    atA.payloads.slice(0, 20).forEach((p, k) => expect(p.equals(sentB[j + k])).toBe(true));

    const voiceOn = await b.ws.waitFor('user_voice_on', (e) => e.data.session_id === a.ws.originalConnID, 5000);
    expect(voiceOn.data).toMatchObject({userID: w.users.alice.user.id, session_id: a.ws.originalConnID});

    // The call shows up in the SFU's metrics on the plugin endpoint, with upstream names and labels.
    const text = await (await fetch(`${srv.url}/plugins/com.mattermost.calls/metrics`)).text();
    expect(sample(text, 'rtc_sessions_total', {groupID: 'default'})).toBe(2);
    expect(sample(text, 'rtc_rtp_tracks_total', {groupID: 'default', direction: 'in', type: 'audio/opus'})).toBe(2);
    expect(sample(text, 'rtc_rtp_tracks_total', {groupID: 'default', direction: 'out', type: 'audio/opus'})).toBe(2);
    expect(sample(text, 'rtc_conn_states_total', {type: 'connected'})).toBe(2);
    expect(sample(text, 'rtc_connection_time_count', {groupID: 'default'})).toBe(2);
    expect(sample(text, 'rtc_rtp_packets_total', {groupID: 'default', direction: 'out'})).toBeGreaterThanOrEqual(40);
  });
});
