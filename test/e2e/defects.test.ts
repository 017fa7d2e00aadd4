// Browser e2e of what a new user tripped over (issue 14, "Defects seen"): saved System Console changes reach tabs
// that are already open, without a reload.
import {useBrowserPerTest, waitForCallConnected} from './support';

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
  await alice.page.click('#calls-join-button');
  await waitForCallConnected(alice.page);
  expect(await alice.page.locator('#calls_generic_error').count()).toBe(0);
});
