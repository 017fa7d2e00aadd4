// Browser end-to-end: two users on the standalone host page, in Debian Chromium with fake media devices, against a
// real server with the werift SFU. Each test starts its own server; the browser is shared, one context per user.

import {
  closeAll,
  CuttableProxy,
  expectInboundAudioGrowing,
  expectVideoFrames,
  inboundAudioBytes,
  loginPage,
  openChannel,
  openPopOut,
  saveScreenshots,
  startServer,
  useBrowserPerTest,
  type UserPage,
  waitForCallConnected,
  startCall,
  startCallWithSlash,
  sendMessage,
  joinCall,
  dmName,
  currentChannelID,
  talkBothWays,
  participantRow,
} from './support';

jest.setTimeout(120000);

const e2e = useBrowserPerTest();
const users = (...names: string[]) => e2e.users({}, ...names);

test("two users join a call: audio flows both ways, B sees A speaking and A's raised hand", async () => {
  const [a, b] = await users('alice', 'bob');
  await startCall(a);
  await joinCall(b);
  await a.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("2")');
  await b.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("2")');

  await talkBothWays(a, b);

  // Only A unmuted: B's widget names A as the speaker (server-side voice activity, user_voice_on).
  await b.page.click('#voice-mute-unmute');
  await b.page.waitForSelector('#voice-mute-unmute[aria-label=Unmute]');
  await b.page.waitForSelector('[data-testid=calls-widget-speaking]:text-is("alice is talking…")', {timeout: 20000});

  await a.page.click('#raise-hand');
  await b.page.click('#calls-widget-participants-button');
  await participantRow(b, a.userID).locator('[data-testid=calls-participant-hand]').waitFor();
  await participantRow(b, a.userID).locator('[data-testid=calls-participant-unmuted]').waitFor();
  await participantRow(b, b.userID).locator('[data-testid=calls-participant-muted]').waitFor();
  await saveScreenshots('join-speak-hand', b.page);
});

test("a call outlasts the SFU's 30 s consent expiry on the same connection: Chromium's own ICE checks renew it", async () => {
  const [a, b] = await users('alice', 'bob');
  await startCall(a);
  await joinCall(b);
  await talkBothWays(a, b);
  // The SFU sends no consent checks once a pair is selected (server/src/rtc/werift/clientConsent.ts): past the
  // expiry it keeps sending only if the browser's checks reached it. A dropped session would reconnect with a new
  // peer connection, so the first one is marked and must still be the one in use, still connected.
  const mark = (page: UserPage['page']) =>
    page.evaluate(() => {
      const w = window as unknown as {callsClient: {peerConnection: RTCPeerConnection}; firstPC?: RTCPeerConnection};
      w.firstPC = w.callsClient.peerConnection;
    });
  const same = (page: UserPage['page']) =>
    page.evaluate(() => {
      const w = window as unknown as {callsClient: {peerConnection: RTCPeerConnection}; firstPC?: RTCPeerConnection};
      return w.firstPC === w.callsClient.peerConnection && w.firstPC.connectionState;
    });
  await Promise.all([mark(a.page), mark(b.page)]);
  await a.page.waitForTimeout(36_000);
  await Promise.all([expectInboundAudioGrowing(a.page), expectInboundAudioGrowing(b.page)]);
  expect(await same(a.page)).toBe('connected');
  expect(await same(b.page)).toBe('connected');
});

test('screen share from A plays with frames on B, in the widget and the expanded view', async () => {
  const [a, b] = await users('alice', 'bob');
  // Started with the slash command through the host page's message box; B joins from the call post.
  await startCallWithSlash(a, 'Design review');
  const joinButton = b.page.locator('[data-testid=call-thread] [data-testid=calls-post-join-button]');
  await b.page.waitForSelector('[data-testid=call-thread] h3:text-is("Design review")');
  await joinButton.click();
  await waitForCallConnected(b.page);

  await a.page.click('#calls-widget-screenshare-button');
  await a.page.waitForSelector('[data-testid=calls-widget-stop-screenshare]');
  await b.page.waitForSelector('[data-testid=calls-widget-screen-panel]:has-text("You\'re viewing alice\'s screen")');
  await expectVideoFrames(b.page, 'screen-player');
  const remoteTrackIDs = await b.page.evaluate(() =>
    (window as unknown as {callsClient: {peerConnection: RTCPeerConnection}}).callsClient.peerConnection
      .getReceivers()
      .map((r) => r.track.id),
  );
  expect(remoteTrackIDs.some((id) => id.startsWith('screen_'))).toBe(true);
  await saveScreenshots('screen-share', b.page);

  const popup = await openPopOut(b.page);
  await expectVideoFrames(popup, 'calls-expanded-view-screen-player');
  await popup.close();

  await a.page.click('[data-testid=calls-widget-stop-screenshare]');
  await b.page.waitForSelector('[data-testid=calls-widget-screen-panel]', {state: 'detached'});
  await b.page.waitForSelector('#calls-widget-screenshare-button:not([disabled])');
});

async function dumpAndThrow(e: unknown, a: UserPage, b: UserPage): Promise<never> {
  const dump = async (pg: typeof a.page) =>
    pg.evaluate(async () => {
      const pc = (window as unknown as {callsClient: {peerConnection: RTCPeerConnection}}).callsClient.peerConnection;
      const st: unknown[][] = [];
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' || s.type === 'outbound-rtp')
          st.push([
            s.type,
            s.kind,
            s.mid,
            s.packetsReceived,
            s.packetsSent,
            s.framesDecoded,
            s.framesEncoded,
            s.pliCount,
            s.firCount,
            s.nackCount,
            s.keyFramesEncoded,
          ]);
      });
      return {
        sdp: pc.remoteDescription?.sdp
          .split('\r\n')
          .filter((l) => /^(m=|a=extmap|a=mid|a=msid|a=sendonly|a=recvonly|a=inactive|a=sendrecv)/.test(l)),
        st,
        sig: pc.signalingState,
        conn: pc.connectionState,
        v: Array.from(document.querySelectorAll('video')).map((v) => [
          v.id,
          v.paused,
          v.videoWidth,
          (v.srcObject as MediaStream | null)?.getTracks().map((t) => [t.id, t.readyState, t.muted]),
        ]),
      };
    });
  console.log('A', JSON.stringify(await dump(a.page)));
  console.log('B', JSON.stringify(await dump(b.page)));
  throw e;
}

test('talking and sharing in turn on the same connections: every server offer is accepted and media keeps flowing', async () => {
  const [a, b] = await users('alice', 'bob');
  await startCall(a);
  await joinCall(b);
  // Both send voice first, so each peer connection has the browser's own audio m-line and one the server added.
  await talkBothWays(a, b);
  // B shares: A gets a server offer with a video m-line beside the audio ones.
  await b.page.click('#calls-widget-screenshare-button');
  await a.page.waitForSelector('[data-testid=calls-widget-screen-panel]:has-text("You\'re viewing bob\'s screen")');
  await expectVideoFrames(a.page, 'screen-player').catch((e) => dumpAndThrow(e, a, b));
  await b.page.click('[data-testid=calls-widget-stop-screenshare]');
  await a.page.waitForSelector('[data-testid=calls-widget-screen-panel]', {state: 'detached'});
  // A, who just watched a screen, shares its own.
  await a.page.waitForSelector('#calls-widget-screenshare-button:not([disabled])');
  await a.page.click('#calls-widget-screenshare-button');
  await b.page.waitForSelector('[data-testid=calls-widget-screen-panel]:has-text("You\'re viewing alice\'s screen")');
  await expectVideoFrames(b.page, 'screen-player').catch((e) => dumpAndThrow(e, a, b));
  // Nobody dropped out, and voice still flows both ways.
  for (const p of [a, b])
    expect(await p.page.locator('[data-testid=calls-widget-participants-count]').textContent()).toBe('2');
  await Promise.all([expectInboundAudioGrowing(a.page), expectInboundAudioGrowing(b.page)]);
});

test('A leaves and B sees the list update; B leaves last and the call post shows it ended with a duration', async () => {
  const [a, b] = await users('alice', 'bob');
  await startCall(a);
  await joinCall(b);
  await b.page.click('#calls-widget-participants-button');
  await participantRow(b, a.userID).waitFor();

  // A started the call so A is the host: leaving offers "End call for everyone" or "Leave call".
  await a.page.click('#calls-widget-leave-button');
  await a.page.waitForSelector('#calls-widget-leave-menu-end-call');
  await a.page.click('#calls-widget-leave-menu-leave-call');
  await a.page.waitForSelector('#calls-widget', {state: 'detached'});

  await participantRow(b, a.userID).waitFor({state: 'detached'});
  await b.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("1")');
  await saveScreenshots('leave', b.page);

  await b.page.click('#calls-widget-leave-button');
  await b.page.waitForSelector('#calls-widget', {state: 'detached'});
  for (const p of [a, b]) {
    const post = p.page.locator('[data-testid=call-thread][data-call-state=ended]');
    await post.waitFor();
    await expect(post.locator('[data-testid=calls-post-ended-info]').textContent()).resolves.toMatch(
      /Ended at .+Lasted a few seconds/,
    );
    await p.page.waitForSelector('#calls-join-button[data-state=start]');
  }
});

test('the link from /call link joins the call when opened', async () => {
  const [a, b] = await users('alice', 'bob');
  await startCall(a);
  await sendMessage(a, '/call link');
  const ephemeral = a.page.locator('.sa-post--ephemeral .sa-post-message', {hasText: 'join_call=true'});
  await ephemeral.waitFor();
  const link = /https?:\/\/\S+join_call=true/.exec((await ephemeral.textContent()) || '')![0];
  // The server's SiteURL may name another host: keep the path and query.
  const u = new URL(link);
  await b.page.goto(`${e2e.server!.url}${u.pathname}${u.search}`);
  await waitForCallConnected(b.page);
  await b.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("2")');
  expect(new URL(b.page.url()).searchParams.get('join_call')).toBeNull();
});

test('a non-member of a private channel sees no call button and learns nothing of its call', async () => {
  const [a, d] = await users('alice', 'dave');
  await openChannel(a, 'private-room');
  await startCall(a);
  const privateID = await currentChannelID(a.page);

  // The plugin is loaded for dave: the public channel has its call button.
  await d.page.waitForSelector('#calls-join-button[data-state=start]');
  expect(await d.page.locator('#sidebarItem_private-room').count()).toBe(0);
  await d.page.goto(`${e2e.server!.url}/calls/channels/private-room`);
  await d.page.waitForSelector('#channel-not-found');
  expect(await d.page.locator('#calls-join-button').count()).toBe(0);
  expect(await d.page.locator('#calls-channel-toast').count()).toBe(0);
  const seen = await d.page.evaluate((id) => {
    const st = (
      window as unknown as {
        store: {getState(): Record<string, {calls: Record<string, unknown>; sessions: Record<string, unknown>}>};
      }
    ).store.getState()['plugins-com.mattermost.calls'];
    return Boolean(st.calls[id] || st.sessions[id]);
  }, privateID);
  expect(seen).toBe(false);
});

test('the websocket is cut and restored within 30 s: the call goes on and audio continues', async () => {
  e2e.server = await startServer();
  const proxy = await CuttableProxy.start(e2e.server.url);
  try {
    const a = await loginPage(e2e.browser, proxy.url, 'alice');
    const b = await loginPage(e2e.browser, e2e.server.url, 'bob');
    e2e.pages.push(a, b);
    // A DM call: both sides start unmuted.
    await openChannel(a, await dmName(a));
    await openChannel(b, await dmName(b));
    await startCall(a);
    await joinCall(b);
    await a.page.waitForSelector('#voice-mute-unmute[aria-label=Mute]');
    await b.page.waitForSelector('#voice-mute-unmute[aria-label=Mute]');
    await Promise.all([expectInboundAudioGrowing(a.page), expectInboundAudioGrowing(b.page)]);
    const sessionBefore = await a.page.evaluate(
      () => (window as unknown as {callsClient: {sessionID: string}}).callsClient.sessionID,
    );

    proxy.cut();
    await a.page.waitForFunction(
      () => !(window as unknown as {callsClient: {ws: {isReady: boolean}}}).callsClient.ws.isReady,
    );
    // Offline for a while (several failed reconnect attempts), but well under the 30 s give-up.
    await a.page.waitForTimeout(6000);
    const duringCut = await inboundAudioBytes(b.page);
    proxy.restore();
    await a.page.waitForFunction(
      () => (window as unknown as {callsClient: {ws: {isReady: boolean}}}).callsClient.ws.isReady,
      null,
      {timeout: 20000},
    );

    expect(await a.page.locator('#call-error-modal').count()).toBe(0);
    const sessionAfter = await a.page.evaluate(
      () => (window as unknown as {callsClient: {sessionID: string}}).callsClient.sessionID,
    );
    expect(sessionAfter).toBe(sessionBefore);
    await Promise.all([expectInboundAudioGrowing(a.page), expectInboundAudioGrowing(b.page)]);
    expect(await inboundAudioBytes(b.page)).toBeGreaterThan(duringCut);
    await b.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("2")');

    // Signaling still works over the resumed socket: mute and unmute are seen by B.
    await b.page.click('#calls-widget-participants-button');
    await a.page.click('#voice-mute-unmute');
    await b.page
      .locator(`#calls-widget-participants-list [data-user-id="${a.userID}"] [data-testid=calls-participant-muted]`)
      .waitFor();
    await a.page.click('#voice-mute-unmute');
    await b.page
      .locator(`#calls-widget-participants-list [data-user-id="${a.userID}"] [data-testid=calls-participant-unmuted]`)
      .waitFor();
    await saveScreenshots('ws-reconnect', a.page);
  } finally {
    await closeAll(e2e.pages);
    e2e.pages = [];
    await proxy.close();
  }
});

test("admin page renders the settings schema with the plugin's settings and saves them; secrets stay masked and kept", async () => {
  const [admin] = await users('admin');
  await e2e.server!.app.config.save({TURNStaticAuthSecret: 'e2e-turn-secret'});
  await admin.page.click('#sidebar-admin-console');
  await admin.page.waitForSelector('#admin-section-GeneralSettings');
  // Each section is drawn by the plugin's registered section component, as Mattermost requires for `custom: true`
  // sections (without one Mattermost shows only "enable the plugin" there), with its settings inside it.
  for (const section of ['GeneralSettings', 'RTCDService', 'RTCServer', 'ICEAndTURN', 'CallRecordings']) {
    await admin.page.waitForSelector(`#admin-section-${section} [data-testid=calls-admin-section-${section}] h3`);
  }
  await admin.page.waitForSelector(
    '[data-testid=calls-admin-section-GeneralSettings] [data-testid=calls-admin-setting-MaxCallParticipants]',
  );
  // The secret field shows the server's mask, and the secret is nowhere in the page.
  const secret = admin.page.locator('[data-testid=calls-admin-setting-TURNStaticAuthSecret] input');
  await expect(secret.inputValue()).resolves.toBe('*'.repeat(32));
  await expect(admin.page.content()).resolves.not.toContain('e2e-turn-secret');
  const max = admin.page.locator('[data-testid=calls-admin-setting-MaxCallParticipants] input');
  await max.fill('7');
  await admin.page.click('#saveSetting');
  await admin.page.waitForSelector('[data-testid=admin-save-status]:text-is("Settings saved.")');
  await admin.page.reload();
  await admin.page.waitForSelector('#admin-section-GeneralSettings');
  await expect(
    admin.page.locator('[data-testid=calls-admin-setting-MaxCallParticipants] input').inputValue(),
  ).resolves.toBe('7');
  const cfg = await admin.page.evaluate(async () => (await fetch('/plugins/com.mattermost.calls/config')).json());
  expect(cfg.MaxCallParticipants).toBe(7);
  // Saving the other settings sent the mask back: the stored secret is unchanged.
  expect(e2e.server!.app.config.get().TURNStaticAuthSecret).toBe('e2e-turn-secret');
  await expect(secret.inputValue()).resolves.toBe('*'.repeat(32));
});
