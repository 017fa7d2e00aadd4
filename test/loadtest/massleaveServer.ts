// The server side of the mass-leave bench (massleave.ts): a real server node (HTTP, websockets, the calls
// service, the store) whose media layer is the recording double, so the bench can fail hundreds of media
// sessions in one go, as ICE consent expiring in one timers phase does, and time what the removal costs.
// Driven over the IPC channel; prints nothing itself.
import {startPostgres, type PgServer, PG_URL_ENV} from '../support/postgres';
import {startTestServer, type TestServer} from '../support/server';
import './exitWithParent';

type Msg = {type: 'fail'; sessionIDs: string[]; channelID: string; remaining: number} | {type: 'stop'};

const engine = process.argv[2] === 'postgres' ? 'postgres' : 'sqlite';
let pg: PgServer | null = null;
let srv: TestServer;

async function main(): Promise<void> {
  if (engine === 'postgres' && !process.env[PG_URL_ENV]) {
    pg = await startPostgres();
    process.env[PG_URL_ENV] = pg.url;
  }
  // Every client connects from 127.0.0.1: the per-address caps must let 802 in.
  const perAddress = '5000';
  srv = await startTestServer({
    engine,
    env: {
      MM_CALLS_DEFAULT_ENABLED: 'true',
      MM_CALLS_HTTP_MAX_CONNECTIONS: perAddress,
      MM_CALLS_HTTP_MAX_CONNECTIONS_PER_IP: perAddress,
      MM_CALLS_WS_MAX_CONNECTIONS_PER_IP: perAddress,
    },
  });
  process.on('message', (m: Msg) => void handle(m));
  process.send!({type: 'ready', url: srv.url});
}

async function handle(m: Msg): Promise<void> {
  if (m.type === 'stop') {
    await srv.stop();
    await pg?.stop();
    process.exit(0);
  }
  const rtc = srv.rtc!;
  const call = await srv.app.store.calls.getActiveCallByChannel(m.channelID);
  if (!call) throw new Error('no active call');
  // The longest gap between two turns of a 5 ms interval: how long nothing else could run.
  let maxGap = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 5);
  const t0 = performance.now();
  // Every failure in one synchronous loop: the SFU's consent checks of a whole batch of peers expire in one phase.
  for (const id of m.sessionIDs) rtc.raiseFailure(id);
  let sessions = Infinity;
  // A removal that failed (the lock timed out) leaves its row: give up after two minutes and say how many stayed.
  while (sessions > m.remaining && performance.now() - t0 < 120_000) {
    await new Promise((r) => setTimeout(r, 10));
    sessions = (await srv.app.store.calls.getSessions(call.id)).length;
  }
  const removedMs = performance.now() - t0;
  await srv.app.hub.flush();
  const flushedMs = performance.now() - t0;
  clearInterval(tick);
  process.send!({
    type: 'done',
    removedMs,
    flushedMs,
    maxGapMs: maxGap,
    left: sessions - m.remaining,
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
