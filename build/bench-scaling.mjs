// The bench's worker scaling (`npm run bench -- --only workers [--repeat 3]`): the most calls (8 users, 2
// unmuted) the server forwards at ≤ 1 % loss with one core's worth of CPU in one process, and with two cores'
// worth spread over two media workers (one RTC port either way). The load clients need this machine's cores
// too, so a "core" is a CPU budget (a cgroup quota, lt --cpu-limit, applied once everyone has joined; needs
// root): WORKER_BUDGET cores per worker, the clients get the rest. Listeners are lean receivers (lt --lean:
// real ICE/DTLS/SRTP peers that count and verify a sample), so the clients can offer more than twice what
// one process carries; before, full clients ran out at ≈ 41 calls and the ratio was one of two bounds.
// Each repetition is one search for each side; the ratio is printed per repetition, then median and range.
import {fmt} from './bench-start.mjs';

/**
 * Cores per worker. With a quarter core one process already carried 36–46 calls (lean listeners batch well under
 * a quota: 8–10 µs/packet), so two workers would need 65–83 calls, more than the clients here can offer beside
 * them; an eighth keeps both sides of the ratio below the clients' limit.
 */
const WORKER_BUDGET = 0.125;
const SCALING_LOSS = 0.01;
const SCALING_TARGET = 1.8;
/** The search's ceiling: ≈ 50k offered out pps; the clients beside the server run out of the machine not far above. */
const SCALING_MAX_CALLS = 72;
/** Runs per search: steps up until one fails, then one run halfway between the last pass and the failure. */
const SCALING_RUNS = 6;

const loadOf = (calls) => ({name: `${calls}x8x2`, calls, users: 8, unmuted: 2, screen: 0});
const passes = (r) => r.result && r.result.join.failed === 0 && r.result.delivery.loss <= SCALING_LOSS;

/**
 * Steps the load up from `start` by `step` until a run loses more than SCALING_LOSS (or down until one
 * passes), then tries once halfway between the best pass and the first failure.
 */
async function capacity(runLt, workers, start, step, tag) {
  const budget = WORKER_BUDGET * workers;
  const args = ['--workers', String(workers), '--cpu-limit', String(budget), '--lean'];
  const label = (calls) =>
    `scaling${tag}: ${calls}x8x2, ${workers === 1 ? 'one process' : `${workers} workers`}, ${budget} cores`;
  const runs = [];
  let best;
  let failedAt;
  let calls = Math.min(start, SCALING_MAX_CALLS);
  const run = async (n) => {
    const r = await runLt(loadOf(n), args, label(n));
    runs.push(r);
    return r;
  };
  while (runs.length < SCALING_RUNS - 1 && calls >= 1 && calls <= SCALING_MAX_CALLS) {
    const r = await run(calls);
    if (r.error && /cgroup|--cpu-limit/.test(r.error)) return {workers, budget, best, runs, capped: false};
    if (passes(r)) {
      best = r;
      if (failedAt !== undefined) break;
      calls += step;
    } else {
      failedAt = calls;
      if (best) break;
      calls -= step;
    }
  }
  const bestCalls = best?.scenario.calls;
  if (bestCalls !== undefined && failedAt !== undefined && failedAt - bestCalls > 1) {
    const mid = Math.round((bestCalls + failedAt) / 2);
    const r = await run(mid);
    if (passes(r)) best = r;
  }
  const capped = bestCalls !== undefined && failedAt === undefined;
  return {workers, budget, best, runs, capped};
}

/** `repeat` searches for each side, interleaved; the next search starts where the last one ended. */
export async function workerScaling(runLt, repeat) {
  const reps = [];
  let oneStart = 16;
  for (let k = 0; k < repeat; k++) {
    const tag = repeat > 1 ? ` #${k + 1}` : '';
    const one = await capacity(runLt, 1, oneStart, 3, tag);
    if (!one.best) {
      reps.push({one});
      break;
    }
    oneStart = one.best.scenario.calls;
    const two = await capacity(runLt, 2, Math.ceil(one.best.scenario.calls * SCALING_TARGET), 4, tag);
    const ratio = two.best ? two.best.result.server.outPps / one.best.result.server.outPps : undefined;
    reps.push({one, two, ratio});
  }
  return reps;
}

const runsText = (c) =>
  c.runs
    .map(
      (x) =>
        `${x.scenario.calls}: ${x.result ? `${(x.result.delivery.loss * 100).toFixed(1)} %${x.result.join.failed ? ` (${x.result.join.failed} joins failed)` : ''}` : 'error'}`,
    )
    .join(', ');

export function printScaling(reps) {
  console.log(
    `\nWorker scaling: the most calls (8 users, 2 unmuted; listeners are lean receivers) forwarded at ≤ ${SCALING_LOSS * 100} % loss,`,
  );
  console.log(
    `each media worker given ${WORKER_BUDGET} cores of CPU (a cgroup quota from the end of the joins on; the load clients use the rest):\n`,
  );
  const head = ['run', 'server', 'CPU budget', 'calls carried', 'out pps', 'loss', 'µs/packet', 'runs (calls: loss)'];
  const lines = [];
  reps.forEach((rep, k) => {
    for (const c of [rep.one, rep.two]) {
      if (!c) continue;
      const r = c.best?.result;
      lines.push([
        String(k + 1),
        c.workers === 1 ? 'one process' : `${c.workers} media workers`,
        `${c.budget} cores`,
        r ? `${c.best.scenario.calls}${c.capped ? '+' : ''}` : 'none',
        r ? fmt(r.server.outPps) : '–',
        r ? `${(r.delivery.loss * 100).toFixed(2)} %` : '–',
        r ? fmt(r.server.usPerPacket, 1) : '–',
        runsText(c),
      ]);
    }
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) =>
    cells.map((c, i) => (i === 1 || i === head.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log([row(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n'));
  const ratios = reps
    .map((r) => r.ratio)
    .filter((x) => x !== undefined)
    .sort((a, b) => a - b);
  if (ratios.length === 0) return;
  const median = ratios[Math.floor((ratios.length - 1) / 2)];
  const spread = ratios.length > 1 ? ` (${ratios.map((x) => x.toFixed(2)).join(', ')} over ${ratios.length} runs)` : '';
  const capped = reps.some((r) => r.one?.capped || r.two?.capped)
    ? '; "+" marks a search that reached its ceiling without a failure, a lower bound'
    : '';
  console.log(
    `\nTwo workers forward ${median.toFixed(2)}× the packets of one process at ≤ ${SCALING_LOSS * 100} % loss${spread}; target ≥ ${SCALING_TARGET}×${capped}.`,
  );
}

/** A scaling search that could not run at all (no runs) fails the bench. */
export const scalingFailed = (reps) => reps.some((r) => r.one.runs.length === 0);
