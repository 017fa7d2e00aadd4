// Browser e2e support: a real server (createApp with the werift SFU on loopback ephemeral ports, temp data dir), Debian
// Chromium through playwright-core with fake media devices, the standalone host page, and a TCP proxy that can cut a
// page's HTTP/websocket connections to the server while WebRTC media keeps flowing directly.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import {chromium, type Browser, type BrowserContext, type Page} from 'playwright-core';

import {startCoturn, type Coturn} from '../support/coturn';
import {loopbackSfu, startTestServer, type TestServer} from '../support/server';
import {waitFor} from '../support/wait';

export const CHROMIUM = process.env.MM_CALLS_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, 'artifacts');
const ROOT = path.resolve(__dirname, '../..');

/** Builds the webapp if its sources changed (build.mjs skips the work otherwise). */
export function ensureWebappBuilt(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'build', 'build.mjs')], {cwd: ROOT, encoding: 'utf8'});
  if (r.status !== 0) {
    throw new Error(`webapp build failed:\n${r.stdout}\n${r.stderr}`);
  }
}

/** Chromium for the e2e tests; `extraArgs` add switches (e.g. a network policy). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y --no-install-recommends chromium\``,
    );
  }
  // launch() gives the browser a fresh temporary --user-data-dir and removes it on close.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  });
}

/** A server with the real SFU, calls enabled for everyone (test mode off). */
export async function startServer(
  env: Record<string, string> = {},
  opts: {port?: number; siteURL?: string} = {},
): Promise<TestServer> {
  return startTestServer({
    ...opts,
    env: {MM_CALLS_DEFAULT_ENABLED: 'true', ...env},
    rtc: loopbackSfu(),
  });
}

/** What useBrowserPerTest gives a test file. */
export interface BrowserPerTest {
  browser: Browser;
  server: TestServer | null;
  pages: UserPage[];
  /** The file's coturn (only with opts.coturn). */
  turn: Coturn;
  users(env: Record<string, string>, ...names: string[]): Promise<UserPage[]>;
  /** Logs the users in on `server` (which becomes the test's server) in `browser` (the file's by default). */
  login(server: TestServer, names: string[], browser?: Browser): Promise<UserPage[]>;
  closePages(): Promise<void>;
}

/**
 * A test file's browser setup: one Chromium for the file (and a coturn on loopback when asked), a fresh server per
 * test (started by users(), or given to login()), and every page and the server closed after each test.
 */
export function useBrowserPerTest(opts: {coturn?: {secret: string; relayPortBase: number}} = {}): BrowserPerTest {
  const ctx: BrowserPerTest = {
    browser: undefined as unknown as Browser,
    server: null,
    pages: [],
    turn: undefined as unknown as Coturn,
    async users(env: Record<string, string>, ...names: string[]): Promise<UserPage[]> {
      return ctx.login(await startServer(env), names);
    },
    async login(server: TestServer, names: string[], browser = ctx.browser): Promise<UserPage[]> {
      ctx.server = server;
      const list = await Promise.all(names.map((n) => loginPage(browser, server.url, n)));
      ctx.pages.push(...list);
      return list;
    },
    async closePages(): Promise<void> {
      await closeAll(ctx.pages);
      ctx.pages = [];
    },
  };
  beforeAll(async () => {
    ensureWebappBuilt();
    ctx.browser = await launchBrowser();
    if (opts.coturn) ctx.turn = await startCoturn(opts.coturn.secret, opts.coturn.relayPortBase);
  });
  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.turn?.stop();
  });
  afterEach(async () => {
    await ctx.closePages();
    await ctx.server?.stop();
    ctx.server = null;
  });
  return ctx;
}

/** A TCP proxy in front of the server's HTTP port: cut() drops every connection and refuses new ones until restore(). */
export class CuttableProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #blocked = false;
  port = 0;

  private constructor(targetPort: number) {
    this.#server = net.createServer((client) => {
      if (this.#blocked) {
        client.destroy();
        return;
      }
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  static async start(targetURL: string): Promise<CuttableProxy> {
    const p = new CuttableProxy(Number(new URL(targetURL).port));
    await new Promise<void>((resolve) => p.#server.listen(0, '127.0.0.1', resolve));
    p.port = (p.#server.address() as net.AddressInfo).port;
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.#blocked = true;
    for (const s of this.#sockets) {
      s.destroy();
    }
  }

  restore(): void {
    this.#blocked = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

export interface UserPage {
  user: string;
  context: BrowserContext;
  page: Page;
  userID: string;
}

/** Opens a fresh context (own cookies) and logs the user in on the standalone host page. */
export async function loginPage(
  browser: Browser,
  baseURL: string,
  user: string,
  password = user,
  contextOptions: {locale?: string} = {},
): Promise<UserPage> {
  const context = await browser.newContext({viewport: {width: 1280, height: 720}, ...contextOptions});
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${user}] page error: ${err.message}`));
  if (process.env.E2E_CONSOLE) {
    page.on('console', (m) => console.log(`[${user}] ${m.type()}: ${m.text()}`));
  }
  await page.goto(`${baseURL}/`);
  await page.fill('#input_loginId', user);
  await page.fill('#input_password-input', password);
  await page.click('#saveSetting');
  await page.waitForSelector('#channelHeaderTitle');
  const userID = await page.evaluate(
    () =>
      (window as unknown as {store: {getState(): {entities: {users: {currentUserId: string}}}}}).store.getState()
        .entities.users.currentUserId,
  );
  return {user, context, page, userID};
}

export async function openChannel(p: UserPage, name: string): Promise<void> {
  await p.page.click(`#sidebarItem_${name.replace(/([^a-zA-Z0-9_-])/g, '\\$1')}`);
  await p.page.waitForFunction(
    (n) => document.querySelector('#sidebarItem_' + CSS.escape(n))?.classList.contains('active'),
    name,
  );
}

/** Waits until this page's call client has its RTC connection up. */
export async function waitForCallConnected(page: Page, timeout = 30000): Promise<void> {
  try {
    await page.waitForFunction(
      () => {
        const c = (window as unknown as {callsClient?: {isConnected: boolean}}).callsClient;
        return Boolean(c?.isConnected);
      },
      null,
      {timeout},
    );
  } catch (err) {
    // A rare timeout on a loaded machine: say where the join stood so the next failure can be understood.
    throw new Error(`call not connected within ${timeout} ms: ${await callDiagnostics(page)}`, {cause: err});
  }
  await page.waitForSelector('[data-testid=calls-widget-loading-overlay]', {state: 'detached'});
}

/** The page's call state in one line: the client, its peer connection's states, the widget, any error shown. */
export async function callDiagnostics(page: Page): Promise<string> {
  try {
    return await page.evaluate(() => {
      const c = (window as unknown as {callsClient?: {isConnected: boolean; peerConnection: RTCPeerConnection | null}})
        .callsClient;
      const pc = c?.peerConnection;
      const text = (sel: string) => document.querySelector(sel)?.textContent?.trim().slice(0, 200) ?? null;
      return JSON.stringify({
        client: Boolean(c),
        connected: c?.isConnected ?? null,
        pc: pc ? {signaling: pc.signalingState, ice: pc.iceConnectionState, conn: pc.connectionState} : null,
        widget: Boolean(document.querySelector('#calls-widget')),
        joinButton: document.querySelector('#calls-join-button')?.getAttribute('data-state') ?? null,
        textbox: (document.querySelector('#post_textbox') as HTMLTextAreaElement | null)?.value ?? null,
        error: text('#calls_generic_error') ?? text('[role=dialog]'),
      });
    });
  } catch (err) {
    return `(no diagnostics: ${(err as Error).message})`;
  }
}

/** Starts a call from the channel header's button and waits until it is connected. */
export async function startCall(p: UserPage): Promise<void> {
  await p.page.click('#calls-join-button');
  await waitForCallConnected(p.page);
}

/** Sends `text` (a message or a slash command) from the channel's message box. */
export async function sendMessage(p: UserPage, text: string): Promise<void> {
  await p.page.fill('#post_textbox', text);
  await p.page.press('#post_textbox', 'Enter');
}

/** Starts a call with `/call start [title]` from the channel's message box and waits until it is connected. */
export async function startCallWithSlash(p: UserPage, title = ''): Promise<void> {
  // The plugin has its channel state (and its slash hook) once the header button says "start".
  await p.page.waitForSelector('#calls-join-button[data-state=start]');
  await sendMessage(p, title ? `/call start ${title}` : '/call start');
  await waitForCallConnected(p.page);
}

/** Joins the channel's ongoing call from the header's button and waits until it is connected. */
export async function joinCall(p: UserPage): Promise<void> {
  await p.page.waitForSelector('#calls-join-button[data-state=join]');
  await p.page.click('#calls-join-button');
  await waitForCallConnected(p.page);
}

/** The id of the channel the page shows. */
export function currentChannelID(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      (window as unknown as {store: {getState(): {entities: {channels: {currentChannelId: string}}}}}).store.getState()
        .entities.channels.currentChannelId,
  );
}

/** The name of the user's (only) DM channel. */
export function dmName(p: UserPage): Promise<string> {
  return p.page.evaluate(() => {
    const st = (
      window as unknown as {
        store: {getState(): {entities: {channels: {channels: Record<string, {type: string; name: string}>}}}};
      }
    ).store.getState();
    return Object.values(st.entities.channels.channels).find((c) => c.type === 'D')!.name;
  });
}

/**
 * Opens the channel, waits for its call button to match `button` (a selector for the state expected), joins from
 * it and unmutes: the user is talking in the call.
 */
export async function joinFromChannelAndTalk(p: UserPage, channel: string, button: string): Promise<void> {
  await openChannel(p, channel);
  await p.page.waitForSelector(button);
  await p.page.click('#calls-join-button');
  await waitForCallConnected(p.page);
  await unmute(p);
}

/** Unmutes from the call controls and waits until the button offers to mute again. */
export async function unmute(p: UserPage): Promise<void> {
  await p.page.click('#voice-mute-unmute');
  await p.page.waitForSelector('#voice-mute-unmute[aria-label=Mute]');
}

/** Both users in a call unmute and hear each other: inbound audio grows on both pages. */
export async function talkBothWays(a: UserPage, b: UserPage): Promise<void> {
  await unmute(a);
  await unmute(b);
  await Promise.all([expectInboundAudioGrowing(a.page), expectInboundAudioGrowing(b.page)]);
}

/** A user's row in the widget's participants list. */
export function participantRow(p: UserPage, userID: string) {
  return p.page.locator(`#calls-widget-participants-list [data-testid=calls-participant][data-user-id="${userID}"]`);
}

/** Sum of bytesReceived of inbound audio RTP streams on this page's call peer connection. */
export async function inboundAudioBytes(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const c = (window as unknown as {callsClient?: {peerConnection: RTCPeerConnection | null}}).callsClient;
    const pc = c?.peerConnection;
    if (!pc) {
      return 0;
    }
    const stats = await pc.getStats();
    let total = 0;
    stats.forEach((s: RTCStats & {kind?: string; bytesReceived?: number}) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        total += s.bytesReceived || 0;
      }
    });
    return total;
  });
}

/** Waits until inbound audio on the page grows by at least minBytes. */
export async function expectInboundAudioGrowing(page: Page, minBytes = 2000, timeout = 15000): Promise<void> {
  const start = await inboundAudioBytes(page);
  let now = start;
  const grown = async () => {
    await page.waitForTimeout(500);
    now = await inboundAudioBytes(page);
    return now - start >= minBytes;
  };
  await waitFor(grown, timeout, 'inbound audio to grow', 0).catch(() => {
    throw new Error(`inbound audio did not grow enough: ${start} → ${now} bytes in ${timeout} ms`);
  });
}

/** Inbound audio grows by 2 KB within some 1.5 s window (the peer connection may be replaced meanwhile). */
export async function audioFlowing(p: UserPage, timeoutMs: number): Promise<void> {
  const grew = async () => {
    const s1 = await inboundAudioBytes(p.page);
    await p.page.waitForTimeout(1500);
    return (await inboundAudioBytes(p.page)) - s1 >= 2000;
  };
  await waitFor(grew, timeoutMs, `${p.user}: inbound audio`, 0);
}

/** Opens the pop-out from the widget; resolves with the pop-out's page once its expanded view is up. */
export async function openPopOut(page: Page): Promise<Page> {
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#calls-widget-expand-button')]);
  popup.on('pageerror', (err) => console.error(`[popout] page error: ${err.message}`));
  if (process.env.E2E_CONSOLE) {
    popup.on('console', (m) => console.log(`[popout] ${m.type()}: ${m.text()}`));
  }
  await popup.waitForSelector('#calls-expanded-view');
  return popup;
}

/** Resolves once the <video> with this id plays and its decoded frame count grows. */
export async function expectVideoFrames(page: Page, id: string, timeout = 20000): Promise<void> {
  await page.waitForFunction(
    (sel) => {
      const v = document.getElementById(sel) as HTMLVideoElement | null;
      if (!v || v.paused || v.videoWidth === 0) {
        return false;
      }
      const q = v.getVideoPlaybackQuality();
      const w = window as unknown as Record<string, number>;
      const prev = w[`frames_${sel}`];
      w[`frames_${sel}`] = q.totalVideoFrames;
      return prev !== undefined && q.totalVideoFrames > prev;
    },
    id,
    {timeout, polling: 500},
  );
}

export async function saveScreenshots(name: string, page: Page): Promise<void> {
  fs.mkdirSync(ARTIFACTS, {recursive: true});
  const widget = page.locator('#calls-widget');
  if (await widget.count()) {
    await widget.screenshot({path: path.join(ARTIFACTS, `${name}-widget.png`)});
  }
  const expand = page.locator('#calls-widget-expand-button');
  if (await expand.count()) {
    const popup = await openPopOut(page);
    // A screen share needs its first frames before the picture is worth keeping.
    await popup
      .waitForFunction(
        () =>
          Array.from(document.querySelectorAll<HTMLVideoElement>('#calls-expanded-view video')).every(
            (v) => !v.srcObject || (v.videoWidth > 0 && v.currentTime > 0.3),
          ),
        null,
        {timeout: 10000},
      )
      .catch(() => undefined);
    await popup.screenshot({path: path.join(ARTIFACTS, `${name}-expanded.png`)});
    await popup.close();
    await page.waitForSelector('#calls-widget');
  }
}

export async function closeAll(pages: UserPage[]): Promise<void> {
  await Promise.all(pages.map((p) => p.context.close().catch(() => undefined)));
}
