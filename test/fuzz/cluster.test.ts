// The fuzz suite against two nodes in clustered mode on PostgreSQL: alice's call is pinned to node 1,
// bob and the fuzz sockets are on node 2, so every calls action of a fuzz socket in that call (sdp, ice,
// mute, screen_on…) crosses the bus to node 1's SFU and every event comes back over it. Node 1 runs its SFU
// in the server process (MM_CALLS_RTC_WORKERS=1), where a hang or crash would take the whole node. A
// smaller run than the single node's (the same generators); FUZZ_SEED / FUZZ_SCALE as there.
import {clusterRun} from '../cluster/support/cluster';
import {defaultPlan} from './support/harness';
import {fuzzScale, fuzzSeed} from './support/rng';
import {defineFuzzSuite} from './support/suite';

const scale = fuzzScale();
const plan = {...defaultPlan(fuzzSeed(), scale * 0.4), inCallSockets: 12, churnLoops: 3};
const run = clusterRun(['fzc1', 'fzc2']);
// After the suite's own afterAll: also stops the nodes of a start that failed or timed out partway.
afterAll(() => run.stop());
defineFuzzSuite(
  'fuzz: two clustered nodes on PostgreSQL',
  plan,
  async () => {
    const c = await run.start({
      // Every worker runs from the start (no on-demand start or idle stop), so a changed pid means a crash.
      env: (name) => ({
        MM_CALLS_MAX_CALL_PARTICIPANTS: '0',
        MM_CALLS_RTC_WORKERS: name === 'fzc1' ? '1' : '2',
        MM_CALLS_RTC_WORKER_IDLE_SECONDS: 'off',
      }),
    });
    const [n1, n2] = c.nodes;
    return {
      nodes: c.nodes,
      world: c.world,
      callNode: n1,
      // Bob and carol (whose peer's calls-dc and signaling are fuzzed) on node 2: their signaling is relayed.
      userNode: () => n2,
      // Two thirds of the fuzz sockets and the HTTP fuzz on node 2 (relayed to node 1's SFU), a third on node 1.
      fuzzNode: (i) => (i % 3 === 2 ? n1 : n2),
      stop: () => c.stop(),
    };
  },
  {frames: plan.inCallFrames + plan.otherFrames, http: plan.httpRequests},
);
