// The fuzz suite against one node as `npm start` runs it (SQLite, two media workers): a legitimate call,
// then ≥ 10,000 hostile websocket frames (half from sockets in a call), ≥ 2,000 hostile HTTP requests on
// every route, hostile calls-dc messages and stray datagrams. Asserted: same process and worker pids, no
// 5xx, no leaked internals, a fresh login still joins, and the call still carries audio both ways.
// FUZZ_SEED=<n> replays a run, FUZZ_SCALE=<x> multiplies every count.
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
    const node = await startNode({
      name: 'fuzz',
      env: {MM_CALLS_RTC_WORKERS: '2', MM_CALLS_ENABLE_DC_SIGNALING: 'true', MM_CALLS_MAX_CALL_PARTICIPANTS: '0'},
    });
    try {
      const world = await seededWorld({url: node.url} as TestServer);
      return {
        nodes: [node],
        world,
        callNode: node,
        userNode: () => node,
        fuzzNode: () => node,
        stop: async () => void (await node.stop()),
      };
    } catch (err) {
      await node.stop();
      throw err;
    }
  },
  {frames: Math.round(10_000 * scale), http: Math.round(2000 * scale)},
);
