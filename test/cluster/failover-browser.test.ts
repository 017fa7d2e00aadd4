// Failover as users see it, in Chromium: two people on the standalone page talk in a call whose media
// runs on another node; that node is killed with -9; the webapp follows `rtc_reconnect` by itself and
// their audio comes back without anyone touching anything. In single-handler mode, while no handler
// runs, the widget says it is reconnecting (`rtc_unavailable`) and nobody is dropped, however long that
// lasts, until a new handler brings the audio back.
import type {Browser} from 'playwright-core';
import {type Cluster, clusterRun, type StartClusterOptions} from './support/cluster';
import {
  audioFlowing,
  closeAll,
  ensureWebappBuilt,
  expectInboundAudioGrowing,
  joinFromChannelAndTalk,
  launchBrowser,
  loginPage,
  waitForCallConnected,
  type UserPage,
} from '../e2e/support';
import {waitFor} from '../support/wait';

jest.setTimeout(180_000);

/** A browser and a cluster for one describe block, closed after it (with the nodes' log files named). */
function browserAndCluster(
  names: string[],
  opts?: StartClusterOptions,
): {c: Cluster; browser: Browser; pages: UserPage[]} {
  const env = {pages: []} as unknown as {c: Cluster; browser: Browser; pages: UserPage[]};
  const run = clusterRun(names);
  beforeAll(async () => {
    ensureWebappBuilt();
    env.browser = await launchBrowser();
    env.c = await run.start(opts);
  }, 90_000);

  afterAll(async () => {
    await closeAll(env.pages);
    await env.browser?.close();
    await run.stop();
  });
  return env;
}

describe('failover in the browser', () => {
  const env = browserAndCluster(['n1', 'n2']);

  it('keeps two talking users in the call and brings their audio back after the media node dies', async () => {
    const {c, browser} = env;
    const [n1, n2] = c.nodes;
    // Carol, on node 1, starts the call there: its media is pinned to node 1.
    const carol = c.user('carol', n1, () => n1.url);
    await carol.connect();
    await carol.joinAndTalk(c.world.channels.town);
    expect(await c.callNode(c.world.channels.town)).toBe(n1.nodeID);

    // Alice and Bob use the web page served by node 2, and join from the channel's call button.
    const [a, b] = await Promise.all([loginPage(browser, n2.url, 'alice'), loginPage(browser, n2.url, 'bob')]);
    env.pages = [a, b];
    for (const p of [a, b]) await joinFromChannelAndTalk(p, 'town-square', '#calls-join-button[data-state=join]');
    await Promise.all([expectInboundAudioGrowing(a.page), expectInboundAudioGrowing(b.page)]);

    const killedAt = Date.now();
    await n1.kill9();
    // The call moves to node 2, and the pages, told by rtc_reconnect, negotiate new peer connections.
    await waitFor(
      async () => (await c.callNode(c.world.channels.town)) === n2.nodeID,
      20_000,
      'the call to move to node 2',
    );
    await Promise.all([audioFlowing(a, 30_000), audioFlowing(b, 30_000)]);
    process.stdout.write(`browser audio back after kill -9 within ${Date.now() - killedAt} ms\n`);
    // Nobody was dropped: both still see each other in the call.
    for (const p of [a, b])
      await p.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-matches("^[23]$")');
  });
});

describe('single-handler outage in the browser', () => {
  const env = browserAndCluster(['h', 'n1'], {
    env: (name): Record<string, string> => (name === 'h' ? {MM_CALLS_IS_HANDLER: 'true'} : {}),
  });

  it('shows "reconnecting" while no handler runs, keeps both users in the call past the 20 s recovery timer, and resumes', async () => {
    const {c, browser} = env;
    const [h, n1] = c.nodes;
    const [a, b] = await Promise.all([loginPage(browser, n1.url, 'alice'), loginPage(browser, n1.url, 'bob')]);
    env.pages = [a, b];
    for (const p of [a, b]) {
      await joinFromChannelAndTalk(
        p,
        'town-square',
        '#calls-join-button:not([data-state=connecting]):not([data-state=in_call]):not([data-state=disabled])',
      );
    }
    await Promise.all([expectInboundAudioGrowing(a.page), expectInboundAudioGrowing(b.page)]);

    const killedAt = Date.now();
    await h.kill9();
    for (const p of [a, b]) {
      await p.page.waitForSelector('[data-testid=calls-widget-loading-overlay][data-state=media_unavailable]', {
        timeout: 15_000,
      });
      expect(await p.page.textContent('[data-testid=calls-widget-loading-overlay]')).toBe(
        'Reconnecting… Calls are temporarily unavailable.',
      );
    }
    // Longer than the webapp's 20 s recovery timer: still in the call, still saying so, no error.
    await a.page.waitForTimeout(Math.max(0, killedAt + 25_000 - Date.now()));
    for (const p of [a, b]) {
      expect(await p.page.isVisible('[data-testid=calls-widget-loading-overlay][data-state=media_unavailable]')).toBe(
        true,
      );
      expect(await p.page.isVisible('#call-error-modal')).toBe(false);
      await p.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-matches("^2$")');
    }

    const back = Date.now();
    await c.addNode('h2', {MM_CALLS_IS_HANDLER: 'true'});
    await Promise.all([waitForCallConnected(a.page, 30_000), waitForCallConnected(b.page, 30_000)]);
    await Promise.all([audioFlowing(a, 30_000), audioFlowing(b, 30_000)]);
    process.stdout.write(
      `browser audio back ${Date.now() - back} ms after the new handler started (outage ${back - killedAt} ms)\n`,
    );
    for (const p of [a, b]) expect(await p.page.isVisible('#call-error-modal')).toBe(false);
  });
});
