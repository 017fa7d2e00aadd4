// A single node killed with -9 and started again by its supervisor while two people talk in Chromium: the
// webapp's websocket comes back to the new process (a new connection id), sends `reconnect`, follows
// rtc_reconnect with a new peer connection, and their audio comes back in the same call without anyone
// touching anything. The werift version, with the other outcomes, is test/integration/crash-restart.test.ts.
import type {Browser} from 'playwright-core';
import {seededWorld} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {SingleNode} from '../support/single-node';
import {
  audioFlowing,
  closeAll,
  ensureWebappBuilt,
  expectInboundAudioGrowing,
  launchBrowser,
  joinFromChannelAndTalk,
  loginPage,
  type UserPage,
} from './support';

jest.setTimeout(150_000);

/** The page's current peer connection, tagged so that a replacement can be told apart. */
function tagPeer(p: UserPage): Promise<void> {
  return p.page.evaluate(() => {
    const pc = (window as unknown as {callsClient?: {peerConnection: (RTCPeerConnection & {tag?: string}) | null}})
      .callsClient?.peerConnection;
    if (pc) {
      pc.tag = 'first life';
    }
  });
}

function peerTag(p: UserPage): Promise<string | null> {
  return p.page.evaluate(() => {
    const pc = (window as unknown as {callsClient?: {peerConnection: (RTCPeerConnection & {tag?: string}) | null}})
      .callsClient?.peerConnection;
    return pc ? (pc.tag ?? 'new') : null;
  });
}

describe('a single node restarted under a call in the browser', () => {
  let n: SingleNode;
  let browser: Browser;
  let pages: UserPage[] = [];

  beforeAll(async () => {
    ensureWebappBuilt();
    browser = await launchBrowser();
    n = await SingleNode.create();
    await n.start();
  }, 90_000);

  afterAll(async () => {
    await closeAll(pages);
    await browser?.close();
    await n?.stop();
  });

  it('brings both users back into the same call with audio after kill -9 and a restart', async () => {
    const w = await seededWorld({url: n.url} as TestServer);
    const [a, b] = await Promise.all([loginPage(browser, n.url, 'alice'), loginPage(browser, n.url, 'bob')]);
    pages = [a, b];
    for (const [i, p] of [a, b].entries()) {
      await joinFromChannelAndTalk(p, 'town-square', `#calls-join-button[data-state=${i === 0 ? 'start' : 'join'}]`);
    }
    await Promise.all([expectInboundAudioGrowing(a.page), expectInboundAudioGrowing(b.page)]);
    const before = (await n.callState(w, w.channels.town))!;
    await Promise.all([tagPeer(a), tagPeer(b)]);

    const killedAt = Date.now();
    await n.current.kill9();
    await n.start();
    await Promise.all([audioFlowing(a, 40_000), audioFlowing(b, 40_000)]);
    process.stdout.write(`browser audio back ${Date.now() - killedAt} ms after kill -9 (the restart included)\n`);

    // Each page negotiated a new peer connection (rtc_reconnect); nobody left or joined again.
    expect(await peerTag(a)).toBe('new');
    expect(await peerTag(b)).toBe('new');
    const after = (await n.callState(w, w.channels.town))!;
    expect(after.id).toBe(before.id);
    expect(after.sessions.map((s) => s.session_id).sort()).toEqual(before.sessions.map((s) => s.session_id).sort());
    for (const p of [a, b]) {
      await p.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-matches("^2$")');
      await p.page.waitForSelector('#voice-mute-unmute[aria-label=Mute]');
    }
  });
});
