// The recorder's media pipeline fed by real werift peers over loopback (no server): two speakers' Opus
// tones and a VP8 screen share go in, one MP4 comes out; ffprobe/ffmpeg check what a viewer would notice.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {RecordingPipeline, type TrackHandle} from '../../server/src/jobs/recorder/pipeline';
import {silentLogger} from '../../server/src/log';
import {AudioSender, loopbackLink, ScreenSender, type LoopbackLink} from './support/peers';
import {averageColor, meanVolume, opusTone, probe, videoFrameRate, vp8Picture} from './support/media';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOW = {width: 1280, height: 720, frameRate: 15, videoRate: 1000, audioRate: 64, videoPreset: 'ultrafast'};

let dir: string;
const links: LoopbackLink[] = [];
const timers: {stop(): void}[] = [];
const running: RecordingPipeline[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rec-pipeline-'));
});

afterEach(async () => {
  for (const t of timers.splice(0)) t.stop();
  for (const l of links.splice(0)) await l.close();
  // A failed test must not leave ffmpeg and the clocks running.
  for (const p of running.splice(0)) await p.stop().catch(() => undefined);
  fs.rmSync(dir, {recursive: true, force: true});
});

function pipeline(name: string): RecordingPipeline {
  const p = new RecordingPipeline({
    ...LOW,
    log: silentLogger(),
    ffmpegPath: 'ffmpeg',
    workDir: dir,
    outputPath: path.join(dir, `${name}.mp4`),
  });
  running.push(p);
  return p;
}

async function speaker(p: RecordingPipeline, tone: Buffer[]): Promise<{sender: AudioSender; handle: TrackHandle}> {
  const handle = p.addAudio(`speaker-${links.length}`);
  const link = await loopbackLink('audio', (rtp) => handle.push(rtp));
  links.push(link);
  const sender = new AudioSender(link, tone);
  sender.start();
  timers.push(sender);
  return {sender, handle};
}

async function screen(p: RecordingPipeline, owner: string, frames: Buffer[], startAt = 0) {
  const linked: {link?: LoopbackLink} = {};
  const handle = p.addScreen(owner, () => linked.link?.requestKeyframe());
  const link = await loopbackLink('video', (rtp) => handle.push(rtp));
  linked.link = link;
  links.push(link);
  const sender = new ScreenSender(link, frames, startAt);
  sender.start();
  timers.push(sender);
  return {sender, handle, link};
}

const isRed = ([r, g, b]: number[]) => r > 180 && g < 70 && b < 70;
const isGreen = ([r, g, b]: number[]) => g > 100 && r < 70 && b < 70;
const isBlue = ([r, g, b]: number[]) => b > 180 && r < 70 && g < 70;
/** The slate: a dark blue-grey background with white text, neither black nor a share's colour. */
const isSlate = ([r, g, b]: number[]) => b > r && r + g + b > 60 && r + g + b < 300;

it('records two speakers and a screen share into one MP4 at the profile', async () => {
  // Media is encoded before the recording starts: encoding blocks the event loop the pipeline runs on.
  const red = vp8Picture(dir, 'red', '640x480', 60, 60);
  const [a, b] = [opusTone(dir, 440, 2), opusTone(dir, 880, 2)];
  const p = pipeline('call');
  await p.start({title: 'Weekly sync', participants: [{name: 'alice', speaking: false}]});
  const t0 = p.startedAt;
  await speaker(p, a);
  await speaker(p, b);
  await sleep(4000);
  // Joined late: the share starts mid-GOP, so the recorder must ask for a keyframe.
  const share = await screen(p, 'alice-session', red, 5);
  const shared = (performance.now() - t0) / 1000;
  await sleep(8000);
  const res = await p.stop();
  running.splice(running.indexOf(p), 1);
  const end = (performance.now() - t0) / 1000;
  expect(res.code).toBe(0);
  expect(res.path).toBe(path.join(dir, 'call.mp4'));
  expect(fs.existsSync(`${res.path}.part`)).toBe(false);
  expect(share.sender.plis).toBeGreaterThan(0);

  const info = probe(res.path!);
  const audio = info.streams.filter((s) => s.codec_type === 'audio');
  const video = info.streams.filter((s) => s.codec_type === 'video');
  expect(audio).toHaveLength(1);
  expect(audio[0].codec_name).toBe('aac');
  expect(Number(audio[0].duration)).toBeGreaterThan(end - 1);
  expect(Number(audio[0].duration)).toBeLessThan(end + 1);
  expect(video).toHaveLength(1);
  expect(video[0]).toMatchObject({codec_name: 'h264', width: 1280, height: 720, r_frame_rate: '15/1'});
  // The share (sent at 15 fps) is recorded at the profile's rate; the slate, a still, about once a second.
  const shareRate = videoFrameRate(res.path!, shared + 2, 4);
  expect(shareRate).toBeGreaterThanOrEqual(12);
  expect(shareRate).toBeLessThanOrEqual(15);
  const slateRate = videoFrameRate(res.path!, 0.5, 3);
  expect(slateRate).toBeGreaterThanOrEqual(0.6);
  expect(slateRate).toBeLessThanOrEqual(2);
  expect(meanVolume(res.path!)).toBeGreaterThan(-40);
  // Before the share: the slate; during it: the shared picture, letterboxed (black bars at the sides).
  expect(isSlate(averageColor(res.path!, 2))).toBe(true);
  expect(isRed(averageColor(res.path!, shared + 4))).toBe(true);
  expect(averageColor(res.path!, shared + 4, {x: 0, y: 0.4, w: 0.05, h: 0.2}).every((c) => c < 30)).toBe(true);
});

it('keeps recording through a speaker leaving, another joining and a share changing resolution and stopping', async () => {
  const green = vp8Picture(dir, 'green', '640x480', 45, 45);
  const blue = vp8Picture(dir, 'blue', '1024x600', 45, 45);
  const [a, c] = [opusTone(dir, 440, 2), opusTone(dir, 660, 2)];
  const p = pipeline('changes');
  await p.start({title: 'Changes', participants: []});
  const t0 = p.startedAt;
  const at = () => (performance.now() - t0) / 1000;
  const first = await speaker(p, a);
  await sleep(2000);
  const share = await screen(p, 'bob-session', green);
  const shareStart = at();
  await sleep(2500);
  // The first speaker leaves; silence until the second joins.
  first.sender.stop();
  first.handle.end();
  const left = at();
  await sleep(2000);
  await speaker(p, c);
  const joined = at();
  // The sharer resizes its window: a keyframe at a new size on the same track.
  share.sender.switchTo(blue);
  const resized = at();
  await sleep(2500);
  share.sender.stop();
  share.handle.end();
  const shareEnd = at();
  await sleep(2500);
  const res = await p.stop();
  running.splice(running.indexOf(p), 1);
  const end = at();
  expect(res.code).toBe(0);

  const info = probe(res.path!);
  const video = info.streams.find((s) => s.codec_type === 'video')!;
  expect(video).toMatchObject({width: 1280, height: 720, r_frame_rate: '15/1'});
  const audio = info.streams.find((s) => s.codec_type === 'audio')!;
  expect(Number(audio.duration)).toBeGreaterThan(end - 1);
  expect(Number(audio.duration)).toBeLessThan(end + 1);
  // The picture on show at the stop (the slate) lasts to the end: the video does not stop at its last repeat.
  expect(Number(video.duration)).toBeGreaterThan(Number(audio.duration) - 0.2);
  expect(meanVolume(res.path!, 0.5, 1.5)).toBeGreaterThan(-40);
  expect(meanVolume(res.path!, left + 0.5, joined - left - 1)).toBeLessThan(-60);
  expect(meanVolume(res.path!, joined + 0.5, 1.5)).toBeGreaterThan(-40);
  expect(isSlate(averageColor(res.path!, 1))).toBe(true);
  expect(isGreen(averageColor(res.path!, (shareStart + resized) / 2 + 0.5))).toBe(true);
  expect(isBlue(averageColor(res.path!, (resized + shareEnd) / 2 + 0.3))).toBe(true);
  expect(isSlate(averageColor(res.path!, (shareEnd + end) / 2 + 0.3))).toBe(true);
});
