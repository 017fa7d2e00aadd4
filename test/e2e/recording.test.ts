// Browser e2e of recording in the webapp (reference webapp.md §2.9, recordings.spec.ts, global_widget.spec.ts) against
// the real server and the real recorder (build/recorder.mjs, a child process of the server that joins over loopback
// as the hidden bot and uploads an MP4): starting from the pop-out button, the widget menu and /call recording; the
// REC badge with its elapsed time and the host's banner; the participant's consent notice and its dismissal; the stop
// confirmation; the recording post in the call thread with a video that plays from /api/v4/files/{id}; a non-host's
// refusal; the "will end in N minutes" warning; the maximum duration ending it; a recorder that fails for real (no
// ffmpeg) and leaves nothing running.
import fs from 'node:fs';
import path from 'node:path';

import type {Page} from 'playwright-core';

import {openPopOut, useBrowserPerTest, joinCall, currentChannelID, sendMessage, startCallWithSlash} from './support';
import {waitFor} from '../support/wait';

jest.setTimeout(180000);

const e2e = useBrowserPerTest();
const RECORDINGS = {
  MM_CALLS_ENABLE_RECORDINGS: 'true',
  MM_CALLS_RECORDING_QUALITY: 'low',
  MM_CALLS_RECORDER_UPLOAD_BACKOFF_MS: '500',
  MM_CALLS_RECORDING_START_TIMEOUT_MS: '45000',
};
const HOST_STARTED =
  '[data-testid=calls-widget-banner-recording][data-state=host-started]:has-text("You\'re recording")';
/** The recorder joins (a tsx start, a werift join, ffmpeg) within this on a loaded 2-core machine. */
const STARTED_MS = 60000;

/** The badge's elapsed time ("0:07"), once it shows one. */
async function badgeTime(page: Page): Promise<string> {
  const t = page.locator(
    '[data-testid=calls-recording-badge][data-state=recording] [data-testid=calls-recording-badge-time]',
  );
  return ((await t.first().textContent()) || '').trim();
}

/** Processes (this user's) whose working directory is under `dir`: the recorders a server started there. */
function processesUnder(dir: string): number[] {
  const real = fs.realpathSync(dir);
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = fs.readlinkSync(path.join('/proc', name, 'cwd'));
      if (cwd === real || cwd.startsWith(real + path.sep)) pids.push(Number(name));
    } catch {
      // Gone, or not ours.
    }
  }
  return pids;
}

describe('recording', () => {
  test('pop-out button: REC badge with its time and the host banner; the participant consents; stop asks first; the post plays', async () => {
    const [a, b] = await e2e.users(RECORDINGS, 'alice', 'bob');
    await startCallWithSlash(a);
    await joinCall(b);
    const popup = await openPopOut(a.page);

    await popup.click('#calls-popout-record-button');
    // The host sees the badge at once (a spinner while the recorder joins), then the elapsed time.
    await popup.waitForSelector('[data-testid=calls-recording-badge]');
    await popup.waitForSelector('[data-testid=calls-recording-badge][data-state=recording]', {timeout: STARTED_MS});
    const t0 = await badgeTime(popup);
    expect(t0).toMatch(/^\d+:\d\d$/);
    await popup.waitForFunction(
      (first) => document.querySelector('[data-testid=calls-recording-badge-time]')?.textContent?.trim() !== first,
      t0,
      {timeout: 5000},
    );
    await popup.waitForSelector(
      '[data-testid=banner-recording][data-state=host-started]:has-text("You\'re recording")',
    );
    await a.page.waitForSelector(HOST_STARTED);
    await a.page.waitForSelector('#calls-widget [data-testid=calls-recording-badge][data-state=recording]');
    // The recorder is a child process of the server, working under its data directory.
    expect(processesUnder(e2e.server!.dataDir).length).toBeGreaterThan(0);

    // The participant: the badge only once started, the consent notice, and Understood dismisses it.
    await b.page.waitForSelector('[data-testid=calls-recording-badge][data-state=recording]');
    const notice = b.page.locator('[data-testid=calls-widget-banner-recording][data-state=participant-started]');
    await notice.waitFor();
    await notice.locator('text=Recording is in progress').waitFor();
    await notice.locator('text=By staying in the meeting, you give consent to being recorded.').waitFor();
    await notice.locator('button:has-text("Understood")').click();
    await notice.waitFor({state: 'detached'});
    // Not the host: no warning about the maximum duration, no record item.
    expect(await b.page.locator('[data-testid=calls-widget-banner-recording-max-duration]').count()).toBe(0);

    // Dismissed in the pop-out, dismissed in the widget too.
    await popup.click('[data-testid=banner-recording] [data-testid=calls-recording-banner-dismiss]');
    await a.page.waitForSelector('[data-testid=calls-widget-banner-recording]', {state: 'detached'});

    // A few seconds of call on record.
    await popup.waitForTimeout(4000);
    await popup.click('#calls-popout-record-button');
    await popup.waitForSelector('#stop_recording_confirmation:has-text("The call recording will be processed")');
    await popup.click('#stop_recording_confirmation [data-testid=stop-recording-confirm]');
    await popup.waitForSelector(
      '[data-testid=banner-recording-stopped][data-state=stopped]:has-text("Recording has stopped. Processing…")',
    );
    await popup.waitForSelector('[data-testid=calls-recording-badge]', {state: 'detached'});
    await b.page.waitForSelector('[data-testid=calls-recording-badge]', {state: 'detached'});
    // Only the host is told it stopped.
    expect(await b.page.locator('[data-testid=calls-widget-banner-recording]').count()).toBe(0);

    // The recording post in the call thread, with a video that plays from /api/v4/files/{id}.
    await b.page.click('#calls-widget-toggle-menu-button');
    await b.page.click('#calls-widget-menu-chat-button');
    const post = b.page.locator('[data-testid=calls-recording-post]').first();
    await post.waitFor({timeout: 90000});
    await post.locator("text=Here's the call recording").waitFor();
    const video = post.locator('[data-testid=calls-recording-video]');
    const src = await video.getAttribute('src');
    expect(src).toMatch(/^\/api\/v4\/files\/[a-z0-9]{26}$/);
    const served = await b.page.evaluate(async (url) => {
      const member = await fetch(url, {headers: {Range: 'bytes=0-15'}});
      const anonymous = await fetch(url, {credentials: 'omit'});
      return {status: member.status, type: member.headers.get('content-type'), anonymous: anonymous.status};
    }, src as string);
    expect(served).toEqual({status: 206, type: 'video/mp4', anonymous: 401});

    await video.evaluate((v: HTMLVideoElement) => {
      v.muted = true;
      return v.play();
    });
    await b.page.waitForFunction(
      () => {
        const v = document.querySelector<HTMLVideoElement>('[data-testid=calls-recording-video]');
        return Boolean(v && !v.paused && v.readyState >= 2 && v.currentTime > 0.5 && v.videoWidth > 0);
      },
      null,
      {timeout: 30000},
    );
    const media = await video.evaluate((v: HTMLVideoElement) => ({
      duration: v.duration,
      width: v.videoWidth,
      height: v.videoHeight,
      error: v.error?.message ?? null,
    }));
    // About 4–8 s were recorded; the low profile is 1280×720.
    expect(media).toEqual({duration: expect.any(Number), width: 1280, height: 720, error: null});
    expect(media.duration).toBeGreaterThan(3);
    expect(media.duration).toBeLessThan(30);
    // The call post counts it.
    await b.page.waitForSelector('[data-testid=calls-post-recordings]:has-text("1 recording")');
    // Its recorder is done once the post is there.
    const dataDir = e2e.server!.dataDir;
    await waitFor(async () => processesUnder(dataDir).length === 0, 10000, 'the recorder to exit');
  });

  test('widget menu and /call recording: host only, the reference error for others; the max-duration warning; stop confirms, the slash stops at once', async () => {
    // The shortest maximum the settings allow (15 min): the warning shows once ≤ 10 min are left.
    const [a, b] = await e2e.users({...RECORDINGS, MM_CALLS_MAX_RECORDING_DURATION: '15'}, 'alice', 'bob');
    // The host's clock is Playwright's from here on: it runs at its natural pace until fast-forwarded below.
    await a.page.clock.install();
    await startCallWithSlash(a);
    await joinCall(b);

    // A participant has no Record item, and the slash command tells them to ask the host.
    await b.page.click('#calls-widget-toggle-menu-button');
    await b.page.waitForSelector('#calls-widget-menu-chat-button');
    expect(await b.page.locator('#calls-widget-menu-record-button').count()).toBe(0);
    await b.page.keyboard.press('Escape');
    await sendMessage(b, '/call recording start');
    const refusal = b.page.locator('#calls_generic_error');
    await refusal.locator('text=Unable to start recording').waitFor();
    await refusal
      .locator("text=You don't have permissions to start a recording. Please ask the call host to start a recording.")
      .waitFor();
    expect(await b.page.locator('[data-testid=calls-recording-badge]').count()).toBe(0);
    await refusal.locator('button:has-text("Okay")').click();
    await refusal.waitFor({state: 'detached'});

    await a.page.click('#calls-widget-toggle-menu-button');
    await a.page.click('#calls-widget-menu-record-button:has-text("Record call")');
    await a.page.waitForSelector('[data-testid=calls-recording-badge][data-state=recording]', {timeout: STARTED_MS});
    await a.page.waitForSelector(HOST_STARTED);
    await b.page.waitForSelector('[data-testid=calls-recording-badge][data-state=recording]');

    // 15 minutes left: no warning yet. Six and a half minutes later (the host's clock): 8.5 left, shown as 9, and
    // the host is told. Half a minute either way leaves room for the page's clock and the server's start time to
    // differ by the seconds a loaded machine puts between them.
    const warning = '[data-testid=calls-widget-banner-recording-max-duration][data-state=max-duration]';
    expect(await a.page.locator(warning).count()).toBe(0);
    await a.page.clock.fastForward('06:30');
    await a.page.waitForSelector(
      `${warning}:has-text("Calls can be recorded for up to 15 minutes. Your recording will end in 9 minutes.")`,
    );
    expect(await badgeTime(a.page)).toMatch(/^0?6:\d\d$/);
    expect(await b.page.locator('[data-testid=calls-widget-banner-recording-max-duration]').count()).toBe(0);
    await a.page.click(`${warning} button[aria-label=Dismiss]`);
    await a.page.waitForSelector(warning, {state: 'detached'});

    // The participant would rather not be recorded: the notice's "Leave call" leaves.
    const notice = b.page.locator('[data-testid=calls-widget-banner-recording][data-state=participant-started]');
    await notice.locator('button:has-text("Leave call")').click();
    await b.page.waitForSelector('#calls-widget', {state: 'detached'});
    await b.page.waitForSelector('#calls-join-button[data-state=join]');

    await a.page.click('#calls-widget-toggle-menu-button');
    await a.page.click('#calls-widget-menu-record-button:has-text("Stop recording")');
    await a.page.waitForSelector(
      '#stop_recording_confirmation:has-text("Are you sure you want to stop the recording?")',
    );
    await a.page.click('#stop_recording_confirmation [data-testid=stop-recording-confirm]');
    await a.page.waitForSelector(
      '[data-testid=calls-widget-banner-recording][data-state=stopped]:has-text("Recording has stopped. Processing…")',
    );
    await a.page.waitForSelector('[data-testid=calls-recording-badge]', {state: 'detached'});

    await sendMessage(a, '/call recording start');
    await a.page.waitForSelector('[data-testid=calls-recording-badge][data-state=recording]', {timeout: STARTED_MS});
    await a.page.waitForSelector(HOST_STARTED);
    await sendMessage(a, '/call recording stop');
    await a.page.waitForSelector('[data-testid=calls-widget-banner-recording][data-state=stopped]');
    await a.page.waitForSelector('[data-testid=calls-recording-badge]', {state: 'detached'});
    expect(await a.page.locator('#stop_recording_confirmation').count()).toBe(0);
  });

  test('the maximum duration ends the recording: the host is told it stopped, and the post is in the thread', async () => {
    // The server's own limit shortened to 6 s (MaxRecordingDuration cannot go below 15 minutes).
    const [a] = await e2e.users({...RECORDINGS, MM_CALLS_RECORDING_MAX_DURATION_MS: '6000'}, 'alice');
    await startCallWithSlash(a);
    await sendMessage(a, '/call recording start');
    await a.page.waitForSelector('[data-testid=calls-recording-badge][data-state=recording]', {timeout: STARTED_MS});
    await a.page.waitForSelector(HOST_STARTED);
    // Nobody stops it.
    await a.page.waitForSelector(
      '[data-testid=calls-widget-banner-recording][data-state=stopped]:has-text("Recording has stopped. Processing…")',
      {timeout: 30000},
    );
    await a.page.waitForSelector('[data-testid=calls-recording-badge]', {state: 'detached'});
    await a.page.click('#calls-widget-toggle-menu-button');
    await a.page.click('#calls-widget-menu-chat-button');
    const video = a.page.locator('[data-testid=calls-recording-post] [data-testid=calls-recording-video]').first();
    await video.waitFor({timeout: 90000});
    let seen = '';
    await waitFor(
      async () => {
        const v = await a.page.evaluate(() => {
          const el = document.querySelector<HTMLVideoElement>('[data-testid=calls-recording-video]');
          return el && {readyState: el.readyState, duration: el.duration, src: el.currentSrc, error: el.error?.message};
        });
        seen = JSON.stringify(v);
        return Boolean(v && v.readyState >= 1 && v.duration > 3 && v.duration < 20);
      },
      30000,
      'a playable recording of about 6 s',
      250,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the video element: ${seen}`);
    });
  });

  test('a recorder that fails (no ffmpeg): the host sees "Something went wrong with the recording" and why; nothing keeps running', async () => {
    const [a] = await e2e.users({...RECORDINGS, FFMPEG_PATH: '/nonexistent/ffmpeg'}, 'alice');
    const server = e2e.server!;
    await startCallWithSlash(a);
    const channelID = await currentChannelID(a.page);
    await a.page.click('#calls-widget-toggle-menu-button');
    await a.page.click('#calls-widget-menu-record-button:has-text("Record call")');
    await a.page.waitForSelector('[data-testid=calls-recording-badge][data-state=starting]');

    const banner = a.page.locator('[data-testid=calls-widget-banner-recording][data-state=failed]');
    await banner.waitFor({timeout: STARTED_MS});
    await banner.locator('text=Something went wrong with the recording').waitFor();
    const reason = (await banner.locator('[data-testid=calls-recording-banner-error]').textContent())?.trim();
    expect(reason).toMatch(/^failed to start recording: .*\/nonexistent\/ffmpeg/);
    expect(reason).not.toMatch(/\n\s+at /);
    await a.page.waitForSelector('[data-testid=calls-recording-badge]', {state: 'detached'});
    // The toggle is off again: the host may try again.
    await a.page.click('#calls-widget-toggle-menu-button');
    await a.page.waitForSelector('#calls-widget-menu-record-button:has-text("Record call")');
    await a.page.keyboard.press('Escape');

    // Nothing left running: the job ended in the store, and no recorder process is left under the server's data dir.
    const call = await server.app.store.calls.getActiveCallByChannel(channelID);
    expect(call).toBeTruthy();
    expect(await server.app.store.calls.getActiveJobs(call!.id)).toEqual([]);
    await waitFor(async () => processesUnder(server.dataDir).length === 0, 10000, 'the recorder to exit');
  });
});
