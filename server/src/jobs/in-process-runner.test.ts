// What reaches a recorder process run by the server: MM_CALLS_RECORDER_<X> all go into the job's input_data
// (upstream's rule), but the process environment gets only the recorder's own variables — a NODE_OPTIONS,
// LD_PRELOAD or PATH set that way would run code of someone's choice in the recorder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {silentLogger} from '../log';
import {InProcessRunner} from './in-process-runner';
import {QUALITY_PROFILES, recorderOverrides} from './quality';
import {recorderEnv, type RecorderInput} from './types';

/** A stand-in recorder: writes its environment to the file given as its argument, then exits. */
const DUMP_ENV = `require('fs').writeFileSync(process.argv[1], JSON.stringify(process.env));`;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'in-process-runner-'));
});
afterEach(() => fs.rmSync(dir, {recursive: true, force: true}));

const serverEnv = {
  MM_CALLS_RECORDER_NODE_OPTIONS: '--max-old-space-size=64',
  MM_CALLS_RECORDER_LD_PRELOAD: '/nonexistent/preload.so',
  MM_CALLS_RECORDER_PATH: '/nonexistent/bin',
  MM_CALLS_RECORDER_FFMPEG_PATH: '/nonexistent/ffmpeg',
  MM_CALLS_RECORDER_UPLOAD_BACKOFF_MS: '500',
  MM_CALLS_RECORDER_VIDEO_PRESET: 'fast',
};

function input(): RecorderInput {
  return {
    site_url: 'http://calls.example.com',
    call_id: 'c'.repeat(26),
    post_id: 'p'.repeat(26),
    recording_id: 'r'.repeat(26),
    auth_token: 't'.repeat(26),
    ...QUALITY_PROFILES.low,
    ...recorderOverrides(serverEnv),
  };
}

test('input_data keeps every MM_CALLS_RECORDER_<X>; the environment only the recorder variables', () => {
  const data = input();
  expect(data).toMatchObject({node_options: '--max-old-space-size=64', ld_preload: '/nonexistent/preload.so'});
  const env = recorderEnv(data);
  expect(Object.keys(env).sort()).toEqual(
    [
      'SITE_URL',
      'CALL_ID',
      'POST_ID',
      'RECORDING_ID',
      'AUTH_TOKEN',
      'WIDTH',
      'HEIGHT',
      'VIDEO_RATE',
      'AUDIO_RATE',
      'FRAME_RATE',
      'OUTPUT_FORMAT',
      'VIDEO_PRESET',
      'UPLOAD_BACKOFF_MS',
    ].sort(),
  );
});

test('the recorder process gets neither NODE_OPTIONS, LD_PRELOAD, PATH nor FFMPEG_PATH from MM_CALLS_RECORDER_*', async () => {
  const out = path.join(dir, 'env.json');
  const runner = new InProcessRunner({
    command: [process.execPath, '-e', DUMP_ENV, out],
    dataDir: dir,
    siteURL: () => 'http://127.0.0.1:1234',
    logger: silentLogger(),
    baseEnv: {PATH: process.env.PATH, HOME: os.tmpdir(), FFMPEG_PATH: '/usr/bin/ffmpeg'},
  });
  try {
    await runner.start({type: 'recording', maxDurationSec: 60, inputData: input()});
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const env = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, string>;
    expect({
      NODE_OPTIONS: env.NODE_OPTIONS,
      LD_PRELOAD: env.LD_PRELOAD,
      PATH: env.PATH,
      FFMPEG_PATH: env.FFMPEG_PATH,
    }).toEqual({
      NODE_OPTIONS: undefined,
      LD_PRELOAD: undefined,
      PATH: process.env.PATH,
      FFMPEG_PATH: '/usr/bin/ffmpeg',
    });
    // The recorder's own variables and our upload knob do arrive; SITE_URL and DATA_DIR are the runner's.
    expect(env).toMatchObject({
      VIDEO_PRESET: 'fast',
      UPLOAD_BACKOFF_MS: '500',
      RECORDING_ID: 'r'.repeat(26),
      SITE_URL: 'http://127.0.0.1:1234',
      DATA_DIR: path.join(dir, 'recordings', 'r'.repeat(26)),
    });
  } finally {
    await runner.close();
  }
});
