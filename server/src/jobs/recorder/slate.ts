// The picture recorded while nobody shares a screen: the call's title and its participants, the speakers
// marked, rendered by ffmpeg (drawtext) into one VP8 keyframe at the output size. Names are user input:
// they go through a text file with expansion off, never into the filter string.
import {spawn} from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import {readIvfFrames} from './ivf';

export const SLATE_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const MAX_LISTED = 12;

export interface SlateParticipant {
  name: string;
  speaking: boolean;
}

export interface SlateContent {
  title: string;
  participants: SlateParticipant[];
}

/** The slate's text: title, then one line per participant (speakers marked), clipped so it fits. */
export function slateText(content: SlateContent): string {
  const clean = (s: string) =>
    // Control characters would draw as boxes or break lines; long names would run off the frame.
    Array.from(s.replace(/[\p{Cc}\p{Cf}]/gu, ' ').trim())
      .slice(0, 48)
      .join('') || '?';
  const lines = [clean(content.title || 'Call'), ''];
  const listed = content.participants.slice(0, MAX_LISTED);
  for (const p of listed) lines.push(`${p.speaking ? '▶ ' : '   '}${clean(p.name)}${p.speaking ? '  (speaking)' : ''}`);
  if (content.participants.length > listed.length)
    lines.push(`   and ${content.participants.length - listed.length} more`);
  if (content.participants.length === 0) lines.push('Nobody is in the call');
  return lines.join('\n');
}

export interface SlateRendererOptions {
  ffmpegPath: string;
  width: number;
  height: number;
  workDir: string;
  fontFile?: string;
}

/** Renders a slate to a VP8 keyframe; rejects when ffmpeg fails (the caller keeps the previous slate). */
export async function renderSlate(opts: SlateRendererOptions, content: SlateContent): Promise<Buffer> {
  const textFile = path.join(
    opts.workDir,
    `slate-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`,
  );
  await fs.writeFile(textFile, slateText(content), {mode: 0o600});
  const fontSize = Math.round(opts.height / 24);
  const escape = (p: string) => p.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/:/g, '\\:');
  const filter =
    `drawtext=fontfile='${escape(opts.fontFile ?? SLATE_FONT)}':textfile='${escape(textFile)}':expansion=none:` +
    `fontcolor=white:fontsize=${fontSize}:line_spacing=${Math.round(fontSize / 2)}:x=(w-text_w)/2:y=(h-text_h)/2`;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `color=c=0x1e2a3a:s=${opts.width}x${opts.height}:r=1`,
    '-vf',
    filter,
    '-frames:v',
    '1',
    '-c:v',
    'libvpx',
    '-b:v',
    '2M',
    '-deadline',
    'realtime',
    '-f',
    'ivf',
    'pipe:1',
  ];
  try {
    const out = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn(opts.ffmpegPath, args, {stdio: ['ignore', 'pipe', 'pipe']});
      const chunks: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (d: Buffer) => chunks.push(d));
      child.stderr.on('data', (d: Buffer) => (err = (err + String(d)).slice(-2000)));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`slate render failed (${code}): ${err.trim()}`)),
      );
    });
    const frame = readIvfFrames(out)[0];
    if (!frame) throw new Error('slate render produced no frame');
    return Buffer.from(frame);
  } finally {
    await fs.rm(textFile, {force: true});
  }
}
