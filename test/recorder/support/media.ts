// Real media for recorder tests: Opus packets of a tone and VP8 frames of a solid colour, both encoded by
// ffmpeg (ogg/opus and IVF) and parsed here, and ffprobe/ffmpeg helpers that look at a finished MP4.
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {readIvfFrames} from '../../../server/src/jobs/recorder/ivf';

/** The packets of an Ogg stream (RFC 3533), the Opus header packets (OpusHead, OpusTags) left out. */
export function oggOpusPackets(buf: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  let partial: Buffer[] = [];
  let off = 0;
  while (off + 27 <= buf.length && buf.toString('ascii', off, off + 4) === 'OggS') {
    const nseg = buf[off + 26];
    const table = buf.subarray(off + 27, off + 27 + nseg);
    let data = off + 27 + nseg;
    for (const len of table) {
      partial.push(buf.subarray(data, data + len));
      data += len;
      if (len < 255) {
        packets.push(Buffer.concat(partial));
        partial = [];
      }
    }
    off = data;
  }
  return packets.filter((p) => !p.subarray(0, 8).toString('ascii').startsWith('Opus'));
}

/** `seconds` of a sine tone at `freq` Hz as 20 ms Opus packets (48 kHz stereo). */
export function opusTone(dir: string, freq: number, seconds: number): Buffer[] {
  const file = path.join(dir, `tone-${freq}.ogg`);
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
    ...['-i', `sine=frequency=${freq}:sample_rate=48000:duration=${seconds}`],
    ...['-ac', '2', '-c:a', 'libopus', '-b:a', '48k', '-frame_duration', '20', file],
  ]);
  return oggOpusPackets(fs.readFileSync(file));
}

/** VP8 frames of a solid `color` picture at `size` (keyframe first, then every `gop` frames). */
export function vp8Picture(dir: string, color: string, size: string, frames: number, gop = 30): Buffer[] {
  const file = path.join(dir, `screen-${color}-${size}.ivf`);
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${color}:s=${size}:r=15`],
    ...['-frames:v', String(frames), '-c:v', 'libvpx', '-b:v', '500k', '-g', String(gop), '-deadline', 'realtime'],
    ...['-f', 'ivf', file],
  ]);
  return readIvfFrames(fs.readFileSync(file)).map((f) => Buffer.from(f));
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  duration?: string;
}

export function probe(file: string): {streams: ProbedStream[]; format: {duration: string}} {
  return JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]).toString(),
  ) as {streams: ProbedStream[]; format: {duration: string}};
}

/** Video frames per second between `from` and `from + seconds` (the recording's video is variable-rate). */
export function videoFrameRate(file: string, from: number, seconds: number): number {
  const out = execFileSync('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file],
  ]).toString();
  const times = out
    .split('\n')
    .map(Number)
    .filter((t) => Number.isFinite(t) && t >= from && t < from + seconds);
  return times.length / seconds;
}

/** The mean volume (dB) of the audio between `from` and `from + seconds` (ffmpeg volumedetect). */
export function meanVolume(file: string, from = 0, seconds = 1000): number {
  const res = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-ss', String(from), '-t', String(seconds), '-i', file, '-af', 'volumedetect', '-f', 'null', '-'],
    {encoding: 'utf8'},
  );
  const m = /mean_volume: (-?[\d.]+|-inf) dB/.exec(res.stderr);
  return !m || m[1] === '-inf' ? -Infinity : Number(m[1]);
}

/** The average colour [r, g, b] of a region of the frame at `at` seconds (fractions of width/height). */
export function averageColor(
  file: string,
  at: number,
  region = {x: 0.4, y: 0.4, w: 0.2, h: 0.2},
): [number, number, number] {
  const crop = `crop=iw*${region.w}:ih*${region.h}:iw*${region.x}:ih*${region.y},scale=8:8`;
  const raw = execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-ss', String(at), '-i', file],
    ...['-frames:v', '1', '-vf', crop, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
  ]);
  const sum = [0, 0, 0];
  for (let i = 0; i < raw.length; i++) sum[i % 3] += raw[i];
  const n = raw.length / 3;
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/**
 * The mean volume (dB) of one tone in the audio between `from` and `from + seconds`: a band of 60 Hz around
 * `freq` (three bandpass stages, so a neighbouring tone a few semitones away falls some 40 dB below) then
 * volumedetect. A present tone reads around -25 dB, an absent one below -50 dB.
 */
export function toneVolume(file: string, freq: number, from: number, seconds: number): number {
  const band = Array(3).fill(`bandpass=f=${freq}:width_type=h:w=60`).join(',');
  const res = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-ss',
      String(from),
      '-t',
      String(seconds),
      '-i',
      file,
      '-af',
      `${band},volumedetect`,
      '-f',
      'null',
      '-',
    ],
    {encoding: 'utf8', maxBuffer: 16 << 20},
  );
  const m = /mean_volume: (-?[\d.]+|-inf) dB/.exec(res.stderr);
  return !m || m[1] === '-inf' ? -Infinity : Number(m[1]);
}
