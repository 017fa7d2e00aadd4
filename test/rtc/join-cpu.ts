// The CPU one join costs, server and client apart, and where it goes. Not a test: it prints numbers.
//   npx tsx test/rtc/join-cpu.ts [--joins 100] [--warmup 10] [--no-profile] [--top N]
// The SFU runs in a child process (the in-process server the rtc tests start, its signaling carried over IPC), the
// werift test client (the load test's client) in this one. Joins run one after another, each into its own call,
// from initSession to connected with calls-dc open; the session is closed after its measurement. Per side: CPU ms
// per join (process.cpuUsage over the join), and by part, from a V8 CPU profile of each join: a sample counts for
// the first frame up its stack that belongs to a part (DTLS key exchange, signature, certificates, PRF, SDP, SCTP,
// ICE, …); --top N adds the N functions with most self time. The profiler roughly doubles the CPU figures (its
// sampling signals, other threads); --no-profile gives CPU per join without it, and no parts. The IPC that
// stands in for the websocket is in both sides' figures.
import {fork} from 'node:child_process';
import {Session} from 'node:inspector';
import os from 'node:os';
import {parseArgs} from 'node:util';
import type {RtcInbound, RtcSignal} from '../../server/src/rtc/types';
import {newId} from '../../server/src/ids';
import {newSession, startServer} from './support/harness';
import {TestClient} from './support/client';

interface ProfileNode {
  id: number;
  callFrame: {functionName: string; url: string; lineNumber?: number};
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const PROFILER = 'the profiler';
type Part = [name: string, matches: (url: string, fn: string) => boolean];
const PARTS: Part[] = [
  [
    'DTLS key exchange (ECDHE)',
    (u, f) =>
      (u.includes('werift/dtlsCrypto') && /(^|\.)(generateKeyPair|preMasterSecret)$/.test(f)) ||
      /tweetnacl|@noble\/curves/.test(u) ||
      /^(generateKeyPair|prfPreMasterSecret|p256Keypair|p256PreMasterSecret|x25519\w*|p256\w*)$/.test(f),
  ],
  [
    'DTLS signature',
    (u, f) =>
      /(^|\.)(generateKeySignature|signatureData|signingKey)$/.test(f) || (u.includes('@fidm/x509') && f === 'sign'),
  ],
  [
    'DTLS certificates (parse, fingerprint)',
    (u, f) =>
      /@fidm|@peculiar|asn1js|pvtsutils|tsyringe/.test(u) ||
      /(^|\.)(parseX509|verifyRemoteCertificateFingerprint|getFingerprints)$/.test(f) ||
      (u.includes('werift') && f === 'fingerprint'),
  ],
  ['DTLS PRF and hashes', (u) => u.includes('/dtls/src/cipher/prf')],
  ['DTLS record encryption', (u) => u.includes('/dtls/src/cipher/suites')],
  ['DTLS other', (u) => u.includes('/dtls/src/') || u.includes('transport/dtls')],
  ['SDP (werift, sdpCheck)', (u) => /webrtc\/src\/sdp|sdpManager|media\/sdpCheck/.test(u)],
  ['SCTP, data channel', (u) => /\/sctp\/src\/|sctpManager|dataChannel|transport\/sctp/.test(u)],
  ['ICE, STUN', (u) => /\/ice\/src\/|transport\/ice|werift\/iceAgent|rtc\/net\//.test(u)],
  ['RTP, SRTP', (u) => u.includes('/rtp/src/')],
  ['werift (the rest)', (u) => u.includes('/werift/')],
  ['Calls code (SFU, test client)', (u) => /\/server\/src\/|\/test\//.test(u) && !u.includes('node_modules')],
  ['GC', (_u, f) => f === '(garbage collector)'],
  [PROFILER, (u, f) => u === 'node:inspector' || (u === '' && f === 'dispatch')],
];
const OTHER = 'other (node internals, event loop, IPC)';

const SAMPLING_US = 100;

/**
 * A sample's weight is the wall time since the previous one: a thread descheduled on a busy machine would charge
 * its whole wait to whatever ran when it stopped. A running thread is sampled every SAMPLING_US, so more is not CPU.
 */
const sampleMs = (deltaUs = 0) => Math.min(deltaUs, 4 * SAMPLING_US) / 1000;

/** Where a sample was taken, for --top: its function, file and line (node_modules paths shortened). */
function where(node: ProfileNode): string {
  const {functionName, url, lineNumber} = node.callFrame;
  const file = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(server|test)\//, '$1/');
  return `${functionName || '(anonymous)'}${file ? ` ${file}:${(lineNumber ?? 0) + 1}` : ''}`;
}

/** Milliseconds of busy samples per part, and per part and function where the sample was taken. */
function partsOf(profile: Profile, parts: Map<string, number>, functions: Map<string, number>): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const partOfNode = new Map<number, string>();
  const classify = (id: number): string => {
    const known = partOfNode.get(id);
    if (known !== undefined) return known;
    const {url, functionName} = byId.get(id)!.callFrame;
    const own = PARTS.find(([, m]) => m(url, functionName))?.[0];
    const up = parent.get(id);
    const part = own ?? (up === undefined ? OTHER : classify(up));
    partOfNode.set(id, part);
    return part;
  };
  profile.samples.forEach((id, i) => {
    // The first delta runs from the profiler's start; idle samples and the profiler's own calls are not the join's.
    if (i === 0 || byId.get(id)!.callFrame.functionName === '(idle)') return;
    const part = classify(id);
    if (part === PROFILER) return;
    const ms = sampleMs(profile.timeDeltas[i]);
    parts.set(part, (parts.get(part) ?? 0) + ms);
    const fn = `${part}: ${where(byId.get(id)!)}`;
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
  });
}

/** One process's measurement of its joins: cpuUsage per join, and the profile of each join by part. */
class Meter {
  readonly #session: Session | undefined;
  #start: NodeJS.CpuUsage | undefined;
  cpuMs = 0;
  sysMs = 0;
  joins = 0;
  readonly parts = new Map<string, number>();
  readonly functions = new Map<string, number>();

  constructor(profile: boolean) {
    if (!profile) return;
    this.#session = new Session();
    this.#session.connect();
    this.#post('Profiler.enable');
    this.#post('Profiler.setSamplingInterval', {interval: SAMPLING_US});
  }

  #post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.#session!.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  }

  async begin(): Promise<void> {
    if (this.#session) await this.#post('Profiler.start');
    this.#start = process.cpuUsage();
  }

  async end(counted: boolean): Promise<void> {
    const used = process.cpuUsage(this.#start);
    const result = this.#session ? ((await this.#post('Profiler.stop')) as {profile: Profile}) : undefined;
    if (!counted) return;
    this.joins++;
    this.cpuMs += (used.user + used.system) / 1000;
    this.sysMs += used.system / 1000;
    if (result) partsOf(result.profile, this.parts, this.functions);
  }

  report(): MeterReport {
    return {
      cpuMs: this.cpuMs,
      sysMs: this.sysMs,
      joins: this.joins,
      parts: [...this.parts],
      functions: [...this.functions],
    };
  }
}
interface MeterReport {
  cpuMs: number;
  sysMs: number;
  joins: number;
  parts: [string, number][];
  functions: [string, number][];
}

type ToServer =
  | {op: 'init'; callID: string; sessionID: string}
  | {op: 'send'; msg: RtcInbound}
  | {op: 'close'; sessionID: string}
  | {op: 'begin'}
  | {op: 'end'; counted: boolean}
  | {op: 'report'}
  | {op: 'exit'};
type FromServer =
  {op: 'ready'} | {op: 'done'; report?: MeterReport} | {op: 'signal'; sessionID: string; signal: RtcSignal};

async function serve(profile: boolean): Promise<void> {
  const server = await startServer();
  const meter = new Meter(profile);
  const reply = (m: FromServer) => process.send!(m);
  server.on('signal', (sessionID, signal) => reply({op: 'signal', sessionID, signal}));
  process.on('message', (m: ToServer) => {
    const done = (report?: MeterReport) => reply({op: 'done', report});
    if (m.op === 'send') server.send(m.msg);
    else if (m.op === 'init') void newSession(server, m.callID, {sessionID: m.sessionID}).then(() => done());
    else if (m.op === 'close') void server.closeSession(m.sessionID).then(() => done());
    else if (m.op === 'begin') void meter.begin().then(() => done());
    else if (m.op === 'end') void meter.end(m.counted).then(() => done());
    else if (m.op === 'report') done(meter.report());
    else void server.close().then(() => process.exit(0));
  });
  reply({op: 'ready'});
}

async function drive(joins: number, warmup: number, profile: boolean, top: number): Promise<void> {
  const child = fork(__filename, ['--serve', ...(profile ? [] : ['--no-profile'])], {execArgv: process.execArgv});
  const listeners = new Map<string, (s: RtcSignal) => void>();
  let waiting: ((r: MeterReport | undefined) => void)[] = [];
  const ready = new Promise<void>((resolve) =>
    child.on('message', (m: FromServer) => {
      if (m.op === 'ready') resolve();
      else if (m.op === 'signal') listeners.get(m.sessionID)?.(m.signal);
      else {
        const [first, ...rest] = waiting;
        waiting = rest;
        first?.(m.report);
      }
    }),
  );
  const ask = (m: ToServer) =>
    new Promise<MeterReport | undefined>((resolve) => {
      waiting.push(resolve);
      child.send(m);
    });
  await ready;
  const meter = new Meter(profile);
  const signaling = {
    send: (msg: RtcInbound) => child.send({op: 'send', msg} satisfies ToServer),
    onSignal: (sessionID: string, fn: (s: RtcSignal) => void) => {
      listeners.set(sessionID, fn);
      return () => listeners.delete(sessionID);
    },
  };
  const wallMs: number[] = [];
  for (let i = 0; i < warmup + joins; i++) {
    const counted = i >= warmup;
    const sessionID = newId();
    await ask({op: 'begin'});
    await meter.begin();
    const t0 = performance.now();
    await ask({op: 'init', callID: newId(), sessionID});
    const client = new TestClient({sessionID, signaling, record: false});
    await client.start();
    await client.waitConnected();
    if (counted) wallMs.push(performance.now() - t0);
    await meter.end(counted);
    await ask({op: 'end', counted});
    await client.close();
    await ask({op: 'close', sessionID});
  }
  const server = (await ask({op: 'report'}))!;
  child.send({op: 'exit'} satisfies ToServer);
  wallMs.sort((a, b) => a - b);
  const load = os.loadavg().map((l) => l.toFixed(2));
  console.log(`${joins} joins one after another (after ${warmup} warm-up), load average ${load.join(' ')}`);
  console.log(`join wall time p50 ${wallMs[Math.floor(joins / 2)].toFixed(1)} ms (server and client on this machine)`);
  const client = meter.report();
  for (const [side, r] of [
    ['server (SFU)', server],
    ['client (werift test client)', client],
  ] as const) {
    console.log(
      `\n${side}: ${(r.cpuMs / r.joins).toFixed(2)} ms CPU per join (system ${(r.sysMs / r.joins).toFixed(2)} ms)`,
    );
    if (!profile) continue;
    const profiled = r.parts.reduce((s, [, ms]) => s + ms, 0);
    const line = (ms: number, what: string) =>
      `  ${(ms / r.joins).toFixed(2).padStart(6)} ms  ${((ms / profiled) * 100).toFixed(0).padStart(3)} %  ${what}`;
    console.log(`  of which profiled on the main thread: ${(profiled / r.joins).toFixed(2)} ms, by part:`);
    for (const [part, ms] of r.parts.sort((a, b) => b[1] - a[1])) console.log(line(ms, part));
    if (top > 0) console.log(`  the ${top} functions that took most (self time):`);
    for (const [fn, ms] of r.functions.sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(ms, fn));
  }
}

const {values} = parseArgs({
  options: {
    joins: {type: 'string', default: '100'},
    warmup: {type: 'string', default: '10'},
    'no-profile': {type: 'boolean', default: false},
    top: {type: 'string', default: '0'},
    serve: {type: 'boolean', default: false},
  },
});
const profile = !values['no-profile'];
if (values.serve) void serve(profile);
else
  void drive(Number(values.joins), Number(values.warmup), profile, Number(values.top)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
