// Browser e2e of the pop-out window and the call thread: the widget opens /{team}/com.mattermost.calls/expanded/{id}
// with window.open; the pop-out drives the opener's call (no connection of its own), shows the participants grid, the
// large screen player with full screen, and the call thread in its right-hand side; it closes with the call. The
// widget's "Show chat thread" opens the same thread in the main window.

import {
  expectVideoFrames,
  openPopOut,
  sendMessage,
  useBrowserPerTest,
  waitForCallConnected,
  joinCall,
  startCall,
  startCallWithSlash,
} from './support';

jest.setTimeout(120000);

const e2e = useBrowserPerTest();
const users = (...names: string[]) => e2e.users({}, ...names);

test("the pop-out drives the opener's call: title, participants grid, mute, hand and reactions; it closes with the call", async () => {
  const [a, b] = await users('alice', 'bob');
  await startCallWithSlash(a, 'Standup');
  await joinCall(b);

  const popup = await openPopOut(a.page);
  const channelID = await a.page.evaluate(
    () => (window as unknown as {callsClient: {channelID: string}}).callsClient.channelID,
  );
  expect(new URL(popup.url()).pathname).toBe(`/calls/com.mattermost.calls/expanded/${channelID}`);
  await popup.waitForFunction(() => document.title === 'Call - Town Square');
  // No call connection of its own: the pop-out uses the opener's client.
  expect(await popup.evaluate(() => Boolean((window as unknown as {callsClient?: unknown}).callsClient))).toBe(false);
  await popup.waitForFunction(() => document.querySelectorAll('[data-testid=calls-tile]').length === 2);
  await popup.locator(`[data-testid=calls-tile][data-user-id="${b.userID}"]`).waitFor();
  await popup.waitForSelector('#calls-expanded-view-controls >> #calls-popout-chat-button');
  // The widget stays in the main window.
  expect(await popup.locator('#calls-widget').count()).toBe(0);

  // Opening again focuses the same window instead of a second one.
  await a.page.click('#calls-widget-expand-button');
  await a.page.waitForTimeout(300);
  expect(a.context.pages()).toHaveLength(2);

  // Unmuting in the pop-out unmutes the opener's call: A's widget and B see it.
  await popup.click('#calls-popout-mute-button');
  await popup.waitForSelector('[data-testid=calls-popout-unmuted]');
  await a.page.waitForSelector('#voice-mute-unmute[aria-label=Mute]');
  await b.page.click('#calls-widget-participants-button');
  await b.page
    .locator(`#calls-widget-participants-list [data-user-id="${a.userID}"] [data-testid=calls-participant-unmuted]`)
    .waitFor();
  // Raising the hand from the pop-out's reactions bar reaches B; the pop-out's tile shows it too.
  await popup.click('#calls-popout-emoji-button');
  await popup.click('[data-testid=raise-hand-button]');
  await b.page
    .locator(`#calls-widget-participants-list [data-user-id="${a.userID}"] [data-testid=calls-participant-hand]`)
    .waitFor();
  await popup.locator(`[data-testid=calls-tile][data-user-id="${a.userID}"] .calls-icon-hand`).waitFor();
  // An emoji reaction: B sees it beside A in the participant list; the pop-out's stream names A as "You".
  await popup.click('#calls-popout-emoji-button');
  await popup.click('#calls-popout-emoji-bar [role=menuitem][aria-label=tada]');
  await b.page
    .locator(`#calls-widget-participants-list [data-user-id="${a.userID}"] [role=img][aria-label=tada]`)
    .waitFor();
  await popup.waitForSelector(
    '[data-testid=calls-reaction-stream] .calls-reaction-chip:has([data-emoji=tada]):has-text("You")',
  );

  // A is the host with someone else in the call: leaving offers the menu; leaving closes the pop-out.
  const closed = popup.waitForEvent('close');
  await popup.click('#calls-popout-leave-button');
  await popup.click('#calls-popout-leave-menu-leave-call');
  await closed;
  await a.page.waitForSelector('#calls-widget', {state: 'detached'});
  await b.page.waitForSelector('[data-testid=calls-widget-participants-count]:text-is("1")');
});

test('screens in the pop-out: sharing from it (stops when it closes), and a remote screen large with full screen', async () => {
  const [a, b, c] = await users('alice', 'bob', 'carol');
  await startCall(a);
  await joinCall(b);

  // A presents from the pop-out (captured there, sent by the opener's connection); closing the pop-out stops it.
  let popup = await openPopOut(a.page);
  await popup.click('#calls-popout-screenshare-button');
  await b.page.waitForSelector('[data-testid=calls-widget-screen-panel]:has-text("You\'re viewing alice\'s screen")');
  await expectVideoFrames(b.page, 'screen-player');
  await popup.waitForSelector('#calls-popout-screenshare-button.calls-btn--danger');
  await popup.waitForSelector("text=You're sharing your screen");
  await popup.close();
  await b.page.waitForSelector('[data-testid=calls-widget-screen-panel]', {state: 'detached'});
  await a.page.waitForSelector('#calls-widget-screenshare-button:not(.calls-btn--danger)');

  // A rejoins (a fresh connection, see above); C presents: A's pop-out shows the large player, and full screen works.
  await a.page.click('#calls-widget-leave-button');
  await a.page.click('#calls-widget-leave-menu-leave-call');
  await a.page.waitForSelector('#calls-widget', {state: 'detached'});
  await joinCall(a);
  await joinCall(c);
  await c.page.click('#calls-widget-screenshare-button');
  await c.page.waitForSelector('[data-testid=calls-widget-stop-screenshare]');
  popup = await openPopOut(a.page);
  await expectVideoFrames(popup, 'calls-expanded-view-screen-player');
  await popup.waitForSelector("text=You're viewing carol's screen");
  const box = await popup.locator('#calls-expanded-view-screen-player').boundingBox();
  expect(box!.width).toBeGreaterThan(600);
  await popup.click('#calls-expanded-view-fullscreen');
  await popup.waitForFunction(() => document.fullscreenElement?.classList.contains('calls-expanded-screen'));
  await popup.click('#calls-expanded-view-fullscreen');
  await popup.waitForFunction(() => !document.fullscreenElement);
  await c.page.click('[data-testid=calls-widget-stop-screenshare]');
  await popup.waitForSelector('#calls-expanded-view-participants-grid');
  await popup.waitForFunction(() => document.querySelectorAll('[data-testid=calls-tile]').length === 3);
});

test('the call thread: "Show chat thread" in the widget menu and the pop-out\'s chat button; replies reach everyone', async () => {
  const [a, b] = await users('alice', 'bob');
  await startCallWithSlash(a, 'Planning');
  await joinCall(b);

  // B opens the call thread from the widget's menu: the call post is its root.
  await b.page.click('#calls-widget-toggle-menu-button');
  await b.page.click('#calls-widget-menu-chat-button');
  await b.page.waitForSelector('#sidebar-right [data-testid=call-thread] h3:text-is("Planning")');
  await b.page.waitForSelector('#calls-widget-settings-menu', {state: 'detached'});

  // A's pop-out has a chat button that toggles the same thread in the pop-out's right-hand side.
  const popup = await openPopOut(a.page);
  await popup.click('#calls-popout-chat-button');
  await popup.waitForSelector('#sidebar-right [data-testid=call-thread] h3:text-is("Planning")');
  await popup.fill('#reply_textbox', 'notes from the pop-out');
  await popup.press('#reply_textbox', 'Enter');
  await b.page.waitForSelector('#sidebar-right .sa-post-message:text-is("notes from the pop-out")');

  // B replies; with the chat closed, the pop-out counts it as unread.
  await popup.click('#calls-popout-chat-button');
  await popup.waitForSelector('#sidebar-right', {state: 'detached'});
  await b.page.fill('#reply_textbox', 'agreed');
  await b.page.press('#reply_textbox', 'Enter');
  await popup.waitForSelector('[data-testid=calls-popout-chat-unread]:text-is("1")');
  await popup.click('#calls-popout-chat-button');
  await popup.waitForSelector('#sidebar-right .sa-post-message:text-is("agreed")');
  await popup.waitForSelector('[data-testid=calls-popout-chat-unread]', {state: 'detached'});

  // The replies are in the thread (root_id), not loose in the channel.
  const rootID = await popup.getAttribute('#sidebar-right', 'data-root-id');
  const replies = await a.page.evaluate(async (id) => {
    const res = await fetch(`/api/v4/posts/${id}/thread`);
    const list = (await res.json()) as {posts: Record<string, {root_id: string; message: string}>};
    return Object.values(list.posts)
      .filter((p) => p.root_id === id)
      .map((p) => p.message)
      .sort();
  }, rootID);
  expect(replies).toEqual(['agreed', 'notes from the pop-out']);
});

test("/call start from a thread's reply box starts the call in that thread", async () => {
  const [a] = await users('alice');
  await sendMessage(a, 'shall we talk?');
  const post = a.page.locator('.sa-post', {hasText: 'shall we talk?'});
  await post.locator('button[aria-label=Reply]').click();
  await a.page.waitForSelector('#sidebar-right .sa-post-message:text-is("shall we talk?")');
  await a.page.fill('#reply_textbox', '/call start Sync');
  await a.page.press('#reply_textbox', 'Enter');
  await waitForCallConnected(a.page);
  await a.page.waitForSelector('#sidebar-right [data-testid=call-thread] h3:text-is("Sync")');
  const rootID = await a.page.getAttribute('#sidebar-right', 'data-root-id');
  const callPostRoot = await a.page.getAttribute('#sidebar-right [data-post-type=custom_calls]', 'data-root-id');
  expect(callPostRoot).toBe(rootID);
});

test('when the browser blocks the pop-out, the expanded view opens in the page', async () => {
  const [a] = await users('alice');
  await startCall(a);
  await a.page.evaluate(() => {
    window.open = () => null;
  });
  await a.page.click('#calls-widget-expand-button');
  await a.page.waitForSelector('#calls-expanded-view');
  expect(a.context.pages()).toHaveLength(1);
  await a.page.waitForFunction(() => document.querySelectorAll('[data-testid=calls-tile]').length === 1);
  await a.page.click('#calls-expanded-view-close');
  await a.page.waitForSelector('#calls-widget');
});
