// The admin connectivity report (GET /connectivity) and the browser-check endpoints against a real server
// with the werift SFU on loopback and a real coturn: admin-only, advertised addresses judged, the STUN answer
// compared with ICEHostOverride, real TURN allocations with the credentials Calls hands out (accepted,
// refused, unreachable), and hostile client-result bodies refused.
import {RTCPeerConnection} from 'werift';
import {sleep, waitFor} from '../support/wait';
import {api, login} from '../support/rest';
import {startCoturn, type Coturn} from '../support/coturn';
import {freePort} from '../support/ports';
import {loopbackSfu, startTestServer, type TestServer} from '../support/server';

jest.setTimeout(60_000);

const P = '/plugins/com.mattermost.calls';
const SECRET = 'connectivity-secret';

function sfuServer(env: Record<string, string>): Promise<TestServer> {
  return startTestServer({
    env: {MM_CALLS_DEFAULT_ENABLED: 'true', ...env},
    rtc: loopbackSfu({timeouts: {stunDiscoveryMs: 1000}}),
  });
}

const validResult = () => ({
  udp: {ok: false, tried: true, error: 'no connection within 8 s'},
  tcp: {
    ok: true,
    tried: true,
    rtt_ms: 3.5,
    loss: 0,
    local: {type: 'host', protocol: 'tcp', address: '127.0.0.1', port: 9},
    remote: {type: 'host', protocol: 'tcp', address: '127.0.0.1', port: 8443},
  },
  relay: {ok: false, tried: false},
  auto: {ok: true, tried: true, rtt_ms: 3},
  udp_port: 8443,
  tcp_port: 8443,
  turn_urls: [],
  // A client-sent verdict is not a field: the server computes it.
});

describe('connectivity report', () => {
  let turn: Coturn;
  let good: TestServer;
  let bad: TestServer;
  let admin: string;
  let alice: string;
  let badAdmin: string;
  let closedPort: number;

  beforeAll(async () => {
    turn = await startCoturn(SECRET, 61_000 + (process.pid % 200) * 20);
    closedPort = await freePort();
    const urls = [`turn:127.0.0.1:${turn.port}?transport=udp`, `turn:127.0.0.1:${turn.port}?transport=tcp`];
    good = await sfuServer({
      MM_CALLS_ICE_SERVERS_CONFIGS: JSON.stringify([{urls: [`stun:127.0.0.1:${turn.port}`]}, {urls}]),
      MM_CALLS_TURN_STATIC_AUTH_SECRET: SECRET,
    });
    // A wrong override (a documentation address), a secret coturn does not share, and a TURN port nobody serves.
    bad = await sfuServer({
      MM_CALLS_ICE_SERVERS_CONFIGS: JSON.stringify([
        {urls: [`stun:127.0.0.1:${turn.port}`]},
        {urls: [`turn:127.0.0.1:${turn.port}?transport=udp`, `turn:127.0.0.1:${closedPort}?transport=tcp`]},
      ]),
      MM_CALLS_TURN_STATIC_AUTH_SECRET: 'not-the-secret',
      MM_CALLS_ICE_HOST_OVERRIDE: '192.0.2.10',
    });
    admin = (await login(good.url, 'admin')).token;
    alice = (await login(good.url, 'alice')).token;
    badAdmin = (await login(bad.url, 'admin')).token;
  });

  afterAll(async () => {
    await good?.stop();
    await bad?.stop();
    await turn?.stop();
  });

  test('only system admins get the report; others get our error shape', async () => {
    const r = await api(good.url, alice, 'GET', `${P}/connectivity`);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({id: 'api.context.permissions.app_error', message: 'Forbidden', status_code: 403});
    expect((await api(good.url, '', 'GET', `${P}/connectivity`)).status).toBe(401);
  });

  test('a working setup: loopback candidates flagged, ports bound, STUN answers, TURN accepts the credentials', async () => {
    const r = await api(good.url, admin, 'GET', `${P}/connectivity`);
    expect(r.status).toBe(200);
    const rtc = good.app.rtc as unknown as {udpPort: number; tcpPort: number};
    expect(r.body.rtc).toMatchObject({available: true, udp_port: rtc.udpPort, tcp_port: rtc.tcpPort});
    expect(r.body.rtc.advertised).toEqual(
      expect.arrayContaining([
        expect.objectContaining({transport: 'udp', address: '127.0.0.1', port: rtc.udpPort, kind: 'loopback'}),
        expect.objectContaining({transport: 'tcp', address: '127.0.0.1', port: rtc.tcpPort, kind: 'loopback'}),
      ]),
    );
    expect(r.body.stun).toMatchObject({public_address: '127.0.0.1', matches_override: null});
    expect(r.body.turn).toHaveLength(2);
    for (const t of r.body.turn) {
      expect(t).toMatchObject({verdict: 'ok'});
      expect(t.relayed).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    // The secret never reaches the report.
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
  });

  test('a broken setup: wrong override, refused credentials and an unreachable TURN server, each said so', async () => {
    const r = await api(bad.url, badAdmin, 'GET', `${P}/connectivity`);
    expect(r.status).toBe(200);
    expect(r.body.rtc.advertised).toEqual(
      expect.arrayContaining([expect.objectContaining({address: '192.0.2.10', kind: 'documentation', level: 'error'})]),
    );
    expect(r.body.stun).toMatchObject({public_address: '127.0.0.1', matches_override: false});
    expect(r.body.rtc.notes.join(' ')).toMatch(
      /ICEHostOverride is 192\.0\.2\.10 but STUN sees this server as 127\.0\.0\.1/,
    );
    const byUrl = Object.fromEntries(r.body.turn.map((t: {url: string}) => [t.url, t]));
    expect(byUrl[`turn:127.0.0.1:${turn.port}?transport=udp`]).toMatchObject({verdict: 'credentials_refused'});
    expect(byUrl[`turn:127.0.0.1:${closedPort}?transport=tcp`]).toMatchObject({verdict: 'unreachable'});
  });

  test('a client result is stored with the verdict the server computes, and shown to admins', async () => {
    const r = await api(good.url, alice, 'POST', `${P}/connectivity/results`, {...validResult(), user_agent: 'test'});
    expect(r.status).toBe(200);
    expect(r.body.verdict.code).toBe('tcp_only');
    expect(r.body.verdict.text).toBe(
      'UDP to port 8443 is blocked on your network; the call uses TCP (port 8443). Audio may lag under packet loss.',
    );
    const report = await api(good.url, admin, 'GET', `${P}/connectivity`);
    expect(report.body.client_checks[0]).toMatchObject({username: 'alice', verdict: {code: 'tcp_only'}});
  });

  test('hostile client-result bodies are refused with 400/413 and leave nothing behind', async () => {
    const carol = (await login(good.url, 'carol')).token;
    const bodies: unknown[] = [
      'not json',
      [],
      {...validResult(), verdict: {code: 'udp', text: '<script>'}},
      {...validResult(), udp: {...validResult().udp, loss: 7}},
      {...validResult(), udp: {...validResult().udp, rtt_ms: Number.MAX_VALUE}},
      {...validResult(), tcp: {...validResult().tcp, local: {...validResult().tcp.local, address: '<img src=x>'}}},
      {...validResult(), tcp: {...validResult().tcp, local: {...validResult().tcp.local, port: 70000}}},
      {...validResult(), turn_urls: Array(9).fill('turn:x')},
      {...validResult(), user_agent: 'x'.repeat(301)},
      {...validResult(), udp_port: '8443'},
      {...validResult(), __proto__: {admin: true}, constructor: {}},
    ];
    for (const body of bodies) {
      const r = await api(good.url, carol, 'POST', `${P}/connectivity/results`, body);
      expect([400, 415]).toContain(r.status);
      expect(r.body).toMatchObject({id: expect.any(String), status_code: r.status});
    }
    const huge = await api(good.url, carol, 'POST', `${P}/connectivity/results`, {
      ...validResult(),
      filler: 'x'.repeat(20_000),
    });
    expect(huge.status).toBe(413);
    const report = await api(good.url, admin, 'GET', `${P}/connectivity`);
    expect(report.body.client_checks.some((c: {username: string}) => c.username === 'carol')).toBe(false);
  });

  test('results are rate limited per user', async () => {
    const dave = (await login(good.url, 'dave')).token;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await api(good.url, dave, 'POST', `${P}/connectivity/results`, validResult())).status);
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(statuses.slice(6)).toEqual([429, 429]);
  });

  test('a check session carries a data channel on the RTC port and answers pings; at most 8 per user at once', async () => {
    const bob = (await login(good.url, 'bob')).token;
    const rtc = good.app.rtc as unknown as {udpPort: number};
    const open = async () => {
      const pc = new RTCPeerConnection({iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1']});
      const dc = pc.createDataChannel('connectivity-check');
      await pc.setLocalDescription(await pc.createOffer());
      await sleep(300);
      const r = await api(good.url, bob, 'POST', `${P}/connectivity/check`, {
        offer: {type: 'offer', sdp: pc.localDescription!.sdp},
      });
      return {pc, dc, r};
    };
    const first = await open();
    expect(first.r.status).toBe(200);
    const sdp: string = first.r.body.answer.sdp;
    const lines = [...sdp.split('\r\n'), ...first.r.body.candidates.map((c: {candidate: string}) => c.candidate)];
    expect(lines.some((l) => l.includes(`127.0.0.1 ${rtc.udpPort} typ host`))).toBe(true);
    await first.pc.setRemoteDescription(first.r.body.answer);
    for (const c of first.r.body.candidates) await first.pc.addIceCandidate(c);
    await waitFor(() => first.dc.readyState === 'open', 10_000, 'check data channel open');
    const answers: string[] = [];
    first.dc.onMessage.subscribe((m) => void answers.push(String(m)));
    // The legacy keepalive, then the check's numbered pings (a late answer names its own ping); a malformed
    // number is not a ping.
    first.dc.send('ping');
    first.dc.send('ping:7');
    first.dc.send('ping:x');
    first.dc.send('ping:4294967295');
    await waitFor(() => answers.length >= 3, 5000, 'pongs');
    await sleep(200);
    expect(answers).toEqual(['pong', 'pong:7', 'pong:4294967295']);
    const more = [];
    for (let i = 0; i < 7; i++) more.push(await open());
    expect(more.map((m) => m.r.status)).toEqual(Array(7).fill(200));
    const ninth = await open();
    expect(ninth.r.status).toBe(429);
    await Promise.all([first, ...more, ninth].map((m) => m.pc.close()));
  });

  test('garbage offers are refused', async () => {
    const bob = (await login(good.url, 'bob')).token;
    const garbage = await api(good.url, bob, 'POST', `${P}/connectivity/check`, {offer: {type: 'offer', sdp: 'v=0'}});
    expect(garbage.status).toBe(400);
    const wrongType = await api(good.url, bob, 'POST', `${P}/connectivity/check`, {offer: {type: 'answer', sdp: 'x'}});
    expect(wrongType.status).toBe(400);
  });
});
