// Recordings end to end through a real server process: two users talking (real Opus tones) in a call, the
// host starts a recording, one of them shares a screen (real VP8) midway, the host stops; the real recorder
// (build/recorder.mjs) joins as the hidden bot, writes the MP4 and uploads it; the recording post appears in
// the call thread and its file, fetched as a channel member, is checked with ffprobe/ffmpeg. Three ways to run
// the recorder: a child process of the server (default), our job service (`npm run jobs`), and a stand-in
// calls-offloader written from reference rtcd-offloader §7 (upstream's runs Docker, which cannot run here): it
// checks the plugin's requests and starts the recorder as upstream's container entrypoint does (§8).
import {type ChildProcess, spawn} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {QUALITY_PROFILES} from '../../server/src/jobs/quality';
import {startNode, type NodeProcess} from '../cluster/support/node';
import type {TestClient} from '../rtc/support/client';
import {joinWithPeer} from '../rtc/support/harness';
import {WsTestClient} from '../support/calls-client';
import {seededWorld, type World} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {downloadFile, recordingPost, type RecordingPost, startRecording, stopRecording} from '../support/recording';
import {alive} from '../support/processes';
import {waitFor} from '../support/wait';
import {spawnService} from '../jobs/support/harness';
import {shareScreen, talk} from './support/call-media';
import {freePort} from '../support/ports';
import {averageColor, meanVolume, opusTone, probe, videoFrameRate, vp8Picture} from './support/media';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RECORD_MS = 15_000;
const SHARE_AT_MS = 6_000;

interface Running {
  stop(): Promise<void> | void;
}
const cleanups: Running[] = [];
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-e2e-'));
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c.stop()).catch(() => undefined);
  fs.rmSync(dir, {recursive: true, force: true});
});

/** A node with recordings on (low profile) whose public URL is its loopback address, so a job service's recorder reaches it. */
async function recordingNode(
  env: Record<string, string> = {},
  at: {port?: number; dataDir?: string} = {},
): Promise<NodeProcess> {
  const port = at.port ?? (await freePort());
  const node = await startNode({
    name: 'rec',
    dataDir: at.dataDir,
    env: {
      MM_CALLS_HTTP_PORT: String(port),
      MM_CALLS_SITE_URL: `http://127.0.0.1:${port}`,
      MM_CALLS_DEFAULT_ENABLED: 'true',
      MM_CALLS_ENABLE_RECORDINGS: 'true',
      MM_CALLS_RECORDING_QUALITY: 'low',
      MM_CALLS_RECORDER_UPLOAD_BACKOFF_MS: '500',
      ...env,
    },
  });
  cleanups.push({stop: () => void node.stop()});
  return node;
}

interface Recorded {
  file: string;
  /** ms between the recording's start_at and end_at (what the audio should last). */
  lastedMs: number;
  /** Seconds into the file where the share began (from the event times). */
  shareAtS: number;
  post: RecordingPost;
}

/** The whole scenario on `node`: call, recording, share, stop, the post, the file. */
async function recordACall(node: NodeProcess): Promise<Recorded> {
  const world: World = await seededWorld({url: node.url} as TestServer);
  const channel = await world.newChannel(['alice', 'bob']);
  const [tone1, tone2] = [opusTone(dir, 440, 2), opusTone(dir, 880, 2)];
  const red = vp8Picture(dir, 'red', '640x480', 45, 15);

  const alice = new WsTestClient(node.url, world.users.alice.token);
  const bob = new WsTestClient(node.url, world.users.bob.token);
  for (const ws of [alice, bob]) {
    await ws.connect();
    cleanups.push({stop: () => ws.close()});
  }
  const peers: TestClient[] = [];
  cleanups.push({stop: async () => void (await Promise.all(peers.map((p) => p.close())))});
  const alicePeer = await joinWithPeer(alice, channel, peers);
  const bobPeer = await joinWithPeer(bob, channel, peers);
  cleanups.push(talk(alicePeer, await alicePeer.addTrack('audio', `mic-${alice.originalConnID}`), tone1));
  cleanups.push(talk(bobPeer, await bobPeer.addTrack('audio', `mic-${bob.originalConnID}`), tone2));
  alice.send('unmute');
  bob.send('unmute');

  const {start_at: startAt} = await startRecording({
    url: node.url,
    token: world.users.alice.token,
    channelID: channel,
    ws: bob,
  });

  await sleep(SHARE_AT_MS);
  const shareAt = Date.now();
  cleanups.push(await shareScreen(alicePeer, alice.originalConnID, red));
  await sleep(Math.max(0, startAt + RECORD_MS - Date.now()));

  const ended = await stopRecording({url: node.url, token: world.users.alice.token, channelID: channel, ws: bob});
  expect(ended.err).toBeUndefined();

  // The recording post in the call thread, from the bot, once the recorder has uploaded.
  const callPostID = String((await alice.waitFor('call_start')).data.post_id);
  const post = await recordingPost(node.url, world.users.bob.token, callPostID);
  const file = path.join(dir, 'recording.mp4');
  await downloadFile(node.url, world.users.bob.token, post.file_ids[0], file);
  return {file, lastedMs: ended.end_at - startAt, shareAtS: (shareAt - startAt) / 1000, post};
}

/** What a viewer of the recording notices: its length, its picture size and rate, sound, the shared screen. */
function expectAGoodRecording(r: Recorded): void {
  const info = probe(r.file);
  const audio = info.streams.find((s) => s.codec_type === 'audio');
  const video = info.streams.find((s) => s.codec_type === 'video');
  expect({audio: audio?.codec_name, video: video?.codec_name}).toEqual({audio: 'aac', video: 'h264'});
  expect({width: video?.width, height: video?.height, rate: video?.r_frame_rate}).toEqual({
    width: 1280,
    height: 720,
    rate: '15/1',
  });
  const seconds = Number(audio?.duration ?? info.format.duration);
  // The shared screen (sent at 15 fps) plays at the profile's rate (the slate before it is a still).
  const shareRate = videoFrameRate(r.file, r.shareAtS + 2, Math.min(4, seconds - r.shareAtS - 3));
  expect({shareRate, atProfileRate: shareRate >= 12 && shareRate <= 15}).toMatchObject({atProfileRate: true});
  // The recording lasts from the job's start_at (the recorder's report) to its end_at (the host's stop).
  expect({seconds, lasted: r.lastedMs / 1000, within1s: Math.abs(seconds - r.lastedMs / 1000) <= 1}).toMatchObject({
    within1s: true,
  });
  expect(Math.abs(r.lastedMs - RECORD_MS)).toBeLessThan(1000);
  expect(meanVolume(r.file)).toBeGreaterThan(-40);
  const before = averageColor(r.file, Math.max(0.5, r.shareAtS - 2));
  const during = averageColor(r.file, Math.min(seconds - 1, r.shareAtS + 4));
  const [rb, gb, bb] = before;
  const [rd, gd, bd] = during;
  // Before the share: the slate (dark blue-grey, not black, not red); during it: the red screen.
  expect({slate: bb > rb && rb + gb + bb > 60}).toEqual({slate: true});
  expect({red: rd > 180 && gd < 70 && bd < 70}).toEqual({red: true});
}

test('in the server: a child process per recording', async () => {
  const node = await recordingNode();
  const r = await recordACall(node);
  expect(r.post.props.recording_id).toBeTruthy();
  expectAGoodRecording(r);
});

test('through our job service (npm run jobs)', async () => {
  const store = path.join(dir, 'jobs');
  const svc = await spawnService({
    STORE_DATASOURCE: store,
    API_SECURITY_ALLOWSELFREGISTRATION: 'true',
    JOBS_MAXCONCURRENTJOBS: '1',
  });
  cleanups.push({stop: () => void svc.proc.kill('SIGTERM')});
  const node = await recordingNode({MM_CALLS_JOB_SERVICE_URL: svc.url});
  expectAGoodRecording(await recordACall(node));
});

/**
 * A stand-in for upstream's calls-offloader (reference §7.1–7.2): Basic auth, /version, /jobs/init, POST /jobs;
 * it keeps what the plugin sent and starts the recorder with input_data upper-cased, filtered by the
 * entrypoint's whitelist (§8), as the Docker job would.
 */
function standInOffloader(): Promise<{url: string; requests: {method: string; url: string; body: unknown}[]}> {
  const requests: {method: string; url: string; body: unknown}[] = [];
  const children: ChildProcess[] = [];
  const whitelist =
    /^(SITE_URL|AUTH_TOKEN|CALL_ID|POST_ID|RECORDING_ID|WIDTH|HEIGHT|VIDEO_RATE|AUDIO_RATE|FRAME_RATE|VIDEO_PRESET|OUTPUT_FORMAT)$/;
  const srv = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      requests.push({method: req.method!, url: req.url!, body});
      const json = (status: number, v: unknown) => {
        res.writeHead(status, {'content-type': 'application/json'});
        res.end(JSON.stringify(v));
      };
      if (req.url === '/version')
        return json(200, {buildDate: '', buildVersion: 'v0.9.2', buildHash: '', goVersion: ''});
      if (!/^Basic /.test(req.headers.authorization ?? '')) return json(401, {error: 'unauthorized', code: '401'});
      if (req.url === '/jobs/init') return res.end();
      if (req.url === '/jobs' && req.method === 'POST') {
        const job = body as {
          type: string;
          runner: string;
          max_duration_sec: number;
          input_data: Record<string, unknown>;
        };
        const env: Record<string, string> = {PATH: process.env.PATH ?? '', HOME: os.tmpdir()};
        for (const [k, v] of Object.entries(job.input_data))
          if (whitelist.test(k.toUpperCase())) env[k.toUpperCase()] = String(v);
        env.DATA_DIR = path.join(dir, 'offloader-job');
        const logFd = fs.openSync(path.join(dir, 'offloader-recorder.log'), 'w');
        const child = spawn(process.execPath, [path.join(ROOT, 'build', 'recorder.mjs')], {
          env,
          stdio: ['ignore', 'ignore', logFd],
        });
        children.push(child);
        return json(200, {...job, id: 'a1b2c3d4e5f6', start_at: Date.now()});
      }
      json(404, {error: 'not found', code: '404'});
    });
  });
  cleanups.push({
    stop: () => {
      for (const c of children) c.kill('SIGKILL');
      srv.close();
    },
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, requests}),
    ),
  );
}

test('through a calls-offloader (contract stand-in): the plugin sends upstream job requests and the recording works', async () => {
  const off = await standInOffloader();
  const node = await recordingNode({
    MM_CALLS_JOB_SERVICE_URL: off.url,
    MM_CALLS_JOB_SERVICE_CLIENT_ID: 'calls-e2e',
    MM_CALLS_JOB_SERVICE_AUTH_KEY: 'k'.repeat(32),
  });
  const r = await recordACall(node);
  expectAGoodRecording(r);
  const init = off.requests.find((q) => q.url === '/jobs/init');
  expect(init?.body).toEqual({Runners: ['mattermost/calls-recorder:v0.8.13']});
  const job = off.requests.find((q) => q.url === '/jobs')?.body as Record<string, unknown>;
  expect(Object.keys(job).sort()).toEqual(['input_data', 'max_duration_sec', 'runner', 'type']);
  expect({type: job.type, runner: job.runner, max: job.max_duration_sec}).toEqual({
    type: 'recording',
    runner: 'mattermost/calls-recorder:v0.8.13',
    max: 3600,
  });
  // The node runs with MM_CALLS_RECORDING_QUALITY=low.
  expect(job.input_data).toMatchObject({...QUALITY_PROFILES.low, site_url: node.url});
});

test('kill -9 of the server mid-recording: the recorder finishes, uploads to the restarted server, and exits', async () => {
  const port = await freePort();
  const dataDir = path.join(dir, 'node');
  fs.mkdirSync(dataDir);
  const node = await recordingNode({}, {port, dataDir});
  const world: World = await seededWorld({url: node.url} as TestServer);
  const channel = await world.newChannel(['alice', 'bob']);
  const alice = new WsTestClient(node.url, world.users.alice.token);
  await alice.connect();
  cleanups.push({stop: () => alice.close()});
  const peers: TestClient[] = [];
  cleanups.push({stop: async () => void (await Promise.all(peers.map((p) => p.close())))});
  const alicePeer = await joinWithPeer(alice, channel, peers);
  cleanups.push(
    talk(alicePeer, await alicePeer.addTrack('audio', `mic-${alice.originalConnID}`), opusTone(dir, 440, 2)),
  );
  alice.send('unmute');
  const callPostID = String((await alice.waitFor('call_start')).data.post_id);
  const {start_at: startAt} = await startRecording({
    url: node.url,
    token: world.users.alice.token,
    channelID: channel,
    ws: alice,
  });
  const pid = Number(/"pid":(\d+),"recordingID"/.exec(node.output())?.[1]);
  expect(pid).toBeGreaterThan(0);

  await sleep(6000);
  const killedAt = Date.now();
  await node.kill9();
  const again = await recordingNode({}, {port, dataDir});

  const post = await recordingPost(again.url, world.users.alice.token, callPostID);
  const file = path.join(dir, 'after-crash.mp4');
  await downloadFile(again.url, world.users.alice.token, post.file_ids[0], file);
  const audio = probe(file).streams.find((st) => st.codec_type === 'audio');
  // What was recorded until the server died, complete and playable.
  expect(Math.abs(Number(audio?.duration) - (killedAt - startAt) / 1000)).toBeLessThanOrEqual(1.5);
  expect(meanVolume(file)).toBeGreaterThan(-40);
  // The recorder exits once its file is posted: nothing is left running.
  await waitFor(() => !alive(pid), 15_000, 'the recorder to exit');
});
