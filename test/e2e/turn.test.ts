// Browser e2e of TURN credentials in use (issue 14): the server advertises a UDP port nothing listens on
// (ICEHostPortOverride) and has no ICE-TCP, and the browsers stand behind a "NAT" that the server cannot reach (their
// own addresses are never offered: the page's RTCPeerConnection gathers relay candidates only), so the only path
// between Chromium and the SFU is a real coturn on loopback, reached with the short-lived credentials the webapp
// fetches (TURNStaticAuthSecret → NeedsTURNCredentials). Two users talk through it: each hears the other, and each
// page's selected candidate pair is a relay through that coturn.
import type {Page} from 'playwright-core';

import {freePort} from '../support/ports';
import {loopbackSfu, startTestServer} from '../support/server';
import {expectInboundAudioGrowing, openChannel, useBrowserPerTest, waitForCallConnected, unmute} from './support';

jest.setTimeout(120_000);

const SECRET = 'e2e-turn-secret';
// Its own relay port range, apart from connectivity.test.ts's.
const e2e = useBrowserPerTest({coturn: {secret: SECRET, relayPortBase: 61_000 + (process.pid % 40) * 20}});

/** The selected candidate pair of the page's call connection: both ends' candidate types and the TURN URL used. */
function selectedPair(page: Page): Promise<{local: string; remote: string; relayProtocol?: string; url?: string}> {
  return page.evaluate(async () => {
    const pc = (window as unknown as {callsClient: {peerConnection: RTCPeerConnection}}).callsClient.peerConnection;
    type Stat = Record<string, string | undefined>;
    const stats = new Map<string, Stat>();
    (await pc.getStats()).forEach((s: Stat) => stats.set(s.id!, s));
    const transport = [...stats.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = stats.get(transport?.selectedCandidatePairId ?? '');
    const local = stats.get(pair?.localCandidateId ?? '');
    const remote = stats.get(pair?.remoteCandidateId ?? '');
    return {
      local: local?.candidateType ?? '',
      remote: remote?.candidateType ?? '',
      relayProtocol: local?.relayProtocol,
      url: local?.url,
    };
  });
}

test('a call whose only path is a coturn relay: TURN credentials fetched, both hear each other over relay', async () => {
  const closed = await freePort();
  const turn = e2e.turn;
  const srv = await startTestServer({
    env: {
      MM_CALLS_DEFAULT_ENABLED: 'true',
      MM_CALLS_ICE_HOST_PORT_OVERRIDE: String(closed),
      MM_CALLS_ICE_SERVERS_CONFIGS: JSON.stringify([{urls: [`turn:127.0.0.1:${turn.port}?transport=udp`]}]),
      MM_CALLS_TURN_STATIC_AUTH_SECRET: SECRET,
    },
    rtc: loopbackSfu({tcpPort: null}),
  });
  const [a, b] = await e2e.login(srv, ['alice', 'bob']);
  // Without this, the SFU's own checks reach the browsers' loopback host candidates and the call never needs TURN
  // (on loopback nothing can block that path). The ICE servers the webapp passes are kept for the assertions below.
  for (const p of [a, b]) {
    await p.page.evaluate(() => {
      const Native = window.RTCPeerConnection;
      const w = window as unknown as {e2eIceServers: RTCIceServer[]};
      class BehindNAT extends Native {
        constructor(cfg?: RTCConfiguration) {
          w.e2eIceServers = cfg?.iceServers ?? [];
          super({...cfg, iceTransportPolicy: 'relay'});
        }
      }
      window.RTCPeerConnection = BehindNAT as typeof RTCPeerConnection;
    });
  }

  // The webapp asks for credentials because the server said so, and gets coturn's REST-style ones. The client config
  // arrives after the page loads (a loaded machine may not have it yet): wait for it, then read the setting.
  const needsTurn = () =>
    (
      window as unknown as {store: {getState(): Record<string, {callsConfig?: {NeedsTURNCredentials?: boolean}}>}}
    ).store.getState()['plugins-com.mattermost.calls']?.callsConfig?.NeedsTURNCredentials;
  await a.page.waitForFunction(needsTurn, undefined, {timeout: 10_000}).catch(() => undefined);
  const cfg = await a.page.evaluate(needsTurn);
  expect(cfg).toBe(true);

  for (const p of [a, b]) {
    await openChannel(p, 'town-square');
    await p.page.click('#calls-join-button');
    await waitForCallConnected(p.page, 40_000);
    await unmute(p);
  }

  // Both hear each other (the fake microphone's tone arrives), through the relay.
  await expectInboundAudioGrowing(a.page, 4000, 20_000);
  await expectInboundAudioGrowing(b.page, 4000, 20_000);
  for (const p of [a, b]) {
    const pair = await selectedPair(p.page);
    expect(pair.local).toBe('relay');
    expect(pair.relayProtocol).toBe('udp');
    expect(pair.url).toContain(`127.0.0.1:${turn.port}`);
  }
  // The webapp used the server's time-limited credentials (username "<expiry>:<username>"), not a static one.
  for (const p of [a, b]) {
    const servers = await p.page.evaluate(() => (window as unknown as {e2eIceServers: RTCIceServer[]}).e2eIceServers);
    const withCreds = servers.filter((s) => s.username);
    expect(withCreds).toHaveLength(1);
    expect(withCreds[0].username).toMatch(new RegExp(`^\\d+:${p.user}$`));
    expect(withCreds[0].credential).toBeTruthy();
  }
});
