// Browser e2e of what a new user tripped over (issue 14, "Defects seen"): saved System Console changes reach tabs
// that are already open, without a reload; a full call says so on every join control; the header button's name
// follows the call; styled tooltips with key chips; /call help and subcommand autocomplete; the widget beside, not
// over, the message box; the console's Save bar and the settings' buttons; reactions clear of the pop-out's screen
// caption; emoji as images from the plugin's sheet and the searchable picker.
import {expectVideoFrames, openPopOut, useBrowserPerTest, startCall, joinCall} from './support';

jest.setTimeout(120000);

const e2e = useBrowserPerTest();

// The e2e server turns test mode off through MM_CALLS_DEFAULT_ENABLED, which a saved setting cannot change; an
// undefined value leaves the variable unset, so the System Console's setting is what applies.
const TEST_MODE_FROM_CONSOLE = {MM_CALLS_DEFAULT_ENABLED: undefined} as unknown as Record<string, string>;

test('an admin turns test mode off: a tab already open can start a call without a reload', async () => {
  const [admin, alice] = await e2e.users(TEST_MODE_FROM_CONSOLE, 'admin', 'alice');
  await alice.page.click('#calls-join-button');
  await alice.page.waitForSelector('#calls_generic_error:has-text("Calls is not currently enabled")');
  await alice.page.keyboard.press('Escape');
  await alice.page.waitForSelector('#calls_generic_error', {state: 'detached'});

  const status = await admin.page.evaluate(async () => {
    const csrf = /(?:^|; )MMCSRF=([^;]*)/.exec(document.cookie)?.[1] ?? '';
    const res = await fetch('/api/v4/config', {
      method: 'PUT',
      credentials: 'include',
      headers: {'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest', 'X-CSRF-Token': csrf},
      body: JSON.stringify({PluginSettings: {Plugins: {'com.mattermost.calls': {defaultenabled: true}}}}),
    });
    return res.status;
  });
  expect(status).toBe(200);

  await alice.page.waitForFunction(
    () =>
      (
        window as unknown as {store: {getState(): Record<string, {callsConfig?: {DefaultEnabled: boolean}}>}}
      ).store.getState()['plugins-com.mattermost.calls']?.callsConfig?.DefaultEnabled === true,
  );
  await startCall(alice);
  expect(await alice.page.locator('#calls_generic_error').count()).toBe(0);
  // The header button's accessible name follows the state (it said "Start call" during a call).
  await alice.page.getByRole('button', {name: 'In call', exact: true}).waitFor();
  expect(await alice.page.getByRole('button', {name: 'Start call'}).count()).toBe(0);
  // Styled tooltips: the label and the shortcut as key chips, inside the window, for mouse and keyboard alike.
  await alice.page.hover('#voice-mute-unmute');
  const tip = alice.page.locator('[role=tooltip].calls-tooltip');
  await tip.waitFor();
  expect(await tip.locator('.calls-tooltip-text').textContent()).toBe('Unmute');
  expect(await tip.locator('kbd').allTextContents()).toEqual(['Ctrl', 'Shift', 'Space']);
  const t = (await tip.boundingBox())!;
  const mute = (await alice.page.locator('#voice-mute-unmute').boundingBox())!;
  expect(t.y + t.height).toBeLessThanOrEqual(mute.y);
  expect(t.x).toBeGreaterThanOrEqual(0);
  expect(await alice.page.locator('#voice-mute-unmute').getAttribute('title')).toBeNull();
  await alice.page.mouse.move(700, 300);
  await tip.waitFor({state: 'detached'});
  // The widget does not cover the message box.
  const widget = (await alice.page.locator('#calls-widget').boundingBox())!;
  const box = (await alice.page.locator('#post_textbox').boundingBox())!;
  expect(widget.x + widget.width).toBeLessThanOrEqual(box.x);
});

test('/call and /call help print the usage; the message box suggests the subcommands as you type', async () => {
  const [alice] = await e2e.users({}, 'alice');
  const page = alice.page;
  await page.fill('#post_textbox', '/call ');
  const options = page.locator('#post_suggestion_list [role=option]');
  await options.first().waitFor();
  expect(await options.count()).toBe(9);
  await page.fill('#post_textbox', '/call re');
  await page.waitForSelector('#post_suggestion_list [role=option]:has-text("/call recording")');
  expect(await options.count()).toBe(1);
  await page.keyboard.press('Tab');
  expect(await page.inputValue('#post_textbox')).toBe('/call recording ');
  await page.waitForSelector('#post_suggestion_list', {state: 'detached'});
  await page.fill('#post_textbox', '/call he');
  await page.waitForSelector('#post_suggestion_list [role=option]:has-text("/call help")');
  await page.press('#post_textbox', 'Enter'); // completes
  expect(await page.inputValue('#post_textbox')).toBe('/call help ');
  await page.press('#post_textbox', 'Enter'); // sends
  const usage = page.locator('.sa-post--ephemeral .sa-post-message', {hasText: 'Usage:'});
  await usage.waitFor();
  expect(await usage.locator('li').count()).toBe(9);
  expect(await usage.textContent()).not.toContain('Invalid');
});

test("a full call: the header button and the post's Join are disabled, dimmed, and say why", async () => {
  const [alice, bob] = await e2e.users({MM_CALLS_MAX_CALL_PARTICIPANTS: '1'}, 'alice', 'bob');
  await startCall(alice);

  const reason = 'This call is at its maximum capacity of 1 participants.';
  const header = bob.page.locator('#calls-join-button[data-state=disabled]');
  await header.waitFor();
  expect(await header.getAttribute('aria-disabled')).toBe('true');
  await header.hover();
  expect(await bob.page.locator('[role=tooltip]').textContent()).toBe(reason);
  expect(await header.getAttribute('title')).toBeNull();
  const join = bob.page.locator('[data-testid=call-thread] [data-testid=calls-post-join-button]');
  await join.waitFor();
  expect(await join.isDisabled()).toBe(true);
  expect(await join.getAttribute('title')).toBe(reason);
  expect(Number(await join.evaluate((el) => getComputedStyle(el).opacity))).toBeLessThan(0.6);
  // Clicking the header does nothing: no error dialog, no connection.
  await header.click();
  await bob.page.waitForTimeout(500);
  expect(await bob.page.locator('#calls_generic_error').count()).toBe(0);
  expect(await bob.page.evaluate(() => Boolean((window as unknown as {callsClient?: unknown}).callsClient))).toBe(
    false,
  );
});

test('System Console: the sticky Save bar covers no setting; Settings › Calls "Edit" is a styled button', async () => {
  const [admin] = await e2e.users({}, 'admin');
  await admin.page.goto(`${e2e.server!.url}/admin_console/plugins/plugin_com.mattermost.calls`);
  await admin.page.waitForSelector('#admin-console-calls .sa-admin-footer');
  const footerTop = async () => (await admin.page.locator('.sa-admin-footer').boundingBox())!.y;
  const bottomOf = async (selector: string) => {
    const b = (await admin.page.locator(selector).boundingBox())!;
    return b.y + b.height;
  };
  // Tabbing onto a field the browser scrolls into view must leave it above the bar, not behind it.
  for (const id of ['ICEHostOverride', 'MaxRecordingDuration', 'LiveCaptionsNumTranscribers']) {
    await admin.page.evaluate(() => (document.getElementById('admin-console-calls')!.scrollTop = 0));
    await admin.page.focus(`#com\\.mattermost\\.calls${id}`);
    expect(await bottomOf(`[data-testid=calls-admin-setting-${id}]`)).toBeLessThanOrEqual(await footerTop());
  }
  await admin.page.evaluate(() => {
    const el = document.getElementById('admin-console-calls')!;
    el.scrollTop = el.scrollHeight;
  });
  expect(await bottomOf('[data-testid=calls-admin-setting-LiveCaptionsLanguage]')).toBeLessThanOrEqual(
    await footerTop(),
  );

  // Settings › Calls: "Edit" is a styled button, not the browser's default grey box.
  await admin.page.click('#user-settings-button');
  await admin.page.click('#user-settings-modal [role=tab]:text-is("Calls")');
  const edit = await admin.page.$eval('#calls-settings-audio-edit', (el) => {
    const cs = getComputedStyle(el);
    return {cursor: cs.cursor, border: cs.borderTopStyle, weight: cs.fontWeight, color: cs.color};
  });
  expect(edit).toEqual({cursor: 'pointer', border: 'none', weight: '600', color: 'rgb(28, 88, 217)'});
});

test('pop-out: a reaction chip does not cover the "You\'re viewing …\'s screen" caption', async () => {
  const [alice, bob] = await e2e.users({}, 'alice', 'bob');
  await startCall(alice);
  await joinCall(bob);
  await bob.page.click('#calls-widget-screenshare-button');
  await bob.page.waitForSelector('[data-testid=calls-widget-stop-screenshare]');

  const popup = await openPopOut(alice.page);
  const caption = popup.locator('.calls-expanded-screen-footer :text("You\'re viewing bob\'s screen")');
  await caption.waitFor();
  await expectVideoFrames(popup, 'calls-expanded-view-screen-player');
  for (let i = 0; i < 3; i++) {
    await popup.click('#calls-popout-emoji-button');
    await popup.click('#calls-popout-emoji-bar [role=menuitem][aria-label=tada]');
  }
  const chips = popup.locator('[data-testid=calls-reaction-stream] .calls-reaction-chip');
  await chips.nth(2).waitFor();
  // Emoji are images from the plugin's own sheet (no colour-emoji font on this Chromium), not characters.
  const tada = chips.first().locator('[role=img][data-emoji=tada]');
  expect(await tada.textContent()).toBe('');
  expect(await tada.evaluate((el) => getComputedStyle(el).backgroundImage)).toContain(
    '/static/plugins/com.mattermost.calls/emoji/sheet-32.png',
  );
  const sheet = await popup.evaluate(async () => {
    const r = await fetch('/static/plugins/com.mattermost.calls/emoji/sheet-32.png');
    return {status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength};
  });
  expect(sheet).toMatchObject({status: 200, type: 'image/png'});
  expect(sheet.size).toBeGreaterThan(100_000);
  const c = (await caption.boundingBox())!;
  for (const chip of await chips.all()) {
    const r = (await chip.boundingBox())!;
    const overlaps = r.x < c.x + c.width && c.x < r.x + r.width && r.y < c.y + c.height && c.y < r.y + r.height;
    expect(overlaps).toBe(false);
  }
});

test('pop-out: the full emoji picker finds an emoji by name and sends it; the five quick emoji stay', async () => {
  const [alice, bob] = await e2e.users({}, 'alice', 'bob');
  await startCall(alice);
  await joinCall(bob);
  const popup = await openPopOut(alice.page);
  await popup.click('#calls-popout-emoji-button');
  expect(
    await popup
      .locator('#calls-popout-emoji-bar > [role=menuitem][aria-label]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))),
  ).toEqual(['Raise hand', '+1', 'clap', 'joy', 'heart', 'tada', 'More reactions']);
  await popup.click('#calls-popout-emoji-more');
  await popup.waitForSelector('#calls-popout-emoji-picker [data-emoji=grinning]');
  await popup.fill('#calls-popout-emoji-picker input[type=search]', 'rocket');
  await popup.click('#calls-popout-emoji-picker button[aria-label=rocket]');
  await popup.waitForSelector('#calls-popout-emoji-bar', {state: 'detached'});
  await popup.waitForSelector('[data-testid=calls-reaction-stream] .calls-reaction-chip [data-emoji=rocket]');
  // Bob sees it too, beside Alice in his participant list, as an image.
  await bob.page.click('#calls-widget-participants-button');
  await bob.page.waitForSelector(`#calls-widget-participants-list [role=img][data-emoji=rocket]`);
});
