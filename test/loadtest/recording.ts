// The recording benchmark (`npm run lt -- --recording`): N calls on a started server, each with two users
// sending real Opus (and one a real VP8 screen share with moving content), each call recorded by the real
// recorder the server starts (build/recorder.mjs → the recorder's node process → ffmpeg). Its CPU and
// memory are read from /proc for that process tree only; the file's size gives the size per hour.
import fs from 'node:fs';
import {execFileSync} from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {readIvfFrames} from '../../server/src/jobs/recorder/ivf';
import type {TestClient as Peer} from '../rtc/support/client';
import {WsTestClient} from '../support/calls-client';
import {downloadFile, recordingPost, startRecording, stopRecording} from '../support/recording';
import {sleep} from '../support/wait';
import {shareScreen, talk} from '../recorder/support/call-media';
import {opusTone, probe} from '../recorder/support/media';
import {joinWithPeer} from '../rtc/support/harness';
import {Progress} from './progress';
import {scrape} from './scrape';
import {startServerProcess} from './serverProcess';
import {setupWorld} from './setup';

export type RecordingQuality = 'low' | 'medium' | 'high';

export interface RecordingBenchOptions {
  quality: RecordingQuality;
  /** Whether one user of each call shares a screen for the whole recording. */
  screen: boolean;
  /** Concurrent recordings (one call each). */
  recordings: number;
  /** Measurement window, seconds. */
  duration: number;
  /** Seconds between every recording having started and the window (default 5: ffmpeg's start is not steady state). */
  warmup?: number;
  serverLog?: string;
  progress?: Progress;
}

/** CPU in cores (1 = one core busy) and memory in MB, summed over a set of processes. */
interface Usage {
  cpuCores: number;
  rssMB: number;
  pssMB: number;
}

export interface RecordingBenchResult {
  scenario: {quality: RecordingQuality; screen: boolean; recordings: number; duration: number};
  /** Per recording (the totals divided by the number of recordings): the whole tree, and by kind of process. */
  perRecording: Usage & {
    rssPeakMB: number;
    recorder: Usage;
    ffmpeg: Usage;
    /** build/recorder.mjs, where a job service starts the recorder through it (the in-process runner does not). */
    launcher: Usage;
  };
  /** Mean over the recordings: file size, the recording's length, and the size an hour would take. */
  file: {bytes: number; seconds: number; mbPerHour: number};
  /** The server (signaling + SFU forwarding to the recorder bot), CPU % of one core over the window. */
  serverCpuPercent: number;
  windowSeconds: number;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const PAGE_KB = 4;

interface ProcInfo {
  pid: number;
  ppid: number;
  ticks: number;
  rssKB: number;
  cmd: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return {pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), rssKB: Number(f[21]) * PAGE_KB, cmd};
  } catch {
    return undefined;
  }
}

function pssKB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

type Kind = 'launcher' | 'recorder' | 'ffmpeg';

/** Every process under the server whose ancestry includes a recorder launcher, by kind. */
function recorderTree(serverPid: number): Map<number, ProcInfo & {kind: Kind}> {
  const all = new Map<number, ProcInfo>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) all.set(p.pid, p);
  }
  const out = new Map<number, ProcInfo & {kind: Kind}>();
  for (const p of all.values()) {
    // Walk up to the server; the process right below it must be a launcher.
    let top: ProcInfo | undefined = p;
    while (top && top.ppid !== serverPid && top.ppid > 1) top = all.get(top.ppid);
    if (!top || top.ppid !== serverPid || !/recorder\.mjs|recorder\/main\.ts/.test(top.cmd)) continue;
    const kind: Kind = /ffmpeg/.test(p.cmd.split(' ')[0])
      ? 'ffmpeg'
      : p.cmd.includes('recorder.mjs')
        ? 'launcher'
        : 'recorder';
    out.set(p.pid, {...p, kind});
  }
  // build/recorder.mjs runs the recorder in its own process today: it is a launcher only with a recorder below it.
  for (const p of out.values()) {
    if (p.kind === 'launcher' && ![...out.values()].some((c) => c.ppid === p.pid && c.kind === 'recorder'))
      p.kind = 'recorder';
  }
  return out;
}

/**
 * A screen with moving content (ffmpeg's testsrc2: a moving pattern and a running counter), 1280×720 VP8 at
 * about 1 Mbit/s: a solid picture would let the recorder's H.264 encoder skip almost everything.
 */
function movingScreen(dir: string, seconds = 10): Buffer[] {
  const file = path.join(dir, 'screen.ivf');
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=s=1280x720:r=15:d=${seconds}`],
    ...['-c:v', 'libvpx', '-b:v', '1M', '-g', '150', '-deadline', 'realtime', '-cpu-used', '8'],
    ...['-f', 'ivf', file],
  ]);
  return readIvfFrames(fs.readFileSync(file)).map((f) => Buffer.from(f));
}

/** Joins the call with a werift peer; a loaded machine may need more than the tests' 10 s to connect. */

export async function runRecordingBench(o: RecordingBenchOptions): Promise<RecordingBenchResult> {
  const progress = o.progress ?? new Progress(false);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-lt-rec-'));
  const stops: {stop(): unknown}[] = [];
  const peers: Peer[] = [];
  const sockets: WsTestClient[] = [];
  const server = await startServerProcess({
    env: {
      MM_CALLS_ENABLE_RECORDINGS: 'true',
      MM_CALLS_RECORDING_QUALITY: o.quality,
      MM_CALLS_RTC_WORKERS: '1',
    },
    logFile: o.serverLog,
  });
  try {
    // Media is encoded before anything runs: encoding would compete with what is measured.
    const tones = [opusTone(dir, 440, 2), opusTone(dir, 660, 2)];
    const screenFrames = o.screen ? movingScreen(dir) : [];
    const world = await setupWorld(server.url, {username: 'admin', password: server.adminPassword}, o.recordings, 2);
    const hosts: {ws: WsTestClient; token: string; channelID: string}[] = [];
    for (const [c, call] of world.calls.entries()) {
      progress.update('join', c, o.recordings);
      // Both connected before the call starts, so both see call_start.
      const pair: WsTestClient[] = [];
      for (const u of call.users) {
        const ws = new WsTestClient(server.url, u.token);
        await ws.connect();
        sockets.push(ws);
        pair.push(ws);
      }
      for (const [i, ws] of pair.entries()) {
        const peer = await joinWithPeer(ws, call.channelID, peers, 60_000);
        stops.push(talk(peer, await peer.addTrack('audio', `mic-${ws.originalConnID}`), tones[i % 2]));
        ws.send('unmute');
        if (i === 0 && o.screen) stops.push(await shareScreen(peer, ws.originalConnID, screenFrames));
      }
      hosts.push({ws: pair[1], token: call.users[0].token, channelID: call.channelID});
    }
    progress.update('join', o.recordings, o.recordings);
    const startAts: number[] = [];
    for (const [c, h] of hosts.entries()) {
      progress.update('start', c, o.recordings);
      startAts.push(
        (await startRecording({url: server.url, token: h.token, channelID: h.channelID, ws: h.ws})).start_at,
      );
    }
    const warmup = o.warmup ?? 5;
    for (let s = 0; s < warmup; s += 0.5) {
      progress.update('warm-up', Math.floor(s), Math.ceil(warmup));
      await sleep(500);
    }

    const first = recorderTree(server.pid);
    // One process right below the server per recording (the recorder itself, or a launcher in front of it).
    const tops = [...first.values()].filter((p) => p.ppid === server.pid).length;
    if (tops !== o.recordings)
      throw new Error(`expected ${o.recordings} recorder processes under the server, found ${tops}`);
    const t0 = performance.now();
    const serverBefore = await scrape(server.url);
    const rss: Record<Kind | 'all', number[]> = {launcher: [], recorder: [], ffmpeg: [], all: []};
    const pss: Record<Kind, number[]> = {launcher: [], recorder: [], ffmpeg: []};
    let last = first;
    const end = Date.now() + o.duration * 1000;
    while (Date.now() < end) {
      progress.update('run', Math.floor(o.duration - (end - Date.now()) / 1000), o.duration);
      await sleep(Math.max(0, Math.min(1000, end - Date.now())));
      last = recorderTree(server.pid);
      const sum = {launcher: 0, recorder: 0, ffmpeg: 0};
      const psum = {launcher: 0, recorder: 0, ffmpeg: 0};
      for (const p of last.values()) {
        sum[p.kind] += p.rssKB;
        psum[p.kind] += pssKB(p.pid);
      }
      for (const k of ['launcher', 'recorder', 'ffmpeg'] as const) {
        rss[k].push(sum[k]);
        pss[k].push(psum[k]);
      }
      rss.all.push(sum.launcher + sum.recorder + sum.ffmpeg);
    }
    const seconds = (performance.now() - t0) / 1000;
    const serverAfter = await scrape(server.url);
    progress.update('run', o.duration, o.duration);
    // CPU over the window: a process that started within it counts from zero.
    const cpu = {launcher: 0, recorder: 0, ffmpeg: 0};
    for (const p of last.values()) cpu[p.kind] += (p.ticks - (first.get(p.pid)?.ticks ?? 0)) / CLK_TCK / seconds;
    const n = o.recordings;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const usage = (k: Kind): Usage => ({
      cpuCores: cpu[k] / n,
      rssMB: (mean(rss[k]) * 1024) / 1e6 / n,
      pssMB: (mean(pss[k]) * 1024) / 1e6 / n,
    });
    const parts = {recorder: usage('recorder'), ffmpeg: usage('ffmpeg'), launcher: usage('launcher')};

    // Stop, wait for every recording's post, and weigh its file.
    for (const [c, h] of hosts.entries()) {
      progress.update('stop', c, n);
      await stopRecording({url: server.url, token: h.token, channelID: h.channelID, ws: h.ws});
    }
    const files: {bytes: number; seconds: number}[] = [];
    for (const [c, h] of hosts.entries()) {
      progress.update('upload', c, n);
      const callPostID = String((await h.ws.waitFor('call_start', () => true, 10_000)).data.post_id);
      const post = await recordingPost(server.url, h.token, callPostID, 120_000);
      const file = path.join(dir, `rec-${c}.mp4`);
      await downloadFile(server.url, h.token, post.file_ids[0], file);
      files.push({bytes: fs.statSync(file).size, seconds: Number(probe(file).format.duration)});
    }
    progress.done();
    const bytes = mean(files.map((f) => f.bytes));
    const fileSeconds = mean(files.map((f) => f.seconds));
    const dt = (serverAfter.at - serverBefore.at) / 1000;
    return {
      scenario: {quality: o.quality, screen: o.screen, recordings: n, duration: o.duration},
      perRecording: {
        cpuCores: parts.recorder.cpuCores + parts.ffmpeg.cpuCores + parts.launcher.cpuCores,
        rssMB: parts.recorder.rssMB + parts.ffmpeg.rssMB + parts.launcher.rssMB,
        pssMB: parts.recorder.pssMB + parts.ffmpeg.pssMB + parts.launcher.pssMB,
        rssPeakMB: (Math.max(...rss.all) * 1024) / 1e6 / n,
        ...parts,
      },
      file: {bytes, seconds: fileSeconds, mbPerHour: fileSeconds > 0 ? ((bytes / fileSeconds) * 3600) / 1e6 : 0},
      serverCpuPercent: ((serverAfter.cpuSeconds - serverBefore.cpuSeconds) / dt) * 100,
      windowSeconds: seconds,
    };
  } finally {
    for (const s of stops) s.stop();
    for (const ws of sockets) ws.close();
    await Promise.all(peers.map((p) => p.close().catch(() => undefined)));
    await server.stop();
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

const f = (n: number, d = 0) => n.toLocaleString('en-US', {minimumFractionDigits: d, maximumFractionDigits: d});

export function formatRecording(r: RecordingBenchResult): string {
  const p = r.perRecording;
  const s = r.scenario;
  return [
    `scenario          ${s.recordings} concurrent ${s.quality}-profile recording(s) of a call with two speakers${s.screen ? ' and a screen share' : ''}, ${s.duration} s window`,
    `per recording     ${f(p.cpuCores, 3)} cores, RSS ${f(p.rssMB)} MB (peak ${f(p.rssPeakMB)}), PSS ${f(p.pssMB)} MB`,
    `  recorder node   ${f(p.recorder.cpuCores, 3)} cores, RSS ${f(p.recorder.rssMB)} MB`,
    `  ffmpeg          ${f(p.ffmpeg.cpuCores, 3)} cores, RSS ${f(p.ffmpeg.rssMB)} MB`,
    ...(p.launcher.rssMB > 0
      ? [`  launcher        ${f(p.launcher.cpuCores, 3)} cores, RSS ${f(p.launcher.rssMB)} MB (build/recorder.mjs)`]
      : []),
    `file              ${f(r.file.bytes / 1e6, 2)} MB for ${f(r.file.seconds, 1)} s: ${f(r.file.mbPerHour)} MB per hour`,
    `server            ${f(r.serverCpuPercent, 1)} % CPU (forwarding to the recorder and the other user)`,
  ].join('\n');
}
