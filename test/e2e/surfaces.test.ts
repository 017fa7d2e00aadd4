// Browser e2e of the surfaces of reference webapp.md §7 nobody had exercised (issue 14): the main websocket dropped
// and back (config, channel states and the call's participants refetched, the call goes on), the 15 s connection
// timeout and its error modal, leaving or being removed from the channel during a call, push-to-talk in the pop-out,
// the desktop notification for an incoming DM call, and a screen shared with its sound.
import type {Page} from 'playwright-core';

import {
  closeAll,
  CuttableProxy,
  loginPage,
  openChannel,
  openPopOut,
  startServer,
  useBrowserPerTest,
  waitForCallConnected,
  startCall,
  joinCall,
  currentChannelID,
  dmName,
  participantRow,
} from './support';

jest.setTimeout(60000);
const e2e = useBrowserPerTest();

/** A same-origin API call from the page with the session cookie and CSRF header, as the webapp makes it. */
async function api(page: Page, method: string, url: string, body?: unknown): Promise<number> {
  return page.evaluate(
    async ({method, url, body}) => {
      const csrf = /(?:^|; )MMCSRF=([^;]*)/.exec(document.cookie)?.[1] ?? '';
      const res = await fetch(url, {
        method,
        credentials: 'include',
        headers: {'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest', 'X-CSRF-Token': csrf},
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return res.status;
    },
    {method, url, body},
  );
}

test('the main websocket drops: what changed meanwhile (config, a new participant, a raised hand) shows after it is back', async () => {
  e2e.server = await startServer();
  const proxy = await CuttableProxy.start(e2e.server.url);
  try {
    const a = await loginPage(e2e.browser, proxy.url, 'alice');
    const [b, c, admin] = await Promise.all(
      ['bob', 'carol', 'admin'].map((u) => loginPage(e2e.browser, e2e.server!.url, u)),
    );
    e2e.pages.push(a, b, c, admin);
    await startCall(a);
    await joinCall(b);
    await a.page.click('#calls-widget-participants-button');
    await participantRow(a, b.userID).waitFor();

    proxy.cut();
    await a.page.waitForFunction(
      () => !(window as unknown as {callsClient: {ws: {isReady: boolean}}}).callsClient.ws.isReady,
    );
    // While Alice is offline: Carol joins, Bob raises his hand, and the admin changes a setting. Alice's page
    // gets none of those events.
    await joinCall(c);
    await b.page.click('#raise-hand');
    const status = await api(admin.page, 'PUT', '/api/v4/config', {
      PluginSettings: {Plugins: {'com.mattermost.calls': {maxcallparticipants: 7}}},
    });
    expect(status).toBe(200);
    await a.page.waitForTimeout(1500);
    expect(await participantRow(a, c.userID).count()).toBe(0);
    proxy.restore();

    await participantRow(a, c.userID).waitFor({timeout: 20000});
    await participantRow(a, b.userID).locator('[data-testid=calls-participant-hand]').waitFor();
    await a.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("3")');
    await a.page.waitForFunction(
      () =>
        (
          window as unknown as {store: {getState(): Record<string, {callsConfig?: {MaxCallParticipants: number}}>}}
        ).store.getState()['plugins-com.mattermost.calls']?.callsConfig?.MaxCallParticipants === 7,
    );
    expect(await a.page.locator('#call-error-modal').count()).toBe(0);
    // The call goes on over the resumed sockets: Alice's mute reaches the others.
    await c.page.click('#calls-widget-participants-button');
    await a.page.click('#voice-mute-unmute');
    await participantRow(c, a.userID).locator('[data-testid=calls-participant-unmuted]').waitFor();
  } finally {
    await closeAll(e2e.pages);
    e2e.pages = [];
    await proxy.close();
  }
});

test('the RTC port cannot be reached: after 15 s "Call connection failed", and the re-join link tries again', async () => {
  const [a] = await e2e.users({}, 'alice');
  // No ICE candidate can pair (relay only, and no TURN server): as if UDP to the RTC port were blocked.
  await a.page.evaluate(() => {
    const Native = window.RTCPeerConnection;
    class Blocked extends Native {
      constructor(cfg?: RTCConfiguration) {
        super({...cfg, iceTransportPolicy: 'relay'});
      }
    }
    window.RTCPeerConnection = Blocked;
  });
  const started = Date.now();
  await a.page.click('#calls-join-button');
  await a.page.waitForSelector('[data-testid=calls-widget-loading-overlay]');
  const modal = a.page.locator('#call-error-modal');
  await modal.waitFor({timeout: 25000});
  const elapsed = Date.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(14000);
  expect(await modal.textContent()).toContain('Call connection failed');
  expect(await modal.textContent()).toContain("We couldn't join the call because the connection timed out.");
  expect(await modal.locator('a:text-is("Troubleshooting calls")').getAttribute('href')).toContain('docs.mattermost');
  await a.page.waitForSelector('#calls-widget', {state: 'detached'});
  // The user left the call on the server too: the channel shows no call in progress.
  await a.page.waitForSelector('#calls-join-button[data-state=start]');
  // Re-join tries again (and connects once the network lets it).
  await a.page.evaluate(() => {
    window.RTCPeerConnection = Object.getPrototypeOf(window.RTCPeerConnection) as typeof RTCPeerConnection;
  });
  await a.page.click('[data-testid=call-error-rejoin]');
  await waitForCallConnected(a.page);
  expect(await modal.count()).toBe(0);
});

test('removed from the channel, or leaving it, during a call disconnects you and says why', async () => {
  const [a, b, admin] = await e2e.users({}, 'alice', 'bob', 'admin');
  await startCall(a);
  await joinCall(b);
  const channelID = await currentChannelID(a.page);

  expect(await api(admin.page, 'DELETE', `/api/v4/channels/${channelID}/members/${a.userID}`)).toBe(200);
  const removed = a.page.locator('#call-error-modal');
  await removed.waitFor();
  expect(await removed.textContent()).toContain('You were removed from the channel');
  await a.page.waitForSelector('#calls-widget', {state: 'detached'});
  await b.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("1")');

  expect(await api(b.page, 'DELETE', `/api/v4/channels/${channelID}/members/${b.userID}`)).toBe(200);
  const left = b.page.locator('#call-error-modal');
  await left.waitFor();
  expect(await left.textContent()).toContain('You left the channel');
  await b.page.waitForSelector('#calls-widget', {state: 'detached'});
});

test('push-to-talk in the pop-out: holding Space unmutes, releasing it mutes; not while typing', async () => {
  const [a, b] = await e2e.users({}, 'alice', 'bob');
  await startCall(a);
  await joinCall(b);
  await b.page.click('#calls-widget-participants-button');
  const aliceOnB = participantRow(b, a.userID);
  await aliceOnB.locator('[data-testid=calls-participant-muted]').waitFor();

  const popup = await openPopOut(a.page);
  await popup.locator('body').click({position: {x: 5, y: 5}});
  await popup.keyboard.down('Space');
  await a.page.waitForSelector('#voice-mute-unmute[aria-label=Mute]');
  await aliceOnB.locator('[data-testid=calls-participant-unmuted]').waitFor();
  await popup.waitForTimeout(600); // held: key repeats do not toggle
  expect(await a.page.getAttribute('#voice-mute-unmute', 'aria-label')).toBe('Mute');
  await popup.keyboard.up('Space');
  await a.page.waitForSelector('#voice-mute-unmute[aria-label=Unmute]');
  await aliceOnB.locator('[data-testid=calls-participant-muted]').waitFor();

  // Space typed into a text field is text, not push-to-talk.
  await popup.evaluate(() => {
    const input = document.createElement('input');
    input.id = 'e2e-typing';
    document.body.appendChild(input);
  });
  await popup.focus('#e2e-typing');
  await popup.keyboard.down('Space');
  await popup.waitForTimeout(500);
  await popup.keyboard.up('Space');
  expect(await a.page.getAttribute('#voice-mute-unmute', 'aria-label')).toBe('Unmute');
  expect(await popup.inputValue('#e2e-typing')).toBe(' ');
});

test('a DM call raises a desktop notification while the page is hidden; clicking it opens the DM', async () => {
  const [a, b] = await e2e.users({MM_CALLS_ENABLE_RINGING: 'true'}, 'alice', 'bob');
  await b.context.grantPermissions(['notifications'], {origin: e2e.server!.url});
  // Records each browser Notification (the real one is still shown), and lets the test hide the page.
  await b.page.evaluate(() => {
    const w = window as unknown as {e2eNotifications: Notification[]; e2eHidden: boolean};
    w.e2eNotifications = [];
    w.e2eHidden = false;
    const Native = window.Notification;
    class Recorded extends Native {
      constructor(title: string, opts?: NotificationOptions) {
        super(title, opts);
        w.e2eNotifications.push(this);
      }
    }
    window.Notification = Recorded as typeof Notification;
    Object.defineProperty(document, 'visibilityState', {get: () => (w.e2eHidden ? 'hidden' : 'visible')});
  });
  const notifications = () =>
    b.page.evaluate(() =>
      (window as unknown as {e2eNotifications: Notification[]}).e2eNotifications.map((n) => ({
        title: n.title,
        body: n.body,
      })),
    );
  const dm = await dmName(a);
  await openChannel(a, dm);

  // The page is visible: the card, but no desktop notification.
  await startCall(a);
  await b.page.waitForSelector('[data-testid=call-incoming]');
  await b.page.waitForTimeout(500);
  expect(await notifications()).toEqual([]);
  await a.page.click('#calls-widget-leave-button');
  await b.page.waitForSelector('[data-testid=call-incoming]', {state: 'detached'});

  // Hidden (another tab in front): the next call notifies once.
  await b.page.evaluate(() => ((window as unknown as {e2eHidden: boolean}).e2eHidden = true));
  await startCall(a);
  await b.page.waitForFunction(() => (window as unknown as {e2eNotifications: unknown[]}).e2eNotifications.length > 0);
  expect(await notifications()).toEqual([{title: 'Incoming call', body: 'alice is inviting you to a call'}]);
  expect(await b.page.evaluate(() => Notification.permission)).toBe('granted');

  // Clicking it brings the user to the DM, where the call can be joined.
  await b.page.evaluate(() =>
    (window as unknown as {e2eNotifications: Notification[]}).e2eNotifications[0].onclick?.(new Event('click')),
  );
  await b.page.waitForFunction(
    (n) => document.querySelector('#sidebarItem_' + CSS.escape(n))?.classList.contains('active'),
    dm,
  );
  await b.page.waitForSelector('#calls-join-button[data-state=join]');
});

test('screen share with sound: the others receive and play a screen-audio track beside the screen, and the voice once', async () => {
  const [a, b] = await e2e.users({}, 'alice', 'bob');
  // A display capture with sound, as a browser tab shared with "Also share tab audio" gives: a canvas for the
  // picture and an oscillator for the sound. The constraints asked for are kept for the test.
  await a.page.evaluate(() => {
    const w = window as unknown as {e2eDisplayConstraints: unknown[]};
    w.e2eDisplayConstraints = [];
    navigator.mediaDevices.getDisplayMedia = async (constraints?: DisplayMediaStreamOptions) => {
      w.e2eDisplayConstraints.push(constraints);
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 360;
      const g = canvas.getContext('2d')!;
      let n = 0;
      setInterval(() => {
        g.fillStyle = `hsl(${n++ % 360}, 80%, 50%)`;
        g.fillRect(0, 0, 640, 360);
      }, 50);
      const ctx = new AudioContext();
      const osc = ctx.createOscillator();
      const dest = ctx.createMediaStreamDestination();
      osc.connect(dest);
      osc.start();
      return new MediaStream([...canvas.captureStream(15).getVideoTracks(), ...dest.stream.getAudioTracks()]);
    };
  });
  await startCall(a);
  await joinCall(b);
  await a.page.click('#calls-widget-screenshare-button');
  await a.page.waitForSelector('[data-testid=calls-widget-stop-screenshare]');
  expect(
    await a.page.evaluate(() => (window as unknown as {e2eDisplayConstraints: unknown[]}).e2eDisplayConstraints),
  ).toEqual([{video: true, audio: true}]);

  // Bob plays it like a voice, from a track the server marked as the screen's sound (Alice is still muted).
  const sel = 'audio[data-testid^="screen-audio_"]';
  await b.page.waitForSelector(sel, {state: 'attached'});
  await b.page.waitForFunction((s) => {
    const el = document.querySelector<HTMLAudioElement>(s);
    return Boolean(el && !el.paused && el.currentTime > 0.5);
  }, sel);
  const screenAudioBytes = () =>
    b.page.evaluate(async () => {
      const pc = (window as unknown as {callsClient: {peerConnection: RTCPeerConnection}}).callsClient.peerConnection;
      const ids = new Set(
        pc
          .getReceivers()
          .filter((r) => r.track.id.startsWith('screen-audio_'))
          .map((r) => r.track.id),
      );
      let total = 0;
      (await pc.getStats()).forEach((s: RTCStats & {trackIdentifier?: string; bytesReceived?: number}) => {
        if (s.type === 'inbound-rtp' && s.trackIdentifier && ids.has(s.trackIdentifier)) {
          total += s.bytesReceived || 0;
        }
      });
      return total;
    });
  const first = await screenAudioBytes();
  await b.page.waitForTimeout(1500);
  expect((await screenAudioBytes()) - first).toBeGreaterThan(2000);
  // Alice talks while sharing: her voice and her screen's sound arrive in one stream (her session), yet each
  // plays once, from its own element.
  await a.page.click('#voice-mute-unmute');
  await b.page.waitForSelector('audio[data-testid^="voice_"]', {state: 'attached'});
  const played = await b.page.evaluate(() =>
    Array.from(document.querySelectorAll('audio')).map((el) => ({
      id: el.dataset.testid,
      tracks: (el.srcObject as MediaStream).getAudioTracks().map((t) => t.id),
    })),
  );
  expect(played).toHaveLength(2);
  for (const p of played) {
    expect(p.tracks).toEqual([p.id]);
  }
  // Alice stops sharing: the screen's sound element leaves Bob's page (it used to stay, hidden), her voice stays.
  await a.page.click('[data-testid=calls-widget-stop-screenshare]');
  await b.page.waitForSelector(sel, {state: 'detached', timeout: 10000});
  expect(await b.page.locator('audio[data-testid^="voice_"]').count()).toBe(1);
});
