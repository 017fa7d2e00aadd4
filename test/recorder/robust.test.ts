// One recording through a real server process (two media workers, the recorder as its child process, low
// profile) while the call changes under it: bob (880 Hz) leaves and carol (660 Hz) joins; alice (440 Hz)
// shares a red screen, stops, and later shares a blue one; and the media worker carrying the call is killed,
// so every session of the call — alice's, carol's and the recorder's own — is told rtc_reconnect and
// negotiates a new peer connection. The MP4 is checked for what a viewer notices, segment by segment: whose
// tone is heard (a 60 Hz band around each frequency), the screen's colour or the slate, and its length.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {RTCRtpTransceiver} from 'werift';
import {startNode, type NodeProcess} from '../cluster/support/node';
import {TestClient} from '../rtc/support/client';
import {CALLS, type ServerEvent, WsTestClient} from '../support/calls-client';
import {seededWorld} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {downloadFile, jobStateOf, recordingPost, startRecording, stopRecording} from '../support/recording';
import {waitFor} from '../support/wait';
import {shareScreen, talk} from './support/call-media';
import {freePort} from '../support/ports';
import {averageColor, opusTone, probe, toneVolume, vp8Picture} from './support/media';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RECORD_MS = 20_000;

const cleanups: (() => Promise<void> | void)[] = [];
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-robust-'));
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  fs.rmSync(dir, {recursive: true, force: true});
});

/**
 * A participant as the webapp behaves: joins, talks a tone, shares a screen, leaves; on rtc_reconnect it drops
 * its peer and negotiates a new one over the same session, microphone and tone again.
 */
class Speaker {
  peer: TestClient | undefined;
  /** When each media reconnect was connected again (ms). */
  readonly reconnected: number[] = [];
  #stopTalking: (() => void) | undefined;
  #stopSharing: (() => void) | undefined;
  #screen: RTCRtpTransceiver | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WsTestClient,
    private readonly tone: Buffer[],
  ) {
    ws.on('event', (e: ServerEvent) => {
      if (e.event === CALLS + 'rtc_reconnect') this.#chain = this.#chain.then(() => this.#restart());
    });
  }

  async join(channelID: string): Promise<void> {
    await this.ws.join(channelID);
    await this.#startMedia();
    this.ws.send('unmute');
  }

  async #startMedia(): Promise<void> {
    const peer = new TestClient({sessionID: this.ws.originalConnID, signaling: this.ws.signaling()});
    this.peer = peer;
    await peer.start();
    await peer.waitConnected(20_000);
    const mic = await peer.addTrack('audio', `mic-${this.ws.originalConnID}`);
    const talking = talk(peer, mic, this.tone);
    this.#stopTalking = () => talking.stop();
  }

  async #restart(): Promise<void> {
    this.#stopTalking?.();
    this.#stopSharing?.();
    await this.peer?.close();
    await this.#startMedia();
    this.reconnected.push(Date.now());
  }

  /** Shares VP8 `frames` at 15 fps (a keyframe answers each PLI), as the webapp does. */
  async share(frames: Buffer[]): Promise<void> {
    const sharing = await shareScreen(this.peer!, this.ws.originalConnID, frames);
    this.#screen = sharing.transceiver;
    this.#stopSharing = () => sharing.stop();
  }

  /** Stops sharing: screen_off and the track removed. */
  async stopShare(): Promise<void> {
    this.#stopSharing?.();
    this.peer!.sendAction('screen_off');
    if (this.#screen) await this.peer!.removeTrack(this.#screen);
    this.#screen = undefined;
  }

  async leave(): Promise<void> {
    this.#stopTalking?.();
    this.#stopSharing?.();
    this.ws.send('leave');
    await this.peer?.close();
    await this.ws.close();
  }

  async close(): Promise<void> {
    this.#stopTalking?.();
    this.#stopSharing?.();
    await this.peer?.close();
    await this.ws.close();
  }
}

/** The node's media worker processes: its direct children but the recorder. */
function workerPids(node: NodeProcess, recorderPid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(node.child.pid)], {encoding: 'utf8'})
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((p) => p !== recorderPid);
  } catch {
    return [];
  }
}

test('the recorder keeps recording through leaves, joins, share stops and restarts, and a media worker crash', async () => {
  const port = await freePort();
  const node = await startNode({
    name: 'rec-robust',
    env: {
      MM_CALLS_HTTP_PORT: String(port),
      MM_CALLS_SITE_URL: `http://127.0.0.1:${port}`,
      MM_CALLS_ENABLE_RECORDINGS: 'true',
      MM_CALLS_RECORDING_QUALITY: 'low',
      MM_CALLS_RTC_WORKERS: '2',
    },
  });
  cleanups.push(() => void node.stop());
  const world = await seededWorld({url: node.url} as TestServer);
  const channel = await world.newChannel(['alice', 'bob', 'carol']);
  const speaker = async (name: 'alice' | 'bob' | 'carol', freq: number) => {
    const ws = new WsTestClient(node.url, world.users[name].token);
    await ws.connect();
    const s = new Speaker(ws, opusTone(dir, freq, 2));
    cleanups.push(() => s.close());
    return s;
  };
  const red = vp8Picture(dir, 'red', '640x480', 45, 15);
  const blue = vp8Picture(dir, 'blue', '640x480', 45, 15);

  const alice = await speaker('alice', 440);
  const bob = await speaker('bob', 880);
  await alice.join(channel);
  await bob.join(channel);

  const {start_at: startAt} = await startRecording({
    url: node.url,
    token: world.users.alice.token,
    channelID: channel,
    ws: alice.ws,
  });
  const recorderPid = Number(/"pid":(\d+),"recordingID"/.exec(node.output())?.[1]);
  expect(recorderPid).toBeGreaterThan(0);
  /** Seconds into the file of a wall-clock time. */
  const at = (ms: number) => (ms - startAt) / 1000;
  const until = (ms: number) => sleep(Math.max(0, startAt + ms - Date.now()));

  // A red share from 2 s to 5 s; bob leaves at 6 s; carol joins at 6.5 s.
  await until(2000);
  await alice.share(red);
  const redAt = Date.now();
  await until(5000);
  await alice.stopShare();
  const redOffAt = Date.now();
  await until(6000);
  await bob.leave();
  const bobLeftAt = Date.now();
  await until(6500);
  const carol = await speaker('carol', 660);
  await carol.join(channel);
  const carolAt = Date.now();

  // At 11 s the call's media worker dies (killed in turn until the call's is hit): its sessions move.
  await until(11_000);
  const killedAt = Date.now();
  for (const pid of workerPids(node, recorderPid)) {
    process.kill(pid, 'SIGKILL');
    await sleep(300);
    if (alice.ws.received('rtc_reconnect').length > 0) break;
  }
  await waitFor(
    () => alice.reconnected.length > 0 && carol.reconnected.length > 0,
    20_000,
    'alice and carol connected again',
  );
  const reconnectedAt = Math.max(alice.reconnected[0], carol.reconnected[0]);
  // The recorder's job has not failed meanwhile (its own session was moved too: what it heard after is below).
  expect(alice.ws.received('call_job_state').filter((e) => jobStateOf(e).err || jobStateOf(e).end_at)).toEqual([]);

  // A blue share once everyone is back, until the end.
  await sleep(1000);
  await alice.share(blue);
  const blueAt = Date.now();
  await until(RECORD_MS);

  const ended = await stopRecording({url: node.url, token: world.users.alice.token, channelID: channel, ws: alice.ws});
  expect(ended.err).toBeUndefined();

  const callPostID = String((await alice.ws.waitFor('call_start')).data.post_id);
  const post = await recordingPost(node.url, world.users.alice.token, callPostID);
  const file = path.join(dir, 'recording.mp4');
  await downloadFile(node.url, world.users.alice.token, post.file_ids[0], file);

  // Its length: the whole recording, from start_at to the host's stop.
  const audio = probe(file).streams.find((s) => s.codec_type === 'audio');
  const seconds = Number(audio?.duration);
  const lasted = (ended.end_at - startAt) / 1000;
  expect({seconds, lasted, within1s: Math.abs(seconds - lasted) <= 1}).toMatchObject({within1s: true});
  expect(Math.abs(lasted * 1000 - RECORD_MS)).toBeLessThan(1500);

  // Who is heard when (dB in a 60 Hz band around each tone over a window; present > -40, absent < -50; seen
  // here: about -25 and below -60). Without the recorder's own reconnect, everything after it is silence.
  const heard = (freq: number, fromMs: number, toMs: number) =>
    Math.round(toneVolume(file, freq, at(fromMs), at(toMs) - at(fromMs)));
  const end = startAt + seconds * 1000 - 500;
  const volumes = {
    bobBeforeLeaving: heard(880, startAt + 500, bobLeftAt - 500),
    bobAfterLeaving: heard(880, bobLeftAt + 1500, end),
    carolBeforeJoining: heard(660, startAt + 500, carolAt - 2500),
    carolAfterJoining: heard(660, carolAt + 1500, killedAt - 200),
    carolAfterReconnect: heard(660, reconnectedAt + 2000, end),
    aliceAfterReconnect: heard(440, reconnectedAt + 2000, end),
  };
  const present = (v: number) => v > -40;
  const absent = (v: number) => v < -50;
  expect({
    volumes,
    bobBeforeLeaving: present(volumes.bobBeforeLeaving),
    bobAfterLeaving: absent(volumes.bobAfterLeaving),
    carolBeforeJoining: absent(volumes.carolBeforeJoining),
    carolAfterJoining: present(volumes.carolAfterJoining),
    carolAfterReconnect: present(volumes.carolAfterReconnect),
    aliceAfterReconnect: present(volumes.aliceAfterReconnect),
  }).toEqual({
    volumes,
    bobBeforeLeaving: true,
    bobAfterLeaving: true,
    carolBeforeJoining: true,
    carolAfterJoining: true,
    carolAfterReconnect: true,
    aliceAfterReconnect: true,
  });

  // What is on screen: slate, red, slate between the shares, blue after the reconnect.
  const colour = (ms: number) => averageColor(file, at(ms)).map(Math.round) as [number, number, number];
  const isSlate = ([r, g, b]: number[]) => b > r && r + g + b > 60 && r < 120;
  const isRed = ([r, g, b]: number[]) => r > 180 && g < 70 && b < 70;
  const isBlue = ([r, g, b]: number[]) => b > 180 && r < 70 && g < 70;
  const frames = {
    beforeShare: colour(startAt + 1000),
    red: colour(redAt + 2000),
    between: colour(redOffAt + 1500),
    blue: colour(blueAt + 3000),
  };
  expect({
    frames,
    beforeShare: isSlate(frames.beforeShare),
    red: isRed(frames.red),
    between: isSlate(frames.between),
    blue: isBlue(frames.blue),
  }).toEqual({frames, beforeShare: true, red: true, between: true, blue: true});
  expect(blueAt + 3000).toBeLessThan(end);
});
