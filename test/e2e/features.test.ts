// Browser e2e of the follow-up features: incoming-call ringing in DMs (cards, ring once, Ignore synced across the
// user's tabs and kept after a reload, Join), the channel menu's Enable/Disable calls, Settings › Calls (default
// devices and share sound, also from the widget's "Additional settings"), join/leave sounds and "has joined" chips,
// `/call stats`, the keyboard shortcuts with the Space/focus accessibility conflict, and the host controls (mute,
// lower hand, remove) as both the host and the participant see them.
import type {Page} from 'playwright-core';

import {
  openChannel,
  sendMessage,
  useBrowserPerTest,
  waitForCallConnected,
  dmName,
  startCall,
  joinCall,
  unmute,
} from './support';

jest.setTimeout(120000);

const e2e = useBrowserPerTest();
const users = (env: Record<string, string>, ...names: string[]) => e2e.users(env, ...names);

const soundsPlayed = (page: Page) =>
  page.evaluate(() =>
    ((window as unknown as {e2eCallsSoundsPlayed?: Array<{name: string}>}).e2eCallsSoundsPlayed || []).map(
      (s) => s.name,
    ),
  );
const ringCount = (page: Page) =>
  page.evaluate(
    () => (window as unknown as {e2eNotificationsSoundedAt?: number[]}).e2eNotificationsSoundedAt?.length || 0,
  );
const ringStops = (page: Page) =>
  page.evaluate(
    () => (window as unknown as {e2eNotificationsStoppedAt?: number[]}).e2eNotificationsStoppedAt?.length || 0,
  );

test('ringing in a DM: the card rings once; Ignore dismisses it on every tab and after a reload; Join the next call', async () => {
  const [a, b] = await users({MM_CALLS_ENABLE_RINGING: 'true'}, 'alice', 'bob');
  const b2 = await b.context.newPage();
  await b2.goto(`${e2e.server!.url}/`);
  await b2.waitForSelector('#calls-join-button[data-state=start]');
  await openChannel(a, await dmName(a));
  await startCall(a);

  for (const page of [b.page, b2]) {
    await page.waitForSelector('[data-testid=call-incoming]:has-text("alice is inviting you to a call")');
    expect(await ringCount(page)).toBe(1);
  }
  await b.page.click('[data-testid=call-incoming-ignore]');
  await b.page.waitForSelector('[data-testid=call-incoming]', {state: 'detached'});
  expect(await ringStops(b.page)).toBe(1);
  // The other tab hears of it from the server (user_dismissed_notification).
  await b2.waitForSelector('[data-testid=call-incoming]', {state: 'detached'});
  await b2.reload();
  await b2.waitForSelector('[data-testid=calls-sidebar-active-call-icon]');
  await b2.waitForTimeout(500);
  expect(await b2.locator('[data-testid=call-incoming]').count()).toBe(0);
  await b2.close();

  // Alice calls again: a new call rings again; Join connects Bob and silences it.
  await a.page.click('#calls-widget-leave-button');
  await a.page.waitForSelector('#calls-widget', {state: 'detached'});
  await a.page.waitForSelector('#calls-join-button[data-state=start]');
  await startCall(a);
  await b.page.waitForSelector('[data-testid=call-incoming]');
  expect(await ringCount(b.page)).toBe(2);
  await b.page.click('[data-testid=call-incoming-join]');
  await waitForCallConnected(b.page);
  await b.page.waitForSelector('[data-testid=call-incoming]', {state: 'detached'});
  expect(await ringStops(b.page)).toBe(2);
  await a.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("2")');
});

test('channel menu: an admin disables and enables calls in a channel; members see the button go and come back', async () => {
  const [admin, a] = await users({}, 'admin', 'alice');
  await a.page.waitForSelector('#calls-join-button[data-state=start]');
  // Alice is not a channel admin: no menu here (calls are on by default, so she may toggle them in her DM).
  expect(await a.page.locator('#channelHeaderDropdownButton').count()).toBe(0);

  await admin.page.click('#channelHeaderDropdownButton');
  await admin.page.click('#channelHeaderDropdownMenu [role=menuitem]:has-text("Disable calls")');
  await a.page.waitForSelector('#calls-join-button', {state: 'detached'});
  await sendMessage(a, '/call start');
  await a.page.waitForSelector('#calls_generic_error:has-text("Calls are disabled in this channel.")');
  await a.page.keyboard.press('Escape');

  await admin.page.click('#channelHeaderDropdownButton');
  await admin.page.click('#channelHeaderDropdownMenu [role=menuitem]:has-text("Enable calls")');
  await a.page.waitForSelector('#calls-join-button[data-state=start]');

  await openChannel(a, await dmName(a));
  await a.page.click('#channelHeaderDropdownButton');
  await a.page.waitForSelector('#channelHeaderDropdownMenu [role=menuitem]:has-text("Disable calls")');
  await a.page.keyboard.press('Escape');
  await a.page.waitForSelector('#channelHeaderDropdownMenu', {state: 'detached'});
});

test('Settings › Calls: default microphone and speaker are used by the next call; share sound; "Additional settings"', async () => {
  const [a] = await users({}, 'alice');
  await a.page.click('#user-settings-button');
  await a.page.click('#user-settings-modal [role=tab]:text-is("Calls")');
  await a.page.click('#calls-settings-audio-edit');
  await a.page.waitForFunction(
    () => ((document.getElementById('calls-settings-audioinput') as HTMLSelectElement | null)?.options.length ?? 0) > 1,
  );
  const mic = await a.page.$eval('#calls-settings-audioinput', (el) =>
    Array.from((el as HTMLSelectElement).options)
      .map((o) => o.textContent)
      .find((t) => t && !t.startsWith('Default'))!,
  );
  const speaker = await a.page.$eval('#calls-settings-audiooutput', (el) =>
    Array.from((el as HTMLSelectElement).options)
      .map((o) => o.textContent)
      .find((t) => t && !t.startsWith('Default'))!,
  );
  await a.page.selectOption('#calls-settings-audioinput', {label: mic});
  await a.page.selectOption('#calls-settings-audiooutput', {label: speaker});
  await a.page.click('#calls-settings-audio-save');
  await a.page.waitForSelector(`[data-testid=calls-settings-current-audioinput]:text-is("${mic}")`);
  const stored = await a.page.evaluate(() => JSON.parse(localStorage.getItem('calls_default_audio_input') || 'null'));
  expect(stored.label).toBe(mic);

  const screenSection = a.page.locator('#user-settings-modal section[aria-label="Screen sharing settings"]');
  await screenSection.locator('input[name=share_audio][value=off]').check();
  await screenSection.locator('button[type=submit]').click();
  expect(await a.page.evaluate(() => localStorage.getItem('calls_share_audio_with_screen'))).toBe('off');
  await a.page.keyboard.press('Escape');
  await a.page.waitForSelector('#user-settings-modal', {state: 'detached'});

  await startCall(a);
  const inUse = await a.page.evaluate(() => {
    const c = (
      window as unknown as {callsClient: {currentAudioInput: MediaDeviceInfo; currentAudioOutput: MediaDeviceInfo}}
    ).callsClient;
    return {mic: c.currentAudioInput?.label, speaker: c.currentAudioOutput?.label};
  });
  expect(inUse).toEqual({mic, speaker});

  await a.page.click('#calls-widget-toggle-menu-button');
  await a.page.click('#calls-widget-menu-additional-settings');
  await a.page.waitForSelector('#user-settings-modal [role=tab][aria-selected=true]:text-is("Calls")');
});

test('sounds and chips: join_self, "bob has joined the call." with join_user, leave_self; the sound files play; /call stats', async () => {
  const [a, b] = await users({}, 'alice', 'bob');
  await startCall(a);
  await a.page.waitForFunction(() =>
    ((window as unknown as {e2eCallsSoundsPlayed?: Array<{name: string}>}).e2eCallsSoundsPlayed || []).some(
      (s) => s.name === 'join_self',
    ),
  );
  await a.page.waitForSelector('[data-testid=calls-widget-mute-hint]:has-text("You\'re muted.")');

  await joinCall(b);
  await a.page.waitForSelector(
    '[data-testid=call-joined-participant-notification]:has-text("bob has joined the call.")',
  );
  expect(await soundsPlayed(a.page)).toEqual(['join_self', 'join_user']);
  // The files are real static assets the browser decodes and plays.
  await a.page.evaluate(async () => {
    for (const name of ['join_self', 'join_user', 'leave_self']) {
      const audio = new Audio(`/static/plugins/com.mattermost.calls/sounds/${name}.wav`);
      await audio.play();
      if (!(audio.duration > 0.1)) {
        throw new Error(`${name}: no duration`);
      }
    }
  });

  await sendMessage(b, '/call stats');
  const stats = b.page.locator('.sa-post--ephemeral .sa-post-message', {hasText: 'iceCandidatePairs'});
  await stats.waitFor();
  // The reply is a fenced json block, shown as a code block (not as a raw fence).
  expect(await stats.textContent()).not.toContain('```');
  const json = JSON.parse((await stats.locator('pre code').textContent()) || '');
  expect(json.iceCandidatePairs.succeeded).toBeGreaterThanOrEqual(1);
  expect(json.selectedPair).toMatchObject({local: 'host', protocol: 'udp'});
  expect(Array.isArray(json.in) && Array.isArray(json.out)).toBe(true);

  await b.page.click('#calls-widget-leave-button');
  await b.page.waitForSelector('#calls-widget', {state: 'detached'});
  expect(await soundsPlayed(b.page)).toEqual(['join_self', 'leave_self']);
});

test('keyboard shortcuts: join, mute, hand, participants, leave; Space on a focused control does not toggle mute', async () => {
  const [a] = await users({}, 'alice');
  await a.page.waitForSelector('#calls-join-button[data-state=start]');
  await a.page.keyboard.press('Control+Alt+KeyS');
  await waitForCallConnected(a.page);

  await a.page.keyboard.press('Control+Shift+Space');
  await a.page.waitForSelector('#voice-mute-unmute[aria-label=Mute]');
  await a.page.keyboard.press('Control+Shift+Space');
  await a.page.waitForSelector('#voice-mute-unmute[aria-label=Unmute]');
  await a.page.keyboard.press('Control+Shift+KeyY');
  await a.page.waitForSelector('#raise-hand[aria-label="Lower hand"]');
  await a.page.keyboard.press('Control+Shift+KeyY');
  await a.page.waitForSelector('#raise-hand[aria-label="Raise hand"]');

  // The accessibility conflict: participants opened with Alt+P, then Space must not toggle mute.
  await a.page.keyboard.press('Alt+KeyP');
  await a.page.waitForSelector('#calls-widget-participants-list');
  await a.page.keyboard.press('Space');
  await a.page.waitForTimeout(300);
  expect(await a.page.getAttribute('#voice-mute-unmute', 'aria-label')).toBe('Unmute');
  // Clicking mute blurs the button: a following Space does not unmute again.
  await unmute(a);
  await a.page.keyboard.press('Space');
  await a.page.waitForTimeout(300);
  expect(await a.page.getAttribute('#voice-mute-unmute', 'aria-label')).toBe('Mute');
  // The tooltip names the shortcut, as key chips.
  await a.page.mouse.move(700, 100); // the click hid it; it shows again on the next hover
  await a.page.hover('#voice-mute-unmute');
  const tip = a.page.locator('[role=tooltip]');
  expect(await tip.locator('.calls-tooltip-text').textContent()).toBe('Mute');
  expect(await tip.locator('kbd').allTextContents()).toEqual(['Ctrl', 'Shift', 'Space']);

  await a.page.keyboard.press('Control+Shift+KeyL');
  await a.page.waitForSelector('#calls-widget', {state: 'detached'});
});

test('host controls: the host mutes a participant, lowers their hand and removes them; each side sees it', async () => {
  const [a, b] = await users({}, 'alice', 'bob');
  await startCall(a);
  await joinCall(b);
  await unmute(b);
  await b.page.click('#raise-hand');

  // Alice started the call, so she is the host: Bob's row has the host menu, hers does not.
  await a.page.click('#calls-widget-participants-button');
  const bobRow = a.page.locator(
    `#calls-widget-participants-list [data-testid=calls-participant][data-user-id="${b.userID}"]`,
  );
  await bobRow.locator('[data-testid=calls-participant-unmuted]').waitFor();
  await bobRow.locator('[data-testid=calls-participant-hand]').waitFor();
  expect(
    await a.page
      .locator(`#calls-widget-participants-list [data-user-id="${a.userID}"] [data-testid=calls-host-controls-button]`)
      .count(),
  ).toBe(0);
  const menu = async (item: string) => {
    await bobRow.locator('[data-testid=calls-host-controls-button]').click();
    await bobRow.locator(`[role=menuitem]:text-is("${item}")`).click();
  };

  // Mute: Bob's own client mutes (his button offers Unmute again) and Alice sees him muted.
  await menu('Mute participant');
  await b.page.waitForSelector('#voice-mute-unmute[aria-label=Unmute]');
  await bobRow.locator('[data-testid=calls-participant-muted]').waitFor();

  // Lower hand: gone on both sides, and Bob is told who lowered it.
  await menu('Lower hand');
  await bobRow.locator('[data-testid=calls-participant-hand]').waitFor({state: 'detached'});
  await b.page.waitForSelector('[data-testid=calls-host-notice]:has-text("alice lowered your hand")');

  // Remove, after a confirmation: Bob is disconnected with an explanation; Alice is told and the count drops.
  await menu('Remove from call');
  await a.page.locator('[role=dialog][aria-label="Remove participant"] button:text-is("Yes, remove")').click();
  await b.page.waitForSelector('#call-error-modal:has-text("You were removed from the call")');
  await b.page.waitForSelector('#calls-widget', {state: 'detached'});
  await a.page.waitForSelector('[data-testid=calls-host-notice]:has-text("bob was removed from the call")');
  await a.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("1")');
});
