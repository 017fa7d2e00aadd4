// The plugin as Mattermost installs it, in Chromium beside a (fake) Mattermost: the webapp bundle is taken from the
// plugin tarball `npm run dist` makes, listed by the fake's /api/v4/plugins/webapp and loaded by the host page the
// way Mattermost's webapp loads it; the users are logged in to Mattermost (MMAUTHTOKEN cookie) and the service runs
// with MM_CALLS_PLATFORM=mattermost behind one origin routed like the README's nginx rules. Two users start and join
// a call and hear each other; the calls traffic goes on the plugin's websocket (Mattermost's carries none) and the
// call post is made and ended through Mattermost's API, its starter shown though the bot wrote it.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {Browser} from 'playwright-core';
import {mattermostPlatformFactory} from '../../server/src/platform/mattermost';
import {FakeMattermost} from '../support/fake-mattermost/server';
import {FakeMattermostWebapp} from '../support/fake-mattermost/webapp';
import {MattermostSite} from '../support/mattermost-site';
import {loopbackSfu, startTestServer, type TestServer} from '../support/server';
import {waitFor} from '../support/wait';
import {closeAll, ensureWebappBuilt, launchBrowser, type UserPage, startCall, joinCall, talkBothWays} from './support';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const PLUGIN_WS = '/plugins/com.mattermost.calls/websocket';

const mm = new FakeMattermost();
const web = new FakeMattermostWebapp(mm);
const d = mm.data;
const bot = d.addCallsBot();
const alice = d.addUser('alice');
const bob = d.addUser('bob');
const team = d.addTeam('team', [bot.user.id, alice.user.id, bob.user.id]);
const town = d.addChannel(team.id, 'O', 'town-square', alice.user.id);
d.addChannelMember(town.id, alice.user.id, true);
d.addChannelMember(town.id, bob.user.id);

const site = new MattermostSite();
let srv: TestServer;
let browser: Browser;
let tmp: string;
const pages: UserPage[] = [];
/** The websocket URLs each user's page opened. */
const sockets = new Map<string, string[]>();

/** The plugin tarball, built by build/dist.mjs and unpacked as Mattermost does on upload. */
function unpackedPlugin(): string {
  const out = path.join(tmp, 'dist');
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'build/dist.mjs'), '--out', out, '--no-build', '--plugin-only'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`dist failed: ${r.stdout}\n${r.stderr}`);
  const tarball = fs.readdirSync(out).find((f) => /^com\.mattermost\.calls-.*\.tar\.gz$/.test(f));
  if (!tarball) throw new Error('no plugin tarball');
  const plugins = path.join(tmp, 'plugins');
  fs.mkdirSync(plugins);
  const x = spawnSync('tar', ['-xzf', path.join(out, tarball), '-C', plugins], {encoding: 'utf8'});
  if (x.status !== 0) throw new Error(`tar: ${x.stderr}`);
  return path.join(plugins, 'com.mattermost.calls');
}

/** A browser context logged in to Mattermost (its session cookies), on the channel. */
async function mattermostUser(name: string, login: {user: {id: string}; token: string}): Promise<UserPage> {
  const context = await browser.newContext({viewport: {width: 1280, height: 720}});
  await context.addCookies([
    {name: 'MMAUTHTOKEN', value: login.token, url: site.url, httpOnly: true},
    {name: 'MMCSRF', value: d.csrf.get(login.token)!, url: site.url},
  ]);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${name}] page error: ${err.message}`));
  if (process.env.E2E_CONSOLE) page.on('console', (m) => console.log(`[${name}] ${m.type()}: ${m.text()}`));
  const urls: string[] = [];
  sockets.set(name, urls);
  page.on('websocket', (ws) => urls.push(new URL(ws.url()).pathname));
  await page.goto(`${site.url}/team/channels/town-square`);
  await page.waitForSelector('#channelHeaderTitle');
  const p = {user: name, context, page, userID: login.user.id};
  pages.push(p);
  return p;
}

beforeAll(async () => {
  ensureWebappBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-mm-e2e-'));
  web.installPlugin(unpackedPlugin());
  await mm.start();
  await site.start();
  srv = await startTestServer({
    seed: false,
    siteURL: site.url,
    platform: mattermostPlatformFactory(),
    rtc: loopbackSfu(),
    env: {
      MM_CALLS_PLATFORM: 'mattermost',
      MM_CALLS_MATTERMOST_URL: mm.url,
      MM_CALLS_MATTERMOST_TOKEN: bot.token,
      MM_CALLS_DEFAULT_ENABLED: 'true',
    },
  });
  site.service = srv.url;
  site.mattermost = mm.url;
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await closeAll(pages);
  await browser?.close();
  await srv?.stop();
  await site.stop();
  await mm.stop();
  if (tmp) fs.rmSync(tmp, {recursive: true, force: true});
});

test('two Mattermost users call each other through the plugin from the tarball: audio both ways, the plugin websocket, the call post through the API', async () => {
  const a = await mattermostUser('alice', alice);
  const b = await mattermostUser('bob', bob);

  // The bundle Mattermost served is the tarball's, loaded by its hashed bundle path.
  expect(mm.requestsTo('GET', '/api/v4/plugins/webapp').length).toBeGreaterThanOrEqual(2);

  await startCall(a);
  // Bob learns of the call on the plugin's websocket (Mattermost's socket carries no calls events).
  await joinCall(b);
  await a.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("2")');

  await talkBothWays(a, b);

  // Each page: Mattermost's main socket (the host's) and the plugin's, for the events and for the call.
  for (const name of ['alice', 'bob']) {
    const urls = sockets.get(name)!;
    expect(new Set(urls)).toEqual(new Set([PLUGIN_WS, '/api/v4/websocket']));
    expect(urls.filter((u) => u === PLUGIN_WS).length).toBeGreaterThanOrEqual(2);
  }
  // What reached the service was the plugin's websocket only; /api/v4/websocket went to Mattermost.
  expect(new Set(site.upgrades.map((u) => `${u.to} ${u.path}`))).toEqual(
    new Set([`service ${PLUGIN_WS}`, 'mattermost /api/v4/websocket']),
  );
  expect(web.mainSocketUsers.sort()).toEqual([alice.user.id, bob.user.id].sort());

  // The call post: created through Mattermost's API by the bot, the starter in its props, shown as the starter.
  const created = mm
    .requestsTo('POST', '/api/v4/posts')
    .filter((r) => (r.body as {type?: string}).type === 'custom_calls');
  expect(created).toHaveLength(1);
  expect(created[0].userID).toBe(bot.user.id);
  const post = [...d.posts.values()].find((p) => p.channel_id === town.id && String(p.type) === 'custom_calls')!;
  expect(post.user_id).toBe(bot.user.id);
  expect(post.props.calls_user_id).toBe(alice.user.id);
  // Mattermost's websocket brought the post to the channel view (`posted`): it names alice, not the bot.
  const sub = b.page.locator('[data-testid=call-thread] .calls-post-sub');
  await sub.waitFor();
  expect(await sub.textContent()).toMatch(/by (alice|Alice)/);

  // Both leave: the post is updated through the API and the pages see it ended (`post_edited`).
  for (const p of [a, b]) {
    await p.page.click('#calls-widget-leave-button');
    const leaveOnly = p.page.locator('#calls-widget-leave-menu-leave-call');
    if (await leaveOnly.isVisible().catch(() => false)) await leaveOnly.click();
    await p.page.waitForSelector('#calls-widget', {state: 'detached'});
  }
  await waitFor(() => post.message === 'Call ended', 10_000, 'the call post ended through the API');
  expect(mm.requestsTo('PUT', `/api/v4/posts/${post.id}/patch`).length).toBeGreaterThan(0);
  await b.page.waitForSelector('[data-testid=call-thread][data-call-state=ended]');
});
