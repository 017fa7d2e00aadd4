// The bench's start and memory rows (`npm run bench -- --only start`): the server started as `npm start` runs it
// (node build/start.mjs, media workers as configured by default), the time from the spawn to its first HTTP answer,
// its idle RSS (main process and media workers, /proc VmRSS, after the start has settled), then the RSS each audio
// session adds: users join one call (2 of them unmuted) through the load-test tool against that server, first a
// quarter of N (which also pays the one-time growth: JIT code, heap spaces, arenas), then N; the RSS per session is
// the growth of the whole process tree between the two (each the median RSS while all its sessions were up, by the
// server's session gauge) over the sessions added. Printed, never asserted.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VERSION_PATH = '/plugins/com.mattermost.calls/version';
/** How long the idle server is left alone before its RSS is read (its first heap trim runs 5 s after the start). */
const SETTLE_MS = 10_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** VmRSS of a process in MB, or 0 once it is gone. */
function rssMB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? (Number(m[1]) * 1024) / 1e6 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds a process and its waited-for children used (user + system; /proc stat ticks at 100 Hz). */
function cpuSeconds(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0;
  }
}

function childrenOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The server's processes: the start process (the server itself when compiled, else a launcher) and its tree. */
function tree(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i]));
  return all.map((p) => ({pid: p, rss: rssMB(p), role: roleOf(p)}));
}

/** What a process of the tree is, from its command line. */
function roleOf(pid) {
  let cmd = '';
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return 'gone';
  }
  if (cmd.includes('workerMain')) return 'worker';
  if (cmd.includes('esbuild')) return 'esbuild';
  if (cmd.includes('main.ts') || cmd.includes('main.js')) return 'server';
  // build/start.mjs: the server itself when it runs the compiled code, else tsx's launcher.
  return 'start';
}

async function answers(url) {
  try {
    const res = await fetch(url, {signal: AbortSignal.timeout(1000)});
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function runLt(url, password, users, seconds) {
  const args = [
    '--import',
    'tsx',
    path.join(root, 'test/loadtest/cli.ts'),
    ...['--url', url, '--admin', `admin:${password}`],
    ...['--calls', '1', '--users', String(users), '--unmuted', '2', '--duration', String(seconds)],
    ...['--json', '--quiet'],
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {cwd: root, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({code, out, err}));
  });
}

/** Active RTC sessions by the server's own gauge (summed over its groups), or undefined when it does not answer. */
async function activeSessions(url) {
  try {
    const res = await fetch(`${url}/plugins/com.mattermost.calls/metrics`, {signal: AbortSignal.timeout(2000)});
    const text = await res.text();
    let n = 0;
    for (const m of text.matchAll(/^mattermost_plugin_calls_rtc_sessions_total(?:\{[^}]*\})? (\d+)/gm))
      n += Number(m[1]);
    return n;
  } catch {
    return undefined;
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/**
 * `users` join one call for `seconds` through the load-test tool. The server's RSS is sampled with its session gauge:
 * the figures are the medians of the samples taken while every session was up (steady, not the joins' transient peak).
 */
async function holdSessions(pid, url, password, users, seconds) {
  const samples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const n = await activeSessions(url);
      const t = tree(pid);
      if (n !== undefined) samples.push({n, total: sum(t), main: (t.find((p) => p.role === 'server') ?? t[0]).rss});
      await sleep(500);
    }
  })();
  const lt = await runLt(url, password, users, seconds);
  sampling = false;
  await sampler;
  try {
    JSON.parse(lt.out);
  } catch {
    throw new Error(`the load test failed: ${lt.err.trim().split('\n').slice(-3).join(' ')}`);
  }
  const most = Math.max(0, ...samples.map((x) => x.n));
  const full = samples.filter((x) => x.n === most);
  if (full.length === 0) throw new Error('no RSS sample while the sessions were up');
  return {joined: most, totalMB: median(full.map((x) => x.total)), mainMB: median(full.map((x) => x.main))};
}

/** Starts the server, measures, stops it. `sessions` users join for the per-session figure (0: start and idle only). */
export async function runStartBench({sessions = 100, seconds = 10} = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-bench-start-'));
  const port = await freePort();
  const password = `bench-${Math.random().toString(36).slice(2, 12)}`;
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'build', 'start.mjs')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      MM_CALLS_HTTP_HOST: '127.0.0.1',
      MM_CALLS_HTTP_PORT: String(port),
      MM_CALLS_DATA_DIR: dataDir,
      MM_CALLS_DEFAULT_ENABLED: 'true',
      MM_CALLS_UDP_SERVER_ADDRESS: '127.0.0.1',
      MM_CALLS_TCP_SERVER_ADDRESS: '127.0.0.1',
      MM_CALLS_UDP_SERVER_PORT: '0',
      MM_CALLS_TCP_SERVER_PORT: '0',
      MM_CALLS_ICE_SERVERS_CONFIGS: '[]',
      MM_CALLS_SEED_PASSWORD: password,
      MM_CALLS_LOG_LEVEL: 'warn',
      MM_CALLS_LOG_JSON: 'true',
    },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((r) => child.once('exit', r));
  let alive = true;
  void exited.then(() => (alive = false));
  try {
    let firstAnswerMs;
    let firstAnswerCpu;
    while (alive && performance.now() - started < 120_000) {
      if (await answers(`${url}${VERSION_PATH}`)) {
        firstAnswerMs = performance.now() - started;
        // The CPU it took: on a busy machine the wall time above is mostly waiting for a core.
        firstAnswerCpu = tree(child.pid).reduce((n, p) => n + cpuSeconds(p.pid), 0);
        break;
      }
      await sleep(25);
    }
    if (firstAnswerMs === undefined) throw new Error(`the server did not answer: ${output.slice(-500)}`);
    await sleep(SETTLE_MS);
    const idle = tree(child.pid);
    const main = idle.find((p) => p.role === 'server') ?? idle[0];
    const result = {
      firstAnswerMs,
      firstAnswerCpuSeconds: firstAnswerCpu,
      loadAverage: os.loadavg()[0],
      compiled: main === idle[0],
      idle: {
        mainMB: main.rss,
        workersMB: idle.filter((p) => p.role === 'worker').map((p) => p.rss),
        // A launcher node and esbuild's services, when the server runs through tsx.
        otherMB: sum(idle.filter((p) => p !== main && p.role !== 'worker')),
        totalMB: sum(idle),
      },
    };
    if (sessions > 0) {
      const warm = await holdSessions(child.pid, url, password, Math.max(2, Math.round(sessions / 4)), seconds);
      const full = await holdSessions(child.pid, url, password, sessions, seconds);
      const added = full.joined - warm.joined;
      result.sessions = {
        joined: full.joined,
        warmJoined: warm.joined,
        totalMB: full.totalMB,
        perSessionKB: added > 0 ? ((full.totalMB - warm.totalMB) * 1000) / added : NaN,
        mainPerSessionKB: added > 0 ? ((full.mainMB - warm.mainMB) * 1000) / added : NaN,
        overIdleKB: full.joined ? ((full.totalMB - result.idle.totalMB) * 1000) / full.joined : NaN,
      };
    }
    return result;
  } finally {
    if (alive) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(dataDir, {recursive: true, force: true});
  }
}

const sum = (procs) => procs.reduce((n, p) => n + p.rss, 0);
const fmt = (n, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', {minimumFractionDigits: d, maximumFractionDigits: d}) : '–';

export function printStart({result: r, error}) {
  console.log('\nStart and memory: the server as `npm start` runs it (node build/start.mjs, default media workers),');
  console.log('RSS from /proc VmRSS of its processes. Targets (issue 16): first answer ≤ 5 s, idle ≤ 100 MB,');
  console.log('≤ 250 KB per audio session.\n');
  if (error) {
    console.log(`  could not run: ${error}`);
    return;
  }
  const rows = [
    [
      'first HTTP answer',
      `${fmt(r.firstAnswerMs / 1000, 2)} s after the spawn (${r.compiled ? 'compiled' : 'tsx'}), ` +
        `${fmt(r.firstAnswerCpuSeconds, 2)} CPU s in its processes; load average ${fmt(r.loadAverage, 1)} on ${os.availableParallelism()} cores`,
    ],
    [
      'idle RSS',
      `main ${fmt(r.idle.mainMB)} MB` +
        (r.idle.workersMB.length ? `, media workers ${r.idle.workersMB.map((w) => fmt(w)).join(' + ')} MB` : '') +
        (r.idle.otherMB ? `, tsx launcher and esbuild ${fmt(r.idle.otherMB)} MB` : '') +
        `, total ${fmt(r.idle.totalMB)} MB`,
    ],
  ];
  if (r.sessions)
    rows.push([
      'RSS per audio session',
      `${fmt(r.sessions.perSessionKB)} KB over all processes (main alone ${fmt(r.sessions.mainPerSessionKB)} KB), ` +
        `from ${r.sessions.warmJoined} to ${r.sessions.joined} joined in one call (2 unmuted); ` +
        `total ${fmt(r.sessions.totalMB)} MB with all up, ${fmt(r.sessions.overIdleKB)} KB per session over idle`,
    ]);
  const w = Math.max(...rows.map((x) => x[0].length));
  for (const [what, figures] of rows) console.log(`  ${what.padEnd(w)}  ${figures}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sessions = Number(process.argv[2] ?? 100);
  runStartBench({sessions}).then(
    (result) => printStart({result}),
    (err) => {
      printStart({error: err.message});
      process.exit(1);
    },
  );
}
