// Mattermost down under a call with real media: two werift peers talk through the service (MM_CALLS_PLATFORM=
// mattermost against the fake Mattermost); the fake stops; their voice keeps flowing both ways and their sockets
// stay open through every failed re-validation and membership poll, while a new join gets the clear
// `app.calls.mattermost.unreachable` and a new socket is told to come back (1013). Once it is back, a third user
// joins the same call and hears it. The outage lasts the issue's 30 s, with the timers that fail during it shortened
// (socket re-validation 10 s → 1 s, membership poll 10 s → 0.5 s) so it also covers many failed rounds of each and
// the 5 s auth cache expiry.
import {type WsTestClient} from '../support/calls-client';
import {FakeMattermost} from '../support/fake-mattermost/server';
import {PluginWsClient, startBesideMattermost} from '../support/fake-mattermost/service';
import {loopbackSfu, type TestServer} from '../support/server';
import {sleep, waitFor} from '../support/wait';
import type {TestClient} from './support/client';
import {joinWithPeer, speech, startAudio} from './support/harness';

jest.setTimeout(100_000);

const OUTAGE_MS = 30_000;

const mm = new FakeMattermost();
const d = mm.data;
const {bot, alice, bob, carol, team} = d.addTeamOfFour();
const ch = d.addChannel(team.id, 'O', 'town', alice.user.id);
const other = d.addChannel(team.id, 'O', 'other', alice.user.id);
for (const u of [alice, bob, carol]) {
  d.addChannelMember(ch.id, u.user.id);
  d.addChannelMember(other.id, u.user.id);
}

let srv: TestServer;
const sockets: WsTestClient[] = [];
const peers: TestClient[] = [];
const stops: (() => void)[] = [];

async function connect(token: string): Promise<WsTestClient> {
  const ws = new PluginWsClient(srv.url, token);
  sockets.push(ws);
  await ws.connect();
  return ws;
}

/** Voice payloads `to` has received from `from`'s session. */
const heard = (to: TestClient, from: WsTestClient) => to.packetsFrom('voice', from.originalConnID);

/** Resolves once every listener has received at least `n` more payloads from its speaker. */
async function voiceGrows(pairs: [TestClient, WsTestClient][], n: number, what: string): Promise<void> {
  const start = pairs.map(([to, from]) => heard(to, from));
  await waitFor(() => pairs.every(([to, from], i) => heard(to, from) - start[i] >= n), 5000, what);
}

beforeAll(async () => {
  await mm.start();
  ({srv} = await startBesideMattermost(mm, bot.token, {
    wsAuthRecheckMs: 1000,
    platform: {membershipPollMs: 500, postRetryMs: 300},
    rtc: loopbackSfu({iceServers: []}),
    env: {MM_CALLS_DEFAULT_ENABLED: 'true'},
  }));
});

afterAll(async () => {
  for (const s of stops) s();
  await Promise.all(peers.map((p) => p.close()));
  await Promise.all(sockets.map((s) => s.close()));
  await srv?.stop();
  await mm.stop();
});

test('Mattermost down: the call keeps its voice both ways, new joins get the clear error, and it all works once it is back', async () => {
  const a = await connect(alice.token);
  const b = await connect(bob.token);
  const aPeer = await joinWithPeer(a, ch.id, peers, 20_000);
  const bPeer = await joinWithPeer(b, ch.id, peers, 20_000);
  for (const [peer, id] of [
    [aPeer, 'mic-a'],
    [bPeer, 'mic-b'],
  ] as const) {
    const mic = await peer.addTrack('audio', id);
    stops.push(startAudio(peer, mic.track, mic.transceiver, speech, []));
  }
  const both: [TestClient, WsTestClient][] = [
    [bPeer, a],
    [aPeer, b],
  ];
  await voiceGrows(both, 20, 'voice both ways before the outage');
  // Carol's socket is open before the outage (her login validated), her join comes during it.
  const c = await connect(carol.token);

  await mm.stop();
  try {
    const downSince = Date.now();
    await expect(c.join(other.id)).rejects.toThrow(/Mattermost is unreachable/);
    const fresh = new PluginWsClient(srv.url, d.issueToken(carol.user.id));
    let closed = 0;
    fresh.on('close', (_ws: unknown, _opened: boolean, code: number) => (closed = code));
    await expect(fresh.connect()).rejects.toThrow(/closed before hello/);
    expect(closed).toBe(1013);
    // Throughout the outage the voice flows both ways and the sockets stay.
    while (Date.now() - downSince < OUTAGE_MS) {
      await voiceGrows(both, 20, 'voice both ways while Mattermost is down');
      await sleep(500);
    }
    expect((await a.ping()).status).toBe('OK');
    expect((await b.ping()).status).toBe('OK');
    expect(mm.received.length).toBeGreaterThan(0);
  } finally {
    await mm.start();
  }

  // Back: carol joins the same call and hears both; alice and bob never left it.
  const cPeer = await joinWithPeer(c, ch.id, peers, 20_000);
  await voiceGrows([[cPeer, a], [cPeer, b], ...both], 20, 'voice to the new joiner after the outage');
  expect(a.events.filter((e) => e.event.endsWith('_user_left'))).toEqual([]);
});
