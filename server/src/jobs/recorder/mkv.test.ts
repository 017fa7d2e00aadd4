// The live Matroska stream the recorder feeds ffmpeg (mkv.ts), read by ffmpeg itself: both tracks are there with
// their parameters, blocks keep the timestamps they were written with, and the audio lasts what was written.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {readIvfFrames} from './ivf';
import {AUDIO_TRACK, mkvBlock, mkvHeader, VIDEO_TRACK} from './mkv';

test('ffmpeg reads the stream: VP8 and mono PCM tracks, block timestamps, the audio length', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mkv-'));
  try {
    const ivf = path.join(dir, 'k.ivf');
    execFileSync('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=red:s=320x240:r=1', '-frames:v', '1'],
      ...['-c:v', 'libvpx', '-f', 'ivf', ivf],
    ]);
    const key = readIvfFrames(fs.readFileSync(ivf))[0];
    const parts = [mkvHeader({width: 320, height: 240, sampleRate: 48000, channels: 1})];
    // 3 s of audio in 100 ms blocks; a video keyframe at 0, 1000 and 2500 ms, written between them.
    for (let b = 0; b < 30; b++) {
      if (b === 0 || b === 10 || b === 25) parts.push(mkvBlock(VIDEO_TRACK, b * 100, true, key));
      parts.push(mkvBlock(AUDIO_TRACK, b * 100, true, Buffer.alloc(4800 * 2, b)));
    }
    const file = path.join(dir, 's.mkv');
    fs.writeFileSync(file, Buffer.concat(parts));
    const info = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_packets', '-of', 'json', file]).toString(),
    ) as {
      streams: {
        codec_type: string;
        codec_name: string;
        width?: number;
        height?: number;
        sample_rate?: string;
        channels?: number;
      }[];
      packets: {codec_type: string; pts_time: string}[];
    };
    const video = info.streams.find((s) => s.codec_type === 'video');
    const audio = info.streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({codec_name: 'vp8', width: 320, height: 240});
    expect(audio).toMatchObject({codec_name: 'pcm_s16le', sample_rate: '48000', channels: 1});
    const times = (type: string) => info.packets.filter((p) => p.codec_type === type).map((p) => Number(p.pts_time));
    expect(times('video')).toEqual([0, 1, 2.5]);
    expect(times('audio')).toEqual([...Array(30).keys()].map((b) => b / 10));
    // Decoded, the audio is exactly what was written: 30 × 4800 samples.
    const pcm = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a', '-f', 's16le', '-']);
    expect(pcm.length).toBe(30 * 4800 * 2);
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
});
