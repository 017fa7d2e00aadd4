// Browser e2e of two P0 surfaces of reference webapp.md §7 (issue 14): the site under a subpath (site URL
// http://127.0.0.1:PORT/chat, served by the server itself under that path as Mattermost does), where a call is started
// and joined, audio flows, the pop-out opens under the subpath and every request the pages make stays under it; and a
// user whose language is German seeing the widget and its menus in German.
import net from 'node:net';

import type {Page} from 'playwright-core';

import {
  loginPage,
  openPopOut,
  startServer,
  useBrowserPerTest,
  type UserPage,
  startCall,
  joinCall,
  talkBothWays,
} from './support';

jest.setTimeout(90000);

const e2e = useBrowserPerTest();

/** A loopback port free right now: the site URL names the port before the server binds it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Every same-origin request the page (and the windows it opens) makes, and the ones that failed. */
function recordRequests(page: Page, origin: string, into: {paths: string[]; failed: string[]}) {
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin === origin || u.origin === origin.replace(/^http/, 'ws')) {
      into.paths.push(u.pathname);
    }
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).origin === origin) {
      into.failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    }
  });
  page.on('websocket', (ws) => into.paths.push(new URL(ws.url()).pathname));
}

test('under /chat/: login, a call started and joined, audio both ways, the pop-out, its emoji and a recording under the subpath', async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  e2e.server = await startServer(
    {MM_CALLS_ENABLE_RECORDINGS: 'true', MM_CALLS_RECORDING_QUALITY: 'low'},
    {port, siteURL: `${origin}/chat`},
  );

  // Outside the site's path there is nothing but the way in.
  const root = await fetch(`${origin}/`, {redirect: 'manual'});
  expect(root.status).toBe(302);
  expect(root.headers.get('location')).toBe('/chat/');
  expect((await fetch(`${origin}/api/v4/users/me`)).status).toBe(404);
  expect((await fetch(`${origin}/static/plugins/com.mattermost.calls/main.js`)).status).toBe(404);

  const requests = {paths: [] as string[], failed: [] as string[]};
  const [a, b] = await Promise.all(['alice', 'bob'].map((u) => loginPage(e2e.browser, `${origin}/chat`, u)));
  e2e.pages.push(a, b);
  for (const p of [a, b]) {
    recordRequests(p.page, origin, requests);
    expect(new URL(p.page.url()).pathname).toMatch(/^\/chat\/[^/]+\/channels\/town-square$/);
  }
  // A reload lands where it was: the host page's routes work under the subpath.
  await a.page.reload();
  await a.page.waitForSelector('#calls-join-button[data-state=start]');

  await startCall(a);
  await joinCall(b);
  await talkBothWays(a, b);

  // Avatars in the widget load from the subpath.
  await a.page.click('#calls-widget-participants-button');
  await a.page.waitForFunction(() =>
    Array.from(document.querySelectorAll<HTMLImageElement>('#calls-widget img')).some((i) => i.complete),
  );

  a.context.on('page', (p) => recordRequests(p, origin, requests));
  const popup = await openPopOut(a.page);
  const channelID = await a.page.evaluate(
    () => (window as unknown as {callsClient: {channelID: string}}).callsClient.channelID,
  );
  expect(new URL(popup.url()).pathname).toBe(`/chat/calls/com.mattermost.calls/expanded/${channelID}`);
  // The pop-out's reactions draw their emoji from the sprite sheet under the subpath.
  await popup.click('#calls-popout-emoji-button');
  await popup.locator('#calls-popout-emoji-bar [role=menuitem][aria-label=tada]').waitFor();
  await popup.waitForFunction(() =>
    Array.from(performance.getEntriesByType('resource')).some((e) => e.name.includes('/emoji/')),
  );

  // A recording under the subpath: the recorder joins through /chat/ (websocket and bot API) and the badge counts.
  await popup.click('#calls-popout-record-button');
  await popup.waitForSelector('[data-testid=calls-recording-badge][data-state=recording]', {timeout: 60_000});

  const paths = [...new Set(requests.paths)];
  for (const kind of [
    '/chat/api/v4/websocket',
    '/chat/plugins/com.mattermost.calls/config',
    '/chat/static/plugins/com.mattermost.calls/main.js',
    '/chat/static/standalone/standalone.js',
    '/chat/api/v4/users/',
  ]) {
    expect(paths.some((p) => p.startsWith(kind))).toBe(true);
  }
  expect(paths.some((p) => p.includes('/emoji/'))).toBe(true);
  expect(paths.filter((p) => !p.startsWith('/chat/'))).toEqual([]);
  expect(requests.failed).toEqual([]);
});

async function germanUser(origin: string, name: string): Promise<UserPage> {
  const p = await loginPage(e2e.browser, origin, name, name, {locale: 'de-DE'});
  e2e.pages.push(p);
  return p;
}

test('a user whose language is German sees the call button, the widget and its menus in German', async () => {
  e2e.server = await startServer();
  const a = await germanUser(e2e.server.url, 'alice');
  const [b] = await Promise.all([loginPage(e2e.browser, e2e.server.url, 'bob')]);
  e2e.pages.push(b);

  await a.page.waitForSelector('#calls-join-button:has-text("Anruf starten")');
  await startCall(a);
  await a.page.waitForSelector('#calls-widget [data-testid=calls-widget-speaking]:has-text("Niemand spricht…")');
  await a.page.waitForSelector('#voice-mute-unmute[aria-label="Stummschaltung aufheben"]');
  await a.page.click('#voice-mute-unmute');
  await a.page.waitForSelector('#voice-mute-unmute[aria-label="Stummschalten"]');
  await a.page.waitForSelector('#calls-widget [data-testid=calls-widget-speaking]:has-text("spricht…")');
  await a.page.waitForSelector('#calls-widget-participants-button[aria-label="Teilnehmer anzeigen"]');
  await a.page.click('#calls-widget-toggle-menu-button[aria-label="Weitere Optionen"]');
  const menu = a.page.locator('#calls-widget-settings-menu');
  await menu.locator(':text("Weitere Einstellungen")').waitFor();
  await menu.locator(':text("Mikrofon")').first().waitFor();
  await menu.locator(':text("Verbindung prüfen")').waitFor();
  await a.page.keyboard.press('Escape');

  // Bob's browser speaks English: the same call is in English for him.
  await b.page.waitForSelector('#calls-join-button[data-state=join]:has-text("Join call")');
  await startCall(b);
  await b.page.waitForSelector('#voice-mute-unmute[aria-label=Unmute]');
  // Alice is told in German that Bob joined.
  await a.page.waitForSelector(
    '[data-testid=call-joined-participant-notification]:has-text("ist dem Anruf beigetreten.")',
  );
});
