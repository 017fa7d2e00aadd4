// The bench's last table: every figure issue 16 names, one line each, with its range over the runs made and its
// target, so the README can show one table and a reader can tell at a glance what is met. The figures come from the
// runs the other tables print; this only gathers them (nothing here runs anything).
import {fmt, median} from './bench-start.mjs';

/** "median [min–max]" over the runs that produced the figure, or the one value. */
function spread(xs, d = 0) {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return {text: '–', value: undefined};
  const m = median(ok);
  const text = ok.length > 1 ? `${fmt(m, d)} [${fmt(Math.min(...ok), d)}–${fmt(Math.max(...ok), d)}]` : fmt(ok[0], d);
  return {text, value: m};
}

/** The load-test results of one scenario row (every repetition that produced one). */
const resultsOf = (rows, name) =>
  (rows.find((r) => r.label === name)?.all ?? rows.filter((r) => r.label === name)).flatMap((r) =>
    r.result ? [r.result] : [],
  );

/** One line: what, the figure, the target and whether the median meets it (`le`: at most; `ge`: at least). */
function line(what, {text, value}, target) {
  if (!target) return [what, text, '', ''];
  const atMost = target.le !== undefined;
  const bound = atMost ? target.le : target.ge;
  const met = value === undefined ? '–' : (atMost ? value <= bound : value >= bound) ? 'met' : 'not met';
  return [what, text, `${atMost ? '≤' : '≥'} ${fmt(bound, String(bound).split('.')[1]?.length ?? 0)}`, met];
}

/**
 * rows: the scenario rows (each with `all` when repeated); scaling: the worker searches; recordings: the recording
 * runs; start: the start-and-memory runs. Any may be missing (`--only`); their lines are then left out.
 */
export function printSummary({rows = [], scaling, recordings = [], start}) {
  const lines = [];
  const startRuns = start?.runs ?? [];
  if (startRuns.length) {
    lines.push(
      line(
        'start: first HTTP answer, s',
        spread(
          startRuns.map((r) => r.firstAnswerMs / 1000),
          1,
        ),
        {
          le: 5,
        },
      ),
    );
    lines.push(line('idle RSS, all processes, MB', spread(startRuns.map((r) => r.idle.totalMB)), {le: 100}));
    lines.push(line('idle RSS, main process, MB', spread(startRuns.map((r) => r.idle.mainMB))));
    const afterCall = startRuns.filter((r) => r.afterCall);
    if (afterCall.length)
      lines.push(
        line('RSS after a first call started a media worker, MB', spread(afterCall.map((r) => r.afterCall.totalMB))),
      );
    const withSessions = startRuns.filter((r) => r.sessions);
    if (withSessions.length) {
      lines.push(
        line(
          `RSS per audio session (${withSessions[0].sessions.joined}), all processes, KB`,
          spread(withSessions.map((r) => r.sessions.perSessionKB)),
          {le: 250},
        ),
      );
      lines.push(
        line(
          '  of it the process holding the call, KB',
          spread(
            withSessions.map(
              (r) => r.sessions.procs.find((p) => p.pid === r.sessions.holder.pid)?.perSessionKB.rss ?? NaN,
            ),
          ),
        ),
      );
    }
  }
  const joins = resultsOf(rows, '25x8x2');
  if (joins.length) {
    lines.push(line('25×8×2 join p50, ms', spread(joins.map((r) => r.join.p50Ms)), {le: 200}));
    lines.push(line('25×8×2 join p99, ms', spread(joins.map((r) => r.join.p99Ms)), {le: 350}));
    const stages = ['websocket', 'join', 'ice', 'dtls', 'dataChannel'];
    const withStages = joins.filter((r) => r.join.stages);
    if (withStages.length)
      lines.push([
        '  p50 websocket / join / ICE / DTLS / dc / first media, ms',
        [
          ...stages.map((k) => fmt(median(withStages.map((r) => r.join.stages[k].p50Ms)))),
          fmt(median(withStages.map((r) => r.join.firstMedia?.p50Ms ?? NaN))),
        ].join(' / '),
        '',
        '',
      ]);
  }
  const perPacket = [
    ['1x10x2', '1×10×2', {le: 25}],
    ['25x8x2', '25×8×2', {le: 13}],
    ['1x100x2', '1×100×2'],
    ['1x1000x2', '1×1000×2'],
  ];
  for (const [name, shown, target] of perPacket) {
    const rs = resultsOf(rows, name);
    if (rs.length)
      lines.push(
        line(
          `${shown} µs/packet`,
          spread(
            rs.map((r) => r.server.usPerPacket),
            1,
          ),
          target,
        ),
      );
  }
  const large = resultsOf(rows, '1x1000x2');
  if (large.length) {
    lines.push(
      line('1×1000×2 joined', {
        text: large.map((r) => `${r.join.joined}/${r.join.attempted}`).join(', '),
        value: undefined,
      }),
    );
    lines.push(
      line(
        '1×1000×2 delivery',
        spread(
          large.map((r) => r.delivery.ratio),
          4,
        ),
        {ge: 0.999},
      ),
    );
    lines.push(line('1×1000×2 join p99, ms', spread(large.map((r) => r.join.p99Ms)), {le: 1000}));
  }
  const ratios = (scaling ?? []).map((r) => r.ratio).filter((x) => x !== undefined);
  if (ratios.length) lines.push(line('two media workers ÷ one process (out pps)', spread(ratios, 2), {ge: 1.8}));
  for (const [quality, screen, what] of [
    ['low', 0, 'recording, low, audio only: cores'],
    ['low', 1, 'recording, low, screen share: cores'],
  ]) {
    const rs = recordings.filter((r) => r.result && r.run.quality === quality && r.run.screen === screen);
    const single = rs.filter((r) => r.run.recordings === 1);
    if (single.length)
      lines.push(
        line(
          what,
          spread(
            single.map((r) => r.result.perRecording.cpuCores),
            3,
          ),
          screen ? {le: 0.25} : {le: 0.05},
        ),
      );
  }
  if (lines.length === 0) return;
  console.log('\nSummary (issue 16): median [range] over the runs above, and the target where there is one.\n');
  const head = ['figure', 'measured', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log([row(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n'));
}
