// The connectivity check in Chromium against real setups on loopback: a working server (verdict "udp"), UDP to the
// RTC port unreachable because the advertised UDP port is wrong (ICEHostPortOverride; verdict "tcp_only"), only a
// real coturn relay left (no ICE-TCP, wrong UDP port; verdict "relay_only"), and a wrong ICEHostOverride that
// nothing reaches (verdict "no_route", shown by itself in the error modal when the join times out). The admin page
// then shows the advertised addresses, the TURN check and the users' results. Screenshots go to docs/ with DOCS_SCREENSHOTS=1.
import path from 'node:path';
import type {Browser} from 'playwright-core';

import {freePort} from '../support/ports';
import {loopbackSfu, startTestServer, type TestServer} from '../support/server';
import {ARTIFACTS, launchBrowser, openChannel, useBrowserPerTest, type UserPage, startCall} from './support';

jest.setTimeout(120_000);

// The README's screenshots are refreshed with DOCS_SCREENSHOTS=1; other runs keep theirs with the artifacts.
const SHOTS = process.env.DOCS_SCREENSHOTS ? path.resolve(__dirname, '../../docs') : ARTIFACTS;
const SECRET = 'e2e-connectivity-secret';
const e2e = useBrowserPerTest({coturn: {secret: SECRET, relayPortBase: 62_000 + (process.pid % 150) * 20}});

function server(env: Record<string, string>, tcp = true): Promise<TestServer> {
  return startTestServer({
    env: {MM_CALLS_DEFAULT_ENABLED: 'true', ...env},
    rtc: loopbackSfu({tcpPort: tcp ? 0 : null, timeouts: {stunDiscoveryMs: 500}}),
  });
}

/** Logs the user in on `srv`, the test's server. */
async function user(name: string, srv: TestServer, browser?: Browser): Promise<UserPage> {
  const [p] = await e2e.login(srv, [name], browser);
  return p;
}

/** Joins the call in town square and runs the check from the widget's menu; returns the verdict element's code. */
async function checkFromWidget(p: UserPage): Promise<string> {
  await openChannel(p, 'town-square');
  await startCall(p);
  await p.page.click('#calls-widget-toggle-menu-button');
  await p.page.click('#calls-widget-menu-connectivity');
  const verdict = p.page.locator('#calls-connectivity-modal [data-testid=connectivity-verdict]');
  await verdict.waitFor({timeout: 30_000});
  return (await verdict.getAttribute('data-code')) ?? '';
}

test('a working server: UDP reaches the RTC port, the call path and round-trip time are shown', async () => {
  const srv = await server({});
  const alice = await user('alice', srv);
  expect(await checkFromWidget(alice)).toBe('udp');
  const modal = alice.page.locator('#calls-connectivity-modal');
  await expect(modal.locator('[data-testid=connectivity-udp]').getAttribute('data-ok')).resolves.toBe('true');
  await expect(modal.locator('[data-testid=connectivity-tcp]').getAttribute('data-ok')).resolves.toBe('true');
  const udpPort = (srv.app.rtc as unknown as {udpPort: number}).udpPort;
  await expect(modal.locator('[data-testid=connectivity-verdict]').textContent()).resolves.toBe(
    `Your browser reaches the call server over UDP port ${udpPort}: calls work.`,
  );
  await expect(modal.locator('[data-testid=connectivity-udp] td').textContent()).resolves.toMatch(
    new RegExp(`round trip [\\d.]+ ms, loss 0 %, via UDP \\w+ \\S+ ↔ UDP host 127\\.0\\.0\\.1:${udpPort}`),
  );
  await modal.screenshot({path: path.join(SHOTS, 'connectivity-check-user.png')});
});

test('UDP to the RTC port unreachable (wrong advertised UDP port): the verdict says the call uses TCP', async () => {
  const closed = await freePort();
  const srv = await server({MM_CALLS_ICE_HOST_PORT_OVERRIDE: String(closed)});
  const bob = await user('bob', srv);
  expect(await checkFromWidget(bob)).toBe('tcp_only');
  const tcpPort = (srv.app.rtc as unknown as {tcpPort: number}).tcpPort;
  await expect(
    bob.page.locator('#calls-connectivity-modal [data-testid=connectivity-verdict]').textContent(),
  ).resolves.toBe(
    `UDP to port ${closed} is blocked on your network; the call uses TCP (port ${tcpPort}). Audio may lag under packet loss.`,
  );
});

test('only the TURN relay gets through (no ICE-TCP, wrong UDP port): relay_only, and the admin page shows it', async () => {
  const closed = await freePort();
  const srv = await server(
    {
      MM_CALLS_ICE_HOST_PORT_OVERRIDE: String(closed),
      MM_CALLS_ICE_SERVERS_CONFIGS: JSON.stringify([{urls: [`turn:127.0.0.1:${e2e.turn.port}?transport=udp`]}]),
      MM_CALLS_TURN_STATIC_AUTH_SECRET: SECRET,
    },
    false,
  );
  const carol = await user('carol', srv);
  expect(await checkFromWidget(carol)).toBe('relay_only');
  await expect(
    carol.page.locator('#calls-connectivity-modal [data-testid=connectivity-relay]').getAttribute('data-ok'),
  ).resolves.toBe('true');

  const admin = await user('admin', srv);
  await admin.page.goto(`${srv.url}/admin_console/plugins/plugin_com.mattermost.calls`);
  const report = admin.page.locator('[data-testid=connectivity-report]');
  await report.locator('[data-testid=connectivity-clients] tr[data-code=relay_only]').waitFor();
  await expect(report.locator('[data-testid=connectivity-turn] tr').getAttribute('data-verdict')).resolves.toBe('ok');
  await expect(report.locator('[data-testid=connectivity-advertised]').textContent()).resolves.toContain(
    `UDP host 127.0.0.1:${closed}`,
  );
  await expect(report.locator('[data-testid=connectivity-notes]').textContent()).resolves.toContain(
    `UDP candidates advertise port ${closed} (ICEHostPortOverride)`,
  );
  await report.scrollIntoViewIfNeeded();
  await report.screenshot({path: path.join(SHOTS, 'connectivity-admin.png')});
});

test('a wrong ICEHostOverride on the same network: the call connects only from the server side, and the check says so', async () => {
  const srv = await server({MM_CALLS_ICE_HOST_OVERRIDE: '192.0.2.10'});
  const bob = await user('bob', srv);
  expect(await checkFromWidget(bob)).toBe('inbound_only');
  await expect(
    bob.page.locator('#calls-connectivity-modal [data-testid=connectivity-verdict]').textContent(),
  ).resolves.toMatch(/^Your browser cannot reach the address the call server advertises .* check ICEHostOverride\.$/);
});

/** A Chromium that sends no UDP except through a proxy (the policy of networks that block UDP). */
function launchUdpBlockedBrowser(): Promise<Browser> {
  return launchBrowser(['--webrtc-ip-handling-policy=disable_non_proxied_udp']);
}

test('UDP blocked in the browser and a wrong ICEHostOverride: the join fails and the error modal says there is no route', async () => {
  const srv = await server({MM_CALLS_ICE_HOST_OVERRIDE: '192.0.2.10'});
  const blocked = await launchUdpBlockedBrowser();
  try {
    const dave = await user('dave', srv, blocked);
    await openChannel(dave, 'town-square');
    await dave.page.click('#calls-join-button');
    const verdict = dave.page.locator('#call-error-modal [data-testid=connectivity-verdict]');
    await verdict.waitFor({timeout: 60_000});
    expect(await verdict.getAttribute('data-code')).toBe('no_route');
    await expect(verdict.textContent()).resolves.toMatch(
      /^No route to the call server: ask your admin to open UDP port \d+ \(or TCP port \d+\) towards the server/,
    );
  } finally {
    await e2e.closePages();
    await blocked.close();
  }
});

test('UDP blocked in the browser, server fine: the check says UDP is blocked and the call uses TCP', async () => {
  const srv = await server({});
  const blocked = await launchUdpBlockedBrowser();
  try {
    const alice = await user('alice', srv, blocked);
    expect(await checkFromWidget(alice)).toBe('tcp_only');
  } finally {
    await e2e.closePages();
    await blocked.close();
  }
});
