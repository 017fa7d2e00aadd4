// Browser e2e of video in DMs (reference webapp.md §2.19, issue 14): with EnableVideo, a DM call has a camera button;
// turning the camera on sends it to the other person, whose tile plays it; turning it off stops the camera track
// (its light goes off), keeps the RTP sender without renegotiating, and the tile goes back to the avatar. A channel
// call, and a DM without EnableVideo, have no camera button. A refused camera shows a banner and leaves the call as is.
import type {Page} from 'playwright-core';

import {openChannel, openPopOut, useBrowserPerTest, type UserPage, dmName, startCall} from './support';

jest.setTimeout(90000);
// Not for the defect this file found (B never offered A's camera: fixed in the negotiator, test/rtc/subscribe-race):
// under a load average of 15–20 the pop-out step failed 3 times in 22 (both connections dropped around the pop-out;
// investigation open). One more attempt, its failure printed, keeps that from hiding anything else.
jest.retryTimes(1, {logErrorsBeforeRetry: true});

const e2e = useBrowserPerTest();

async function joinDM(p: UserPage): Promise<void> {
  await openChannel(p, await dmName(p));
  await startCall(p);
}

/** The page's call peer connection: states and transceivers (mid, kind, direction, currentDirection). */
function peerState(page: Page): Promise<string> {
  const evaluated = page
    .evaluate(() => {
      const client = (window as unknown as {callsClient?: {peerConnection?: RTCPeerConnection}}).callsClient;
      const pc = client?.peerConnection;
      if (!pc) {
        return client ? 'no peer connection' : 'no call client';
      }
      return JSON.stringify({
        signaling: pc.signalingState,
        connection: pc.connectionState,
        transceivers: pc
          .getTransceivers()
          .map((t) => [t.mid, t.receiver.track.kind, t.direction, t.currentDirection].join(' ')),
      });
    })
    .catch((err: Error) => `unavailable (${err.message})`);
  // A page too busy to answer must not turn the failure into the test's timeout.
  const busy = new Promise<string>((resolve) => setTimeout(() => resolve('unavailable (page busy)'), 5000).unref());
  return Promise.race([evaluated, busy]);
}

/** The <video> with this id plays real frames (the fake camera's): non-zero size and a growing frame count. */
async function expectPlaying(page: Page, id: string): Promise<{width: number; height: number}> {
  await page
    .waitForFunction(
      (sel) => {
        const v = document.getElementById(sel) as HTMLVideoElement | null;
        if (!v || v.paused || v.videoWidth === 0) {
          return false;
        }
        const w = window as unknown as Record<string, number>;
        const prev = w[`frames_${sel}`];
        w[`frames_${sel}`] = v.getVideoPlaybackQuality().totalVideoFrames;
        return prev !== undefined && w[`frames_${sel}`] > prev;
      },
      id,
      {timeout: 20000, polling: 500},
    )
    .catch(async (err: Error) => {
      // Which defect it was: a missing offer (no receiving video transceiver) or a dead connection.
      throw new Error(`${err.message}\n${id} never played; this page's peer connection: ${await peerState(page)}`);
    });
  return page.evaluate((sel) => {
    const v = document.getElementById(sel) as HTMLVideoElement;
    return {width: v.videoWidth, height: v.videoHeight};
  }, id);
}

/** What this page sends on its video senders: the track (if any) and its state, and how many video senders exist. */
function videoSenders(page: Page): Promise<Array<{track: string | null; maxBitrate?: number}>> {
  return page.evaluate(() => {
    const pc = (window as unknown as {callsClient: {peerConnection: RTCPeerConnection}}).callsClient.peerConnection;
    return pc
      .getTransceivers()
      .filter((t) => t.sender && (t.sender.track?.kind === 'video' || t.receiver.track.kind === 'video'))
      .filter((t) => t.direction === 'sendonly')
      .map((t) => ({
        track: t.sender.track ? t.sender.track.readyState : null,
        maxBitrate: t.sender.getParameters().encodings?.[0]?.maxBitrate,
      }));
  });
}

test('DM video: A turns the camera on, B sees it playing; off stops the camera and B sees the avatar again', async () => {
  const [a, b] = await e2e.users({MM_CALLS_ENABLE_VIDEO: 'true'}, 'alice', 'bob');
  await joinDM(a);
  await joinDM(b);

  // Camera off by default: buttons there, no video anywhere, the tiles show avatars.
  await a.page.waitForSelector('#video-start-stop[aria-pressed=false]');
  await b.page.waitForSelector('[data-testid=calls-widget-video-tile-other] img.calls-avatar');
  expect(await a.page.locator('#calls-widget video').count()).toBe(0);
  expect(await videoSenders(a.page)).toEqual([]);

  // Alice chose "Mirror video" in Settings › Calls: her self view is mirrored, Bob's view of her is not.
  await a.page.evaluate(() => window.localStorage.setItem('calls_mirror_video', 'true'));
  await a.page.click('#video-start-stop');
  await a.page.waitForSelector('#video-start-stop[aria-pressed=true]');
  // A's self view and B's view of A both play frames from Chromium's fake camera.
  await expectPlaying(a.page, 'calls-widget-video-player-self');
  const seen = await expectPlaying(b.page, 'calls-widget-video-player-other');
  const transform = (page: Page, id: string) => page.$eval(`#${id}`, (v) => getComputedStyle(v).transform);
  expect(await transform(a.page, 'calls-widget-video-player-self')).toBe('matrix(-1, 0, 0, 1, 0, 0)');
  expect(await transform(b.page, 'calls-widget-video-player-other')).toBe('none');
  expect(seen.width).toBeGreaterThan(0);
  expect(seen.height).toBeGreaterThan(0);
  expect(await videoSenders(a.page)).toEqual([{track: 'live', maxBitrate: 1000000}]);
  const captured = await a.page.evaluate(() => {
    const s = (window as unknown as {callsClient: {localVideoStream: MediaStream}}).callsClient.localVideoStream;
    (window as unknown as {e2eCamera: MediaStreamTrack}).e2eCamera = s.getVideoTracks()[0];
    return s.getVideoTracks()[0].getSettings();
  });
  expect(captured.width).toBe(640);
  expect(captured.height).toBe(360);

  // The pop-out shows A's camera in A's tile too.
  const popup = await openPopOut(b.page);
  const aSession = await a.page.evaluate(
    () => (window as unknown as {callsClient: {sessionID: string}}).callsClient.sessionID,
  );
  await expectPlaying(popup, `calls-popout-video-${aSession}`);
  await popup.close();
  await b.page.waitForSelector('#calls-widget');

  // Off: the camera track is stopped, the sender stays (sending nothing), and B's tile is the avatar again.
  const transceiversBefore = await a.page.evaluate(
    () =>
      (
        window as unknown as {callsClient: {peerConnection: RTCPeerConnection}}
      ).callsClient.peerConnection.getTransceivers().length,
  );
  await a.page.click('#video-start-stop');
  await a.page.waitForSelector('#video-start-stop[aria-pressed=false]');
  expect(await a.page.evaluate(() => (window as unknown as {e2eCamera: MediaStreamTrack}).e2eCamera.readyState)).toBe(
    'ended',
  );
  expect(await videoSenders(a.page)).toEqual([{track: null, maxBitrate: 1000000}]);
  expect(
    await a.page.evaluate(
      () =>
        (
          window as unknown as {callsClient: {peerConnection: RTCPeerConnection}}
        ).callsClient.peerConnection.getTransceivers().length,
    ),
  ).toBe(transceiversBefore);
  await b.page.waitForSelector('[data-testid=calls-widget-video-tile-other] img.calls-avatar');
  expect(await b.page.locator('#calls-widget-video-player-other').count()).toBe(0);
  expect(await a.page.locator('#calls-widget-video-player-self').count()).toBe(0);

  // On again: the same sender carries the new capture, and B plays it.
  await a.page.click('#video-start-stop');
  await expectPlaying(b.page, 'calls-widget-video-player-other');
  expect(await videoSenders(a.page)).toEqual([{track: 'live', maxBitrate: 1000000}]);

  // Someone who joins while the camera is on sees it at once.
  await b.page.click('#calls-widget-leave-button');
  await b.page.waitForSelector('#calls-widget', {state: 'detached'});
  await startCall(b);
  await expectPlaying(b.page, 'calls-widget-video-player-other');

  // Bob's browser refuses the camera: a banner says so and his camera stays off; the call goes on.
  await b.page.evaluate(() => {
    const md = navigator.mediaDevices;
    const native = md.getUserMedia.bind(md);
    md.getUserMedia = (c?: MediaStreamConstraints) =>
      c?.video ? Promise.reject(new DOMException('denied', 'NotAllowedError')) : native(c);
  });
  await b.page.click('#video-start-stop');
  await b.page.waitForSelector('#calls-widget :text("Allow camera access to Mattermost.")');
  expect(await b.page.getAttribute('#video-start-stop', 'aria-pressed')).toBe('false');
  expect(
    await b.page.evaluate(() => (window as unknown as {callsClient: {isConnected: boolean}}).callsClient.isConnected),
  ).toBe(true);

  // The camera picker lists Chromium's fake camera, checked.
  await a.page.click('#calls-widget-toggle-menu-button');
  await a.page.click('#calls-widget-video-input-button');
  await a.page.waitForSelector('#calls-widget-videoinputs-menu [role=menuitemradio][aria-checked=true]');
});

test('no camera in a channel call, even with EnableVideo', async () => {
  const [a] = await e2e.users({MM_CALLS_ENABLE_VIDEO: 'true'}, 'alice');
  await openChannel(a, 'town-square');
  await startCall(a);
  await a.page.waitForSelector('#voice-mute-unmute');
  expect(await a.page.locator('#video-start-stop').count()).toBe(0);
  expect(await a.page.locator('[data-testid=calls-widget-video-bar]').count()).toBe(0);
  const popup = await openPopOut(a.page);
  await popup.waitForSelector('#calls-popout-mute-button, #voice-mute-unmute, #calls-expanded-view-controls');
  expect(await popup.locator('#calls-popout-video-button').count()).toBe(0);
  await popup.close();
  await a.page.click('#calls-widget-toggle-menu-button');
  await a.page.waitForSelector('#calls-widget-audio-input-button');
  expect(await a.page.locator('#calls-widget-video-input-button').count()).toBe(0);
});

test('a DM without EnableVideo has no camera', async () => {
  const [a] = await e2e.users({}, 'alice', 'bob');
  await joinDM(a);
  expect(await a.page.locator('#video-start-stop').count()).toBe(0);
  expect(await a.page.locator('[data-testid=calls-widget-video-bar]').count()).toBe(0);
  expect(
    await a.page.evaluate(() => (window as unknown as {callsClient: {videoEnabled: boolean}}).callsClient.videoEnabled),
  ).toBe(false);
});
