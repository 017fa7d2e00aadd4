// The ffmpeg process that writes the MP4: one live Matroska stream on pipe 3 carrying the mixed PCM and the VP8
// video (mkv.ts), encoded to H.264 (libx264 with the profile's preset and bitrate, scaled and letterboxed to the
// profile's size) + AAC, faststart. One input, not a pipe per stream: ffmpeg 5.1 reads several inputs through
// threads it polls every 10 ms (100 wake-ups a second, a third of its CPU in an audio-only recording), but
// blocks on a single input until data comes. The video is variable-rate, capped at the profile's frame rate: a
// shared screen is recorded at up to that rate, the slate (a still picture) once a second — encoding it 15–20
// times a second cost more than all the audio.
// It writes to a work name; only a clean exit renames it to the final name, so a half-written file is never
// presented as a recording.
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs/promises';
import type {Writable} from 'node:stream';
import type {Logger} from '../../log';
import {AUDIO_TRACK, mkvBlock, mkvHeader, VIDEO_TRACK} from './mkv';
import {CHANNELS, SAMPLE_RATE} from './voice-source';

export interface EncoderOptions {
  ffmpegPath: string;
  width: number;
  height: number;
  frameRate: number;
  /** kbps */
  videoRate: number;
  /** kbps */
  audioRate: number;
  videoPreset: string;
  /** The final file; ffmpeg writes `<outputPath>.part` until it exits cleanly. */
  outputPath: string;
}

export function workPath(outputPath: string): string {
  return `${outputPath}.part`;
}

export function ffmpegArgs(o: EncoderOptions): string[] {
  const {width: w, height: h} = o;
  const video = [
    `scale=${w}:${h}:force_original_aspect_ratio=decrease`,
    `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=black`,
    'setsar=1',
    'format=yuv420p',
  ].join(',');
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'warning',
    '-probesize',
    '32',
    '-analyzeduration',
    '0',
    '-f',
    'matroska',
    '-i',
    'pipe:3',
    '-map',
    '0:v',
    '-map',
    '0:a',
    '-vf',
    video,
    // Frames keep their timestamps on a 1/frameRate grid; two in one slot keep only the first (the cap).
    '-fps_mode',
    'vfr',
    '-r',
    String(o.frameRate),
    '-c:v',
    'libx264',
    '-preset',
    o.videoPreset,
    '-b:v',
    `${o.videoRate}k`,
    '-pix_fmt',
    'yuv420p',
    // A keyframe every 2 s of time, whatever the rate (seeking in a still slate stays as quick).
    '-force_key_frames',
    'expr:gte(t,n_forced*2)',
    '-c:a',
    'aac',
    // The fast coder: a third less of ffmpeg's CPU than the default (two-loop) one on mono voice at 64 kbps.
    '-aac_coder',
    'fast',
    '-b:a',
    `${o.audioRate}k`,
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    '-y',
    workPath(o.outputPath),
  ];
}

export interface EncoderResult {
  /** The final path when ffmpeg exited cleanly and the file is there. */
  path?: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export class Encoder {
  readonly #child: ChildProcess;
  readonly #input: Writable;
  /** Samples (per channel) of audio written: the next audio block's timestamp. */
  #audioSamples = 0;
  #stderr = '';
  #exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
  #exitedNow = false;
  spawnError: Error | undefined;

  constructor(
    private readonly opts: EncoderOptions,
    private readonly log: Logger,
  ) {
    this.#child = spawn(opts.ffmpegPath, ffmpegArgs(opts), {stdio: ['ignore', 'ignore', 'pipe', 'pipe']});
    this.#input = this.#child.stdio[3] as Writable;
    // A closed pipe (ffmpeg died) must not throw into the process: the exit is reported instead.
    this.#input.on('error', () => undefined);
    this.#input.write(mkvHeader({width: opts.width, height: opts.height, sampleRate: SAMPLE_RATE, channels: CHANNELS}));
    this.#child.stderr!.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + String(d)).slice(-8000);
    });
    this.#exited = new Promise((resolve) => {
      this.#child.on('error', (err) => {
        this.spawnError = err;
        this.#exitedNow = true;
        resolve({code: null, signal: null});
      });
      this.#child.on('close', (code, signal) => {
        this.#exitedNow = true;
        resolve({code, signal});
      });
    });
  }

  /** Mixed s16le PCM, continuous: its timestamp is the count of samples written before it. */
  writeAudio(pcm: Buffer): void {
    const pts = (this.#audioSamples * 1000) / SAMPLE_RATE;
    this.#audioSamples += pcm.length / 2 / CHANNELS;
    this.#input.write(mkvBlock(AUDIO_TRACK, pts, true, pcm));
  }

  /** One VP8 frame at `ptsMs` since the recording's start. */
  writeVideo(frame: Buffer, ptsMs: number, keyframe: boolean): void {
    this.#input.write(mkvBlock(VIDEO_TRACK, ptsMs, keyframe, frame));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return !this.#exitedNow;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves once ffmpeg is running (spawned), rejects if it could not start or exited at once. */
  async started(graceMs = 500): Promise<void> {
    const early = await Promise.race([this.#exited, new Promise<null>((r) => setTimeout(() => r(null), graceMs))]);
    if (early)
      throw new Error(`ffmpeg did not start: ${this.spawnError?.message ?? this.#stderr.trim() ?? early.code}`);
  }

  /** Ends the input (ffmpeg then finishes the file), waits for the exit and publishes the file if it is whole. */
  async finish(timeoutMs = 60_000): Promise<EncoderResult> {
    this.#input.end();
    const timer = setTimeout(() => {
      this.log.warn({pid: this.pid}, 'ffmpeg did not finish in time: terminating it');
      this.#child.kill('SIGTERM');
      setTimeout(() => this.#child.kill('SIGKILL'), 10_000).unref();
    }, timeoutMs);
    const {code, signal} = await this.#exited;
    clearTimeout(timer);
    const result: EncoderResult = {code, signal, stderr: this.#stderr};
    const work = workPath(this.opts.outputPath);
    if (code === 0) {
      const stat = await fs.stat(work).catch(() => undefined);
      if (stat && stat.size > 0) {
        await fs.rename(work, this.opts.outputPath);
        result.path = this.opts.outputPath;
      }
    }
    return result;
  }

  /** Stops ffmpeg without keeping anything (a start failure). */
  async abort(): Promise<void> {
    if (this.running) this.#child.kill('SIGKILL');
    await this.#exited;
    await fs.rm(workPath(this.opts.outputPath), {force: true});
  }
}
