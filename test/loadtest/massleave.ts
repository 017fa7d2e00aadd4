// The mass-leave bench: N sessions of one call fail together (their media closes in one synchronous loop, as
// ICE consent expiring for a batch of peers does) while two stay, and prints how long the server took to remove
// them, the longest its event loop was held, and when the two remaining clients had every user_left.
// A benchmark, not a test: it prints numbers and never fails on them.
//
//   npx tsx test/loadtest/massleave.ts                      N = 200, 400, 800 on SQLite
//   npx tsx test/loadtest/massleave.ts --n 400 --engine postgres
//   npx tsx test/loadtest/massleave.ts --n 800 --profile /tmp/ml   a CPU profile of the server into that directory
import {spawn} from 'node:child_process';
import path from 'node:path';
import {parseArgs} from 'node:util';
import {CALLS, CallsSocket, type ServerEvent} from '../support/calls-socket';
import {pool, setupWorld} from './setup';

const {values} = parseArgs({
  options: {
    n: {type: 'string', default: '200,400,800'},
    engine: {type: 'string', default: 'sqlite'},
    profile: {type: 'string'},
  },
});
const sizes = values.n!.split(',').map(Number);
const REMAINING = 2;

interface Done {
  removedMs: number;
  flushedMs: number;
  maxGapMs: number;
  /** Sessions still in the store when the server gave up waiting (their removal failed). */
  left: number;
}

async function main(): Promise<void> {
  const flags = values.profile ? ['--cpu-prof', '--cpu-prof-dir', values.profile] : [];
  const child = spawn(
    process.execPath,
    [...flags, '--import', 'tsx', path.join(__dirname, 'massleaveServer.ts'), values.engine!],
    {stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: {TEST_LOG: 'warn', ...process.env}},
  );
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMsg = (m: {type: string}) => {
        if (m.type !== type) return;
        child.off('message', onMsg);
        resolve(m as T);
      };
      child.on('message', onMsg);
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
  const {url} = await next<{url: string}>('ready');
  const max = Math.max(...sizes) + REMAINING;
  const t = Date.now();
  const world = await setupWorld(url, {username: 'admin', password: 'admin'}, 1, max);
  const {channelID, users} = world.calls[0];
  console.log(`engine ${values.engine}: ${max} users in one channel in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  console.log(
    'N     removed(ms)  delivered by server(ms)  longest loop hold(ms)  at clients(ms)  user_left per client',
  );
  for (const n of sizes) {
    const clients = users.slice(0, n + REMAINING).map((u) => new CallsSocket(url, u.token));
    // A connect refused under load (a reset while the server is busy) is tried again.
    await pool(clients, 16, (c) => c.connect().catch(() => c.connect()));
    // One at a time, as a call fills: the first joiner is the host, and it is among those that fail.
    for (const c of clients) await c.join(channelID);
    const failing = clients.slice(0, n);
    const staying = clients.slice(n);
    const counts = staying.map(() => 0);
    let lastAt = 0;
    staying.forEach((c, i) =>
      c.on('event', (e: ServerEvent) => {
        if (e.event !== CALLS + 'user_left') return;
        counts[i]++;
        lastAt = performance.now();
      }),
    );
    const t0 = performance.now();
    child.send({type: 'fail', sessionIDs: failing.map((c) => c.originalConnID), channelID, remaining: REMAINING});
    const done = await next<Done>('done');
    while (counts.some((k) => k < n) && performance.now() - t0 < done.flushedMs + 30_000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const f = (x: number) => x.toFixed(0).padStart(6);
    console.log(
      `${String(n).padEnd(5)} ${f(done.removedMs)}       ${f(done.flushedMs)}                   ${f(done.maxGapMs)}` +
        `                 ${f(lastAt - t0)}          ` +
        counts.join('/') +
        (done.left ? `  (${done.left} sessions never removed)` : ''),
    );
    // The rest leave; the call ends before the next size.
    for (const c of staying) c.send('leave');
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all(clients.map((c) => c.close()));
  }
  child.send({type: 'stop'});
  await new Promise((r) => child.once('exit', r));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
