// Failover as users see it, in Chromium: two people on the standalone page talk in a call whose media
// runs on another node; that node is killed with -9; the webapp follows `rtc_reconnect` by itself and
// their audio comes back without anyone touching anything.
import type {Browser} from 'playwright-core';
import {type Cluster, logHint, startCluster} from './support/cluster';
import {waitUntil} from '../support/fixtures';
import {closeAll, ensureWebappBuilt, expectInboundAudioGrowing, inboundAudioBytes, launchBrowser, loginPage, openChannel, waitForCallConnected, type UserPage} from '../e2e/support';

jest.setTimeout(180_000);

/** Inbound audio grows by 2 KB within some 1.5 s window (the peer connection may be replaced meanwhile). */
async function audioFlowing(p: UserPage, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s1 = await inboundAudioBytes(p.page);
    await p.page.waitForTimeout(1500);
    if ((await inboundAudioBytes(p.page)) - s1 >= 2000) return;
  }
  throw new Error(`${p.user}: no inbound audio within ${timeoutMs} ms`);
}

describe('failover in the browser', () => {
  let c: Cluster;
  let browser: Browser;
  let pages: UserPage[] = [];

  beforeAll(async () => {
    ensureWebappBuilt();
    browser = await launchBrowser();
    c = await startCluster(['n1', 'n2']);
  }, 90_000);

  afterAll(async () => {
    await closeAll(pages);
    await browser?.close();
    if (c) {
      process.stdout.write(`cluster node logs:\n${logHint(c.nodes)}\n`);
      await c.stop();
    }
  });

  it('keeps two talking users in the call and brings their audio back after the media node dies', async () => {
    const [n1, n2] = c.nodes;
    // Carol, on node 1, starts the call there: its media is pinned to node 1.
    const carol = c.user('carol', n1, () => n1.url);
    await carol.connect();
    await carol.joinAndTalk(c.world.channels.town);
    expect(await c.callNode(c.world.channels.town)).toBe(n1.nodeID);

    // Alice and Bob use the web page served by node 2, and join from the channel's call button.
    const [a, b] = await Promise.all([loginPage(browser, n2.url, 'alice'), loginPage(browser, n2.url, 'bob')]);
    pages = [a, b];
    for (const p of [a, b]) {
      await openChannel(p, 'town-square');
      await p.page.waitForSelector('#calls-join-button[data-state=join]');
      await p.page.click('#calls-join-button');
      await waitForCallConnected(p.page);
      await p.page.click('#voice-mute-unmute');
      await p.page.waitForSelector('#voice-mute-unmute[aria-label=Mute]');
    }
    await Promise.all([expectInboundAudioGrowing(a.page), expectInboundAudioGrowing(b.page)]);

    const killedAt = Date.now();
    await n1.kill9();
    // The call moves to node 2, and the pages, told by rtc_reconnect, negotiate new peer connections.
    await waitUntil(async () => (await c.callNode(c.world.channels.town)) === n2.nodeID, 20_000, 'the call to move to node 2');
    await Promise.all([audioFlowing(a, 30_000), audioFlowing(b, 30_000)]);
    process.stdout.write(`browser audio back after kill -9 within ${Date.now() - killedAt} ms\n`);
    // Nobody was dropped: both still see each other in the call.
    for (const p of [a, b]) await p.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-matches("^[23]$")');
  });
});
