// The load test's final table for people (the JSON form is the result object itself).
import {JOIN_STAGES, type JoinStages} from './protocol';
import type {LoadTestResult} from './run';
import type {DrainResult} from './receiveQueue';

const STAGE_NAMES: Record<keyof JoinStages, string> = {
  websocket: 'websocket',
  join: 'join',
  ice: 'ICE',
  dtls: 'DTLS',
  dataChannel: 'data channel',
};

const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)} %`;
const num = (x: number, digits = 0) =>
  x.toLocaleString('en-US', {minimumFractionDigits: digits, maximumFractionDigits: digits});

export function formatTable(r: LoadTestResult): string {
  const s = r.scenario;
  const d = r.delivery;
  const rows: [string, string][] = [
    [
      'scenario',
      `${s.calls} calls × ${s.users} users × ${s.unmuted} unmuted${s.screen ? `, ${s.screen} screen share per call` : ''}, ${s.duration} s window`,
    ],
    [
      'joined',
      `${r.join.joined}/${r.join.attempted}${r.join.retried ? `, ${r.join.retried} on a second attempt` : ''}${r.join.failed ? ` (${r.join.failed} failed)` : ''}${r.join.errors.length ? `; first error: ${r.join.errors[0]}` : ''}`,
    ],
    ['join time', `p50 ${num(r.join.p50Ms)} ms, p99 ${num(r.join.p99Ms)} ms, max ${num(r.join.maxMs)} ms`],
    [
      '  where it went',
      JOIN_STAGES.map((k) => `${STAGE_NAMES[k]} ${num(r.join.stages[k].p50Ms)}/${num(r.join.stages[k].p99Ms)}`).join(
        ', ',
      ) + ' ms (p50/p99)',
    ],
    [
      '  first media',
      r.join.firstMedia.users
        ? `${num(r.join.firstMedia.p50Ms)}/${num(r.join.firstMedia.p99Ms)} ms (p50/p99) from being in the call with someone sending to the first RTP, ${num(r.join.firstMedia.users)} users${r.join.firstMedia.none ? `; ${num(r.join.firstMedia.none)} got none` : ''}`
        : '–',
    ],
    ['delivery ratio', `${d.ratio.toFixed(4)} (${num(d.received)} of ${num(d.expected)} packets)`],
    ['loss', pct(d.loss)],
    [
      '  audio / screen',
      `${d.audio.expected ? d.audio.ratio.toFixed(4) : '–'} / ${d.video.expected ? d.video.ratio.toFixed(4) : '–'}`,
    ],
    [
      '  decrypted sample',
      `${d.decryptedSample.expected ? d.decryptedSample.ratio.toFixed(4) : '–'} (${num(d.decryptedSample.received)} packets)`,
    ],
    ...(d.leanSample
      ? [
          [
            '  lean receivers',
            `${num(d.leanSample.receivers)}: ${num(d.leanSample.verified)} of ${num(d.leanSample.sampled)} sampled packets decrypted and matched (1 in ${d.leanSample.every}), ${num(d.leanSample.failed)} failed, ${num(d.leanSample.unexpected)} on unannounced SSRCs`,
          ] as [string, string],
        ]
      : []),
    [
      'server CPU',
      `${r.server.cpuPercent.toFixed(1)} % (100 % = one core; main process ${r.server.mainSystemPercent.toFixed(1)} % in the kernel)${r.server.workers.length ? `: main ${r.server.mainCpuPercent.toFixed(1)} %, workers ${r.server.workers.map((w) => `${w.cpuPercent.toFixed(1)} %`).join(', ')}` : ''}`,
    ],
    ['server RSS', `${num(r.server.rssMB)} MB`],
    ['event-loop lag', `p99 ${r.server.eventLoopLagP99Ms.toFixed(1)} ms (server main process)`],
    ...backlogRow(r.server.windowWait),
    ['packets in / out', `${num(r.server.inPps)} /s, ${num(r.server.outPps)} /s`],
    [
      'CPU per packet',
      r.server.outPps > 0
        ? `${r.server.usPerPacket.toFixed(1)} µs per forwarded packet (whole server)`
        : '– (nothing forwarded)',
    ],
    ...r.server.workers.map((w, i): [string, string] => [
      `  worker ${i}`,
      `${num(w.outPps)} out pps, ${w.usPerPacket.toFixed(1)} µs of its own CPU per packet it forwarded`,
    ]),
    ...(r.plugin
      ? [
          [
            'rtcd mode',
            `the server figures above are the rtcd service's; the plugin process: ${r.plugin.cpuPercent.toFixed(1)} % CPU, ${num(r.plugin.rssMB)} MB RSS`,
          ] as [string, string],
        ]
      : []),
    [
      'client CPU',
      `${r.clients.cpuPercent.toFixed(1)} % in ${r.clients.processes} processes (same machine), longest stall ${num(r.clients.lagMaxMs)} ms (longest GC ${num(r.clients.gcMaxMs)} ms, heap up to ${num(r.clients.heapMaxMB)} MB in one)${r.clients.lost ? `; ${r.clients.lost} joined users lost their connection later` : ''}`,
    ],
    ...(r.clients.lossCauses?.causes.length
      ? [
          [
            'users lost by',
            r.clients.lossCauses.causes
              .map((c) => `${c.what}: ${c.n} (${c.firstS}–${c.lastS} s${c.ice ? `; the first: ${c.ice}` : ''})`)
              .join('; ') +
              ` — joins ended at ${r.clients.lossCauses.joinsEndS} s, window ${r.clients.lossCauses.windowS.join('–')} s`,
          ] as [string, string],
        ]
      : []),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** A row when the window had to wait for the server's receive queue (a second or more), or opened on a backlog. */
function backlogRow(wait: DrainResult | undefined): [string, string][] {
  if (!wait || (wait.drained && wait.waitedMs < 1000)) return [];
  const s = wait.waitedMs / 1000;
  return [
    [
      'backlog',
      wait.drained
        ? `the window waited ${s.toFixed(1)} s after the warm-up for the server's receive queue to drain`
        : `the server's receive queue still held ${num((wait.queuedBytes ?? 0) / 1024)} KB after ${s.toFixed(0)} s: the window counts packets sent before it (delivery may read above 1)`,
    ],
  ];
}
