// The bench's start and memory rows (`npm run bench -- --only start [--sessions N] [--repeat K]`): the server started
// as `npm start` runs it (node build/start.mjs, media workers as configured by default), the time from the spawn to its
// first HTTP answer, its idle RSS (main process and media workers, /proc VmRSS, after the start has settled), then the
// RSS each audio session adds: on that fresh server N users join one call in one batch (2 unmuted, the rest lean
// receivers of the load-test tool) and media flows for some seconds; per session = (median RSS while all N were up −
// RSS before them) / N, for the whole tree and per process, so nothing freed by an earlier batch is reused. Media
// workers start with the first call, so "before them" is the idle processes plus the worker a 2-user call started
// (printed beside idle). Beside RSS, each
// process's process.memoryUsage() and V8 heap spaces (read through its inspector on a loopback port), and the file
// pages of its RSS, at idle and with the N up show where the memory lives; once the N have been up a few seconds,
// a full GC in each process gives its live heap (the RSS figures come from the samples before it). With --repeat
// the whole run (fresh server) repeats and the median and range are printed. Printed, never asserted.
// Analysis: `BENCH_HEAP_SNAPSHOTS=DIR node build/bench-start.mjs N` writes heap snapshots of every process at idle
// and with the N up; BENCH_TRIM_PROBE=1 prints how much RSS malloc_trim(0) gives back with the N up.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import WebSocket from 'ws';

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

/** VmRSS split (MB): anonymous memory, file-backed pages (code, mapped files), shared memory. */
function rssParts(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => (Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024) / 1e6;
    return {anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem')};
  } catch {
    return undefined;
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
    ...['--calls', '1', '--users', String(users), '--unmuted', '2', '--duration', String(seconds), '--lean'],
    ...['--json', '--quiet'],
  ];
  return runNode(args);
}

/** Runs `node <args>` in the repository, collecting its output; resolves when it exits, with how long it took. */
export function runNode(args) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {cwd: root, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      resolve({code, out, err, secs: ((Date.now() - started) / 1000).toFixed(0)});
    });
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

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** A tiny client of one process's V8 inspector: evaluates expressions, writes heap snapshots. */
class Inspector {
  #ws;
  #id = 0;
  #pending = new Map();
  #chunks;

  static async connect(port) {
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    const ws = new WebSocket(targets[0].webSocketDebuggerUrl, {maxPayload: 1 << 30});
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const inspector = new Inspector(ws);
    inspector.pid = await inspector.evaluate('process.pid');
    return inspector;
  }

  constructor(ws) {
    this.#ws = ws;
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.id !== undefined) {
        this.#pending.get(msg.id)?.(msg.result);
        this.#pending.delete(msg.id);
      } else if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') this.#chunks?.write(msg.params.chunk);
    });
  }

  send(method, params = {}) {
    const id = ++this.#id;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#ws.send(JSON.stringify({id, method, params}));
    });
  }

  async evaluate(expression) {
    const r = await this.send('Runtime.evaluate', {expression: `JSON.stringify(${expression})`, returnByValue: true});
    return JSON.parse(r.result.value);
  }

  /** process.memoryUsage() in MB. */
  async memory() {
    const m = await this.evaluate(
      "Object.assign(process.memoryUsage(), Object.fromEntries(process.getBuiltinModule('v8').getHeapSpaceStatistics()" +
        '.map((s) => [s.space_name, s.space_size])))',
    );
    return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v / 1e6]));
  }

  async snapshot(file) {
    this.#chunks = fs.createWriteStream(file);
    await this.send('HeapProfiler.enable');
    await this.send('HeapProfiler.takeHeapSnapshot', {reportProgress: false});
    await new Promise((resolve, reject) => this.#chunks.end((err) => (err ? reject(err) : resolve())));
    this.#chunks = undefined;
  }

  close() {
    this.#ws.close();
  }
}

/** The inspectors of the server's processes (each prints its loopback port on stderr), by pid. */
async function inspectors(output, pids) {
  const ports = [...output.matchAll(/Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//g)].map((m) => Number(m[1]));
  const byPid = new Map();
  for (const port of new Set(ports)) {
    try {
      const i = await Inspector.connect(port);
      if (pids.includes(i.pid)) byPid.set(i.pid, i);
      else i.close();
    } catch {
      // A process that is gone.
    }
  }
  return byPid;
}

/** RSS and memoryUsage() of every process of the tree, MB. */
async function memoryOf(pid, insp) {
  const procs = tree(pid);
  for (const p of procs) {
    const mem = await insp.get(p.pid)?.memory();
    const parts = rssParts(p.pid);
    if (mem || parts) p.mem = {...mem, ...(parts && {rssAnon: parts.anon, rssFile: parts.file, rssShmem: parts.shmem})};
  }
  return procs;
}

/** Each process's memoryUsage() right after a full GC (its live heap), MB, by pid. */
async function liveMemory(insp) {
  const out = new Map();
  for (const [pid, i] of insp) {
    await i.send('HeapProfiler.enable');
    await i.send('HeapProfiler.collectGarbage');
    out.set(pid, await i.memory());
  }
  return out;
}

/**
 * `users` join one call for `seconds` through the load-test tool. The server's RSS is sampled with its session gauge:
 * the figures (RSS and each process's memoryUsage()) are the medians of the samples taken while every session was up
 * (steady, not the joins' transient peak).
 */
async function holdSessions(pid, url, password, users, seconds, insp, snapshotDir) {
  const samples = [];
  let sampling = true;
  // Once the sessions have been up a few seconds: each process's live heap after a full GC, then (analysis runs) the
  // trim probe and heap snapshots. They disturb the RSS, so only the samples before them make the RSS figures.
  let live;
  const sampler = (async () => {
    while (sampling) {
      const n = await activeSessions(url);
      const t = await memoryOf(pid, insp);
      if (n !== undefined) samples.push({n, procs: t, disturbed: live !== undefined});
      const steady = samples.slice(-6);
      if (live || steady.length < 6 || !steady.every((x) => x.n === n && n >= users * 0.9)) {
        await sleep(500);
        continue;
      }
      live = await liveMemory(insp);
      // BENCH_TRIM_PROBE (analysis): how much of each process's RSS is freed C heap malloc keeps (malloc_trim(0)).
      if (process.env.BENCH_TRIM_PROBE) {
        for (const p of t) {
          const i = insp.get(p.pid);
          if (!i) continue;
          const before = rssMB(p.pid);
          await i.evaluate(
            `process.getBuiltinModule('module').createRequire('/')(${JSON.stringify(path.join(root, 'server/native/build/Release/calls_rtc_native.node'))}).trimHeap()`,
          );
          process.stderr.write(
            `trim probe: ${p.role} ${p.pid} RSS ${before.toFixed(1)} → ${rssMB(p.pid).toFixed(1)} MB\n`,
          );
        }
      }
      if (snapshotDir) for (const [p, i] of insp) await i.snapshot(path.join(snapshotDir, `${p}-${n}.heapsnapshot`));
    }
  })();
  const lt = await runLt(url, password, users, seconds);
  sampling = false;
  await sampler;
  let report;
  try {
    report = JSON.parse(lt.out);
  } catch {
    throw new Error(`the load test failed: ${lt.err.trim().split('\n').slice(-3).join(' ')}`);
  }
  const most = Math.max(0, ...samples.map((x) => x.n));
  const upAll = samples.filter((x) => x.n === most);
  const undisturbed = upAll.filter((x) => !x.disturbed);
  const full = undisturbed.length >= 3 ? undisturbed : upAll;
  if (full.length === 0) throw new Error('no RSS sample while the sessions were up');
  const of = (pidOf, get) => median(full.map((x) => get(x.procs.find((p) => p.pid === pidOf)) ?? NaN));
  const procs = full[0].procs.map((p) => {
    const mem = {};
    if (p.mem) for (const k of Object.keys(p.mem)) mem[k] = of(p.pid, (q) => q?.mem?.[k]);
    return {pid: p.pid, role: p.role, rss: of(p.pid, (q) => q?.rss), mem: p.mem ? mem : undefined};
  });
  for (const p of procs) p.live = live?.get(p.pid);
  return {joined: most, procs, delivery: report.delivery?.loss, join: report.join};
}

/**
 * The node flags `npm start` gives the server (package.json's start script, `node FLAGS build/start.mjs`), so the
 * bench runs what users run; BENCH_MAIN_NODE_ARGS replaces them for a comparison.
 */
function startNodeArgs() {
  if (process.env.BENCH_MAIN_NODE_ARGS !== undefined)
    return process.env.BENCH_MAIN_NODE_ARGS.split(/\s+/).filter(Boolean);
  const script = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.start;
  const words = script.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('build/start.mjs'));
}

/**
 * Starts the server, measures, stops it. `sessions` users join for the per-session figure (0: start and idle only).
 * `snapshotDir`: heap snapshots of every process at idle and with the sessions up (slow; inflates later figures).
 */
export async function runStartBench({sessions = 100, seconds = 15, snapshotDir} = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-bench-start-'));
  const port = await freePort();
  const password = `bench-${Math.random().toString(36).slice(2, 12)}`;
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const inspect = '--inspect=127.0.0.1:0';
  const child = spawn(process.execPath, [inspect, ...startNodeArgs(), path.join(root, 'build', 'start.mjs')], {
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
      MM_CALLS_RTC_WORKER_NODE_ARGS: `${process.env.MM_CALLS_RTC_WORKER_NODE_ARGS ?? ''} ${inspect}`.trim(),
    },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((r) => child.once('exit', r));
  let alive = true;
  void exited.then(() => (alive = false));
  let insp = new Map();
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
    insp = await inspectors(
      output,
      tree(child.pid).map((p) => p.pid),
    );
    const idle = await memoryOf(child.pid, insp);
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
        procs: idle,
      },
    };
    let idleLive = await liveMemory(insp);
    if (snapshotDir) for (const [p, i] of insp) await i.snapshot(path.join(snapshotDir, `${p}-0.heapsnapshot`));
    // Media workers start with the first call that needs one (MM_CALLS_RTC_WORKER_IDLE_SECONDS), so an idle server is
    // one process. A short call first: the per-session figure is then what sessions add to a server whose worker runs
    // (measured after it), not the worker's own start.
    let base = idle;
    if (sessions > 0 && !idle.some((p) => p.role === 'worker')) {
      const warm = await runLt(url, password, 2, 2);
      if (warm.code !== 0) throw new Error(`the first call failed: ${warm.err.trim().split('\n').slice(-3).join(' ')}`);
      await sleep(SETTLE_MS);
      // Only the started worker is measured anew: the processes that were up at idle keep their idle figures (what
      // the short call and the inspector's GCs left in them would otherwise be counted against the sessions).
      const before = new Set(idle.map((p) => p.pid));
      const started = tree(child.pid).filter((p) => !before.has(p.pid));
      const fresh = await inspectors(
        output,
        started.map((p) => p.pid),
      );
      for (const [pid, i] of fresh) insp.set(pid, i);
      const workers = (await memoryOf(child.pid, insp)).filter((p) => !before.has(p.pid));
      base = [...idle, ...workers];
      idleLive = new Map([...idleLive, ...(await liveMemory(fresh))]);
      result.afterCall = {
        workersMB: workers.filter((p) => p.role === 'worker').map((p) => p.rss),
        totalMB: sum(base),
      };
    }
    if (sessions > 0) {
      const full = await holdSessions(child.pid, url, password, sessions, seconds, insp, snapshotDir);
      const n = full.joined;
      const per = (a, b) => (n > 0 && a !== undefined && b !== undefined ? ((a - b) * 1000) / n : NaN);
      // Per process: what N sessions added, KB per session (RSS, and the V8 figures where the inspector answered).
      const procs = full.procs.map((p) => {
        const before = base.find((q) => q.pid === p.pid);
        const kb = {rss: per(p.rss, before?.rss ?? 0)};
        for (const k of ['heapTotal', 'heapUsed', 'external', 'arrayBuffers', 'rssFile', 'rssShmem', 'new_space'])
          kb[k] = per(p.mem?.[k], before?.mem?.[k]);
        // The live heap (after a full GC) each session adds: what sessions hold, apart from when V8 collects.
        const l0 = idleLive.get(p.pid);
        kb.liveRss = per(p.live?.rss, l0?.rss);
        kb.liveHeap = per(p.live?.heapUsed, l0?.heapUsed);
        kb.liveExternal = per(p.live?.external, l0?.external);
        return {pid: p.pid, role: p.role, rssMB: p.rss, mem: p.mem, live: p.live, perSessionKB: kb};
      });
      // The process that holds the sessions: the one that grew the most.
      const holder = [...procs].sort((a, b) => b.perSessionKB.rss - a.perSessionKB.rss)[0];
      result.sessions = {
        joined: n,
        totalMB: sum(full.procs),
        perSessionKB: per(sum(full.procs), sum(base)),
        mainPerSessionKB: procs.find((p) => p.role === main.role)?.perSessionKB.rss ?? NaN,
        holder: {pid: holder.pid, role: holder.role},
        procs,
        loss: full.delivery,
        joinFailed: full.join?.failed ?? 0,
      };
    }
    return result;
  } finally {
    for (const i of insp.values()) i.close();
    if (alive) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(dataDir, {recursive: true, force: true});
  }
}

const sum = (procs) => procs.reduce((n, p) => n + p.rss, 0);
/** A number for the bench's tables: grouped, `d` decimals, '–' when there is none. */
export const fmt = (n, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', {minimumFractionDigits: d, maximumFractionDigits: d}) : '–';

const range = (xs, d = 0) =>
  xs.length > 1 ? `${fmt(median(xs), d)} [${fmt(Math.min(...xs), d)}–${fmt(Math.max(...xs), d)}]` : fmt(xs[0], d);

/** `runs`: one result per fresh server (--repeat); medians with their ranges, the breakdown of the median run. */
export function printStart({runs = [], error}) {
  console.log('\nStart and memory: the server as `npm start` runs it (node build/start.mjs, default media workers),');
  console.log('RSS from /proc VmRSS of its processes. Targets (issue 16): first answer ≤ 5 s, idle ≤ 100 MB,');
  console.log(
    `≤ 250 KB per audio session.${runs.length > 1 ? ` Median [range] of ${runs.length} fresh servers.` : ''}\n`,
  );
  if (error) console.log(`  could not run: ${error}`);
  if (runs.length === 0) return;
  const r0 = runs[0];
  const rows = [
    [
      'first HTTP answer',
      `${range(
        runs.map((r) => r.firstAnswerMs / 1000),
        2,
      )} s after the spawn (${r0.compiled ? 'compiled' : 'tsx'}), ` +
        `${range(
          runs.map((r) => r.firstAnswerCpuSeconds),
          2,
        )} CPU s in its processes; load average ${range(
          runs.map((r) => r.loadAverage),
          1,
        )} on ${os.availableParallelism()} cores`,
    ],
    [
      'idle RSS',
      `main ${range(runs.map((r) => r.idle.mainMB))} MB` +
        (r0.idle.workersMB.length
          ? `, media workers ${r0.idle.workersMB.map((_, k) => range(runs.map((r) => r.idle.workersMB[k] ?? NaN))).join(' + ')} MB`
          : '') +
        (r0.idle.otherMB ? `, tsx launcher and esbuild ${range(runs.map((r) => r.idle.otherMB))} MB` : '') +
        `, total ${range(runs.map((r) => r.idle.totalMB))} MB`,
    ],
  ];
  const afterCall = runs.filter((r) => r.afterCall);
  if (afterCall.length)
    rows.push([
      'after a first call',
      `media workers started on demand: ${afterCall[0].afterCall.workersMB
        .map((_, k) => range(afterCall.map((r) => r.afterCall.workersMB[k] ?? NaN)))
        .join(
          ' + ',
        )} MB, total ${range(afterCall.map((r) => r.afterCall.totalMB))} MB (the base of the per-session figure)`,
    ]);
  const withSessions = runs.filter((r) => r.sessions);
  if (withSessions.length) {
    const s0 = withSessions[0].sessions;
    rows.push([
      'RSS per audio session',
      `${range(withSessions.map((r) => r.sessions.perSessionKB))} KB over all processes ` +
        `(the ${s0.holder.role} holding the call ${range(
          withSessions.map((r) => r.sessions.procs.find((p) => p.pid === r.sessions.holder.pid).perSessionKB.rss),
        )} KB, ` +
        `main ${range(withSessions.map((r) => r.sessions.mainPerSessionKB))} KB): (RSS with ${s0.joined} joined − ${afterCall.length ? 'after a first call' : 'idle'}) / ${s0.joined}, ` +
        `one call (2 unmuted, lean receivers; ${s0.joinFailed} of the joins failed), total ${range(withSessions.map((r) => r.sessions.totalMB))} MB with all up`,
    ]);
  }
  const w = Math.max(...rows.map((x) => x[0].length));
  for (const [what, figures] of rows) console.log(`  ${what.padEnd(w)}  ${figures}`);
  if (!withSessions.length) return;
  // Where it lives, in the median run: per process, KB per session of each figure.
  const mid = [...withSessions].sort((a, b) => a.sessions.perSessionKB - b.sessions.perSessionKB)[
    Math.floor((withSessions.length - 1) / 2)
  ].sessions;
  console.log(
    `\n  KB per session by process (run of the median; V8 figures from process.memoryUsage(), no GC forced;` +
      `\n  "of it file" = file-backed and shared pages; "rest" = RSS − V8 heap − external: native code and allocations
  outside V8's accounting (OpenSSL, libuv, the addon), freed C heap malloc keeps; "live" = heap used and external
  (and RSS) after a full GC, taken once the sessions were up 3 s, after the RSS samples that make the other columns):`,
  );
  const head = [
    'process',
    'RSS',
    'of it file',
    'V8 heap total',
    'of it new space',
    'heap used',
    'external',
    'of it arrayBuffers',
    'rest',
    'RSS after GC',
    'live heap',
    'live external',
  ];
  const lines = mid.procs.map((p) => {
    const k = p.perSessionKB;
    return [
      `${p.role} ${p.pid}${p.pid === mid.holder.pid ? ' (the call)' : ''}`,
      fmt(k.rss),
      fmt(k.rssFile + k.rssShmem),
      fmt(k.heapTotal),
      fmt(k.new_space),
      fmt(k.heapUsed),
      fmt(k.external),
      fmt(k.arrayBuffers),
      fmt(k.rss - k.heapTotal - k.external),
      fmt(k.liveRss),
      fmt(k.liveHeap),
      fmt(k.liveExternal),
    ];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  for (const l of [head, ...lines])
    console.log('    ' + l.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  '));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sessions = Number(process.argv[2] ?? 100);
  runStartBench({sessions, snapshotDir: process.env.BENCH_HEAP_SNAPSHOTS}).then(
    (result) => {
      printStart({runs: [result]});
      if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(result, null, 2));
    },
    (err) => {
      printStart({error: err.message});
      process.exit(1);
    },
  );
}
