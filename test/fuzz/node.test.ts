// The fuzz suite against one node as `npm start` runs it (SQLite, two media workers): a legitimate call,
// then ≥ 10,000 hostile websocket frames (half from sockets in a call), ≥ 2,000 hostile HTTP requests on
// every route, hostile calls-dc messages and stray datagrams. Asserted: same process and worker pids, no
// 5xx, no leaked internals, a fresh login still joins, and the call still carries audio both ways.
// FUZZ_SEED=<n> replays a run, FUZZ_SCALE=<x> multiplies every count.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {seededWorld} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {startNode} from '../cluster/support/node';
import {defaultPlan} from './support/harness';
import {fuzzScale, fuzzSeed} from './support/rng';
import {defineFuzzSuite} from './support/suite';

const scale = fuzzScale();
defineFuzzSuite(
  'fuzz: one node, SQLite, two media workers',
  defaultPlan(fuzzSeed(), scale),
  async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-fuzz-'));
    const node = await startNode({
      name: 'fuzz',
      dataDir,
      // Every worker runs from the start (no on-demand start or idle stop), so a changed pid means a crash.
      env: {
        MM_CALLS_RTC_WORKERS: '2',
        MM_CALLS_RTC_WORKER_IDLE_SECONDS: 'off',
        MM_CALLS_ENABLE_DC_SIGNALING: 'true',
        MM_CALLS_MAX_CALL_PARTICIPANTS: '0',
      },
    });
    try {
      const world = await seededWorld({url: node.url} as TestServer);
      return {
        nodes: [node],
        world,
        callNode: node,
        userNode: () => node,
        fuzzNode: () => node,
        botToken: readBotToken(dataDir),
        stop: async () => {
          await node.stop();
          fs.rmSync(dataDir, {recursive: true, force: true});
        },
      };
    } catch (err) {
      await node.stop();
      fs.rmSync(dataDir, {recursive: true, force: true});
      throw err;
    }
  },
  {frames: Math.round(10_000 * scale), http: Math.round(2000 * scale)},
);

/** The Calls bot's token, which the server creates at start, read from the node's SQLite store. */
function readBotToken(dataDir: string): string {
  const db = new BetterSqlite3(path.join(dataDir, 'calls.db'), {readonly: true});
  try {
    const row = db
      .prepare(
        "SELECT t.token FROM standalone_tokens t JOIN standalone_users u ON u.id = t.user_id WHERE u.username = 'calls'",
      )
      .get() as {token: string} | undefined;
    if (!row) throw new Error('the Calls bot has no token');
    return row.token;
  } finally {
    db.close();
  }
}
