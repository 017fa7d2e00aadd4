// The recorder's configuration: the job environment of reference rtcd-offloader §8 (validated and defaulted
// exactly as upstream's config.go), plus DATA_DIR and FFMPEG_PATH. A bad value is a start failure.
import os from 'node:os';
import path from 'node:path';
import {AppError} from '../../errors';

export const VIDEO_PRESETS = ['medium', 'fast', 'faster', 'veryfast', 'superfast', 'ultrafast'] as const;
export type VideoPreset = (typeof VIDEO_PRESETS)[number];

export interface RecorderConfig {
  /** http(s) origin and the site's path (a site served under `/chat`), no trailing slash. */
  siteURL: string;
  authToken: string;
  /** The channel id. */
  callID: string;
  postID: string;
  recordingID: string;
  width: number;
  height: number;
  /** kbps */
  videoRate: number;
  /** kbps */
  audioRate: number;
  frameRate: number;
  videoPreset: VideoPreset;
  outputFormat: 'mp4';
  dataDir: string;
  ffmpegPath: string;
  /** Upload attempts and the linear backoff step (reference §8: 20 × 5 s); UPLOAD_ATTEMPTS/UPLOAD_BACKOFF_MS for tests. */
  uploadAttempts: number;
  uploadBackoffMs: number;
}

export const CONFIG_DEFAULTS = {
  width: 1920,
  height: 1080,
  videoRate: 1500,
  audioRate: 64,
  frameRate: 30,
  videoPreset: 'fast',
  outputFormat: 'mp4',
} as const;

const LIMITS = {
  width: [1280, 3840],
  height: [720, 2160],
  videoRate: [500, 10000],
  audioRate: [32, 320],
  frameRate: [10, 60],
} as const;

const ID_RE = /^[a-z0-9]{26}$/;

function invalid(message: string): AppError {
  return new AppError('app.recorder.config.invalid', message, 400);
}

function parseSiteURL(raw: string | undefined): string {
  if (!raw) throw invalid('SITE_URL cannot be empty');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw invalid('SITE_URL parsing failed: invalid url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid('SITE_URL parsing failed: invalid scheme');
  // A path is the site's subpath (upstream's recorder refuses one: it loads pages; ours only calls the API).
  if (u.search || u.hash || u.username || u.password) throw invalid('SITE_URL parsing failed: invalid path');
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

function parseID(name: string, raw: string | undefined): string {
  if (!raw) throw invalid(`${name} cannot be empty`);
  if (!ID_RE.test(raw)) throw invalid(`${name} parsing failed`);
  return raw;
}

/** An integer setting: 0 or empty takes the default (as upstream), anything else must be within the limits. */
function parseInt(name: string, raw: string | undefined, def: number, [min, max]: readonly [number, number]): number {
  if (raw === undefined || raw.trim() === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) throw invalid(`${name} parsing failed: not an integer`);
  const n = Number(raw.trim());
  if (n === 0) return def;
  if (n < min || n > max) throw invalid(`${name} value is not valid: must be in the range [${min}, ${max}]`);
  return n;
}

export function parseRecorderConfig(env: NodeJS.ProcessEnv): RecorderConfig {
  const preset = env.VIDEO_PRESET?.trim() || CONFIG_DEFAULTS.videoPreset;
  if (!(VIDEO_PRESETS as readonly string[]).includes(preset)) throw invalid('VIDEO_PRESET value is not valid');
  const format = env.OUTPUT_FORMAT?.trim() || CONFIG_DEFAULTS.outputFormat;
  if (format !== 'mp4') throw invalid('OUTPUT_FORMAT value is not valid');
  return {
    siteURL: parseSiteURL(env.SITE_URL?.replace(/\/+$/, '')),
    authToken: parseID('AUTH_TOKEN', env.AUTH_TOKEN),
    callID: parseID('CALL_ID', env.CALL_ID),
    postID: parseID('POST_ID', env.POST_ID),
    recordingID: parseID('RECORDING_ID', env.RECORDING_ID),
    width: parseInt('WIDTH', env.WIDTH, CONFIG_DEFAULTS.width, LIMITS.width),
    height: parseInt('HEIGHT', env.HEIGHT, CONFIG_DEFAULTS.height, LIMITS.height),
    videoRate: parseInt('VIDEO_RATE', env.VIDEO_RATE, CONFIG_DEFAULTS.videoRate, LIMITS.videoRate),
    audioRate: parseInt('AUDIO_RATE', env.AUDIO_RATE, CONFIG_DEFAULTS.audioRate, LIMITS.audioRate),
    frameRate: parseInt('FRAME_RATE', env.FRAME_RATE, CONFIG_DEFAULTS.frameRate, LIMITS.frameRate),
    videoPreset: preset as VideoPreset,
    outputFormat: 'mp4',
    dataDir: path.resolve(env.DATA_DIR?.trim() || path.join(os.tmpdir(), 'calls-recorder')),
    ffmpegPath: env.FFMPEG_PATH?.trim() || 'ffmpeg',
    uploadAttempts: parseInt('UPLOAD_ATTEMPTS', env.UPLOAD_ATTEMPTS, 20, [1, 100]),
    uploadBackoffMs: parseInt('UPLOAD_BACKOFF_MS', env.UPLOAD_BACKOFF_MS, 5000, [1, 60_000]),
  };
}

/** What may be logged of a config: everything but the token. */
export function redactedConfig(cfg: RecorderConfig): Omit<RecorderConfig, 'authToken'> {
  const {authToken: _token, ...rest} = cfg;
  return rest;
}
