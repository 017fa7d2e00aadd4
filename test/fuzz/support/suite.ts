// The fuzz suite's jest shape, shared by the single-node and the cluster runs: set up the world, run the
// fuzzers, then one test per promise (coverage, same pids, no 5xx/leak/hang/error log, a fresh login
// joins, the call still carries audio). Every failure message names the seed to replay.
import type {World} from '../../support/fixtures';
import type {NodeProcess} from '../../cluster/support/node';
import {
  alive,
  type FuzzEnv,
  type FuzzPlan,
  type FuzzResult,
  freshLoginAndJoin,
  loggedErrors,
  prepare,
  restoreConfig,
  runFuzz,
  stillHearEachOther,
  summary,
  workerPids,
} from './harness';
import {serverRoutes} from './routes';

export interface FuzzTopology {
  nodes: NodeProcess[];
  world: World;
  /** Where the legitimate call's media runs (alice joins here first). */
  callNode: NodeProcess;
  /** The node of bob (1) and carol (2). */
  userNode(i: number): NodeProcess;
  /** The node fuzz socket i (and the HTTP fuzz, i = 1) talks to. */
  fuzzNode(i: number): NodeProcess;
  /** The Calls bot's token, where the topology can read it: the HTTP fuzz then reaches the bot API's handlers. */
  botToken?: string;
  stop(): Promise<void>;
}

export function defineFuzzSuite(
  title: string,
  plan: FuzzPlan,
  start: () => Promise<FuzzTopology>,
  minimum: {frames: number; http: number},
): void {
  const seed = plan.seed;
  const replay = `replay with FUZZ_SEED=${seed}`;
  jest.setTimeout(plan.deadlineMs + 120_000);

  describe(`${title} (FUZZ_SEED=${seed})`, () => {
    let topo: FuzzTopology | undefined;
    let env: FuzzEnv;
    let result: FuzzResult | undefined;

    beforeAll(async () => {
      process.stdout.write(`fuzz seed ${seed} (${replay})\n`);
      const routes = await serverRoutes();
      topo = await start();
      env = await prepare(topo.nodes, topo.callNode, topo.world, routes, plan, topo.userNode);
      env.botToken = topo.botToken;
    }, 180_000);

    afterAll(async () => {
      if (result) process.stdout.write(`${summary(plan, result)}\n`);
      for (const u of env?.users ?? []) await u.close().catch(() => undefined);
      if (topo)
        process.stdout.write(`fuzz node logs:\n${topo.nodes.map((n) => `  ${n.name}: ${n.logFile}`).join('\n')}\n`);
      await topo?.stop();
    });

    it('sends the hostile traffic, half of the websocket frames from sockets in a call, and reaches the handlers', async () => {
      result = await runFuzz(env, plan, topo!.fuzzNode);
      const total = result.ws.inCallFrames + result.ws.otherFrames;
      expect({replay, frames: total >= minimum.frames, inCallHalf: result.ws.inCallFrames >= total / 2}).toEqual({
        replay,
        frames: true,
        inCallHalf: true,
      });
      expect({replay, http: result.http.requests >= minimum.http}).toEqual({replay, http: true});
      const missed = env.routes.map((r) => `${r.method} ${r.url}`).filter((k) => result!.http.byRoute.get(k) === 0);
      expect({replay, missed}).toEqual({replay, missed: []});
      // Each of these is answered only from behind the websocket: the frames reached the handlers and the SFU.
      const reached = [
        'app.calls.ws.invalid_sdp',
        'app.calls.ws.invalid_ice',
        'app.calls.ws.invalid_react',
        'app.calls.ws.invalid_screen_on',
        'app.calls.ws.invalid_video_on',
        'app.calls.ws.invalid_metric',
        'app.calls.ws.invalid_join',
        'app.calls.ws.invalid_reconnect',
        'app.rtc.invalid_sdp',
      ];
      expect({replay, missing: reached.filter((id) => result!.ws.errorIds.get(id) === 0)}).toEqual({
        replay,
        missing: [],
      });
    });

    it('keeps every node process and its media workers (same pids)', () => {
      for (const n of topo!.nodes) {
        expect({replay, node: n.name, alive: alive(n)}).toEqual({replay, node: n.name, alive: true});
        expect({replay, node: n.name, pids: [n.child.pid, ...workerPids(n)]}).toEqual({
          replay,
          node: n.name,
          pids: env.pids.get(n),
        });
      }
    });

    it('never answered 5xx, never leaked internals, never hung, and logged no error', () => {
      for (const n of topo!.nodes)
        for (const line of loggedErrors(n)) result?.findings.add(`log ${n.name}`, line.slice(0, 600));
      expect(result?.findings.list.length ? result.findings.describe(seed) : 'no findings').toBe('no findings');
    });

    it('still lets a fresh login join a call on every node', async () => {
      await restoreConfig(env);
      for (const n of topo!.nodes) await freshLoginAndJoin(n, env.world);
    });

    it('still carries the legitimate call: alice and bob hear each other', async () => {
      await stillHearEachOther(env);
    });
  });
}
