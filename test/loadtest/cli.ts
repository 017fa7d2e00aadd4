// `npm run lt -- --calls C --users U --unmuted M --screen S --duration D [--url …] [--json]`:
// the load-test tool. Without --url it starts its own server (server/src/main.ts) on loopback.
// `npm run lt -- --abuse` runs the abuse scenario instead (abuse.ts), `npm run lt -- --recording` the recording
// benchmark (recording.ts).
import {parseArgs} from 'node:util';
import {formatAbuse, runAbuse} from './abuse';
import {Progress} from './progress';
import {formatRecording, runRecordingBench, type RecordingQuality} from './recording';
import {formatTable} from './report';
import {runLoadTest, validateOptions, type LoadTestOptions} from './run';

const USAGE = `usage: npm run lt -- --calls C --users U --unmuted M [--screen S] --duration D [options]
  --url URL          test a running server (default: start one on loopback)
  --admin USER:PASS  system admin of that server (default admin:admin)
  --workers N        media workers of the started server (MM_CALLS_RTC_WORKERS)
  --forwarding MODE  fast (default) or stock, for the started server
  --native MODE      auto (default), off or required: the native forwarding addon (MM_CALLS_RTC_NATIVE)
  --procs N          client processes (default: cores, at least 2)
  --warmup S         seconds between the last join and the window
  --server-log FILE  keep the started server's output
  --cpu-limit CORES  CPU budget of the started server and its workers once all have joined
                     (a cgroup quota; needs root)
  --profile FILE     V8 CPU profile of the started server's main process, measurement window only
                     (summarise: npx tsx test/loadtest/profile-summary.ts FILE)
  --rtcd             start an rtcd service process too and the server in rtcd mode against it: the
                     server figures (CPU, RSS, packets, µs/packet) are then the rtcd process's
  --lean             receive-only users are lean receivers: a real ICE/DTLS/SRTP peer each that counts
                     packets per SSRC from the RTP header and decrypts and checks one in N (speakers,
                     screen sharers and one decrypting listener per call stay full werift clients)
  --lean-sample N    a lean receiver decrypts one packet in N per stream (default 50)
  --json             print the result as JSON on stdout
  --quiet            no progress bar

usage: npm run lt -- --abuse [--duration S] [--heap-snapshots DIR] [--workers N] [--server-log FILE] [--json]
  one hostile user's idle sockets, hostile frames, join storm and sessions against a started server
  while another user joins: RSS before/peak/after and the legitimate join latency
  --duration S       length of the storm (default 30)
  --settle S         wait after the abuse before the last measure (default 80: resume window, grace, sweep)
  --heap-snapshots DIR  before/after heap snapshots of the server's main process (taking one inflates
                     the RSS figures that follow it: compare RSS from runs without)

usage: npm run lt -- --recording [--quality low|medium|high] [--screen 0|1] [--recordings N] [--duration S] [--json]
  N calls of two speakers (real Opus; with --screen 1 one also shares a moving 1280×720 VP8 screen), each
  recorded by the real recorder the started server runs: CPU and RSS per recording of the recorder's
  processes (launcher, node, ffmpeg; from /proc), the server's CPU, and the file size per hour
  --quality Q        the server's RecordingQuality (default low)
  --recordings N     concurrent recordings, one call each (default 1)
  --duration S       measurement window (default 30)`;

async function main(): Promise<void> {
  let values;
  try {
    ({values} = parseArgs({
      options: {
        calls: {type: 'string'},
        users: {type: 'string'},
        unmuted: {type: 'string', default: '0'},
        screen: {type: 'string', default: '0'},
        duration: {type: 'string'},
        url: {type: 'string'},
        admin: {type: 'string'},
        workers: {type: 'string'},
        forwarding: {type: 'string'},
        native: {type: 'string'},
        procs: {type: 'string'},
        warmup: {type: 'string'},
        'server-log': {type: 'string'},
        'cpu-limit': {type: 'string'},
        profile: {type: 'string'},
        json: {type: 'boolean', default: false},
        rtcd: {type: 'boolean', default: false},
        lean: {type: 'boolean', default: false},
        'lean-sample': {type: 'string'},
        quiet: {type: 'boolean', default: false},
        help: {type: 'boolean', default: false},
        abuse: {type: 'boolean', default: false},
        'heap-snapshots': {type: 'string'},
        settle: {type: 'string'},
        recording: {type: 'boolean', default: false},
        quality: {type: 'string'},
        recordings: {type: 'string'},
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const int = (v: string | undefined) => (v === undefined ? NaN : Number(v));
  const serverEnv: Record<string, string> = {};
  if (values.workers !== undefined) serverEnv.MM_CALLS_RTC_WORKERS = values.workers;
  if (values.forwarding !== undefined) serverEnv.MM_CALLS_RTC_FORWARDING = values.forwarding;
  if (values.native !== undefined) serverEnv.MM_CALLS_RTC_NATIVE = values.native;
  if (values.abuse) {
    const result = await runAbuse({
      seconds: values.duration ? int(values.duration) : undefined,
      settleSeconds: values.settle ? int(values.settle) : undefined,
      serverEnv,
      serverLog: values['server-log'],
      heapSnapshotDir: values['heap-snapshots'],
      progress: new Progress(!values.quiet),
    });
    console.log(values.json ? JSON.stringify(result, null, 2) : formatAbuse(result));
    return;
  }
  if (values.recording) {
    const quality = (values.quality ?? 'low') as RecordingQuality;
    const recordings = values.recordings ? int(values.recordings) : 1;
    const screen = int(values.screen);
    const duration = values.duration ? int(values.duration) : 30;
    const bad = !['low', 'medium', 'high'].includes(quality)
      ? '--quality must be low, medium or high'
      : !Number.isInteger(recordings) || recordings < 1
        ? '--recordings must be a positive integer'
        : screen !== 0 && screen !== 1
          ? '--screen must be 0 or 1'
          : !Number.isInteger(duration) || duration < 1
            ? '--duration must be a positive integer'
            : undefined;
    if (bad) {
      console.error(`${bad}\n${USAGE}`);
      process.exit(2);
    }
    const result = await runRecordingBench({
      quality,
      screen: screen === 1,
      recordings,
      duration,
      serverLog: values['server-log'],
      progress: new Progress(!values.quiet),
    });
    console.log(values.json ? JSON.stringify(result, null, 2) : formatRecording(result));
    return;
  }
  const [adminUser, ...adminPass] = (values.admin ?? 'admin:admin').split(':');
  const opts: LoadTestOptions = {
    calls: int(values.calls),
    users: int(values.users),
    unmuted: int(values.unmuted),
    screen: int(values.screen),
    duration: int(values.duration),
    url: values.url?.replace(/\/$/, ''),
    admin: {username: adminUser, password: adminPass.join(':')},
    procs: values.procs ? int(values.procs) : undefined,
    warmup: values.warmup ? Number(values.warmup) : undefined,
    serverEnv,
    serverLog: values['server-log'],
    serverCpuLimit: values['cpu-limit'] !== undefined ? Number(values['cpu-limit']) : undefined,
    profileFile: values.profile,
    rtcd: values.rtcd,
    lean: values.lean,
    leanSample: values['lean-sample'] !== undefined ? int(values['lean-sample']) : undefined,
    progress: new Progress(!values.quiet),
  };
  const invalid = validateOptions(opts);
  if (invalid) {
    console.error(`${invalid}\n${USAGE}`);
    process.exit(2);
  }
  const result = await runLoadTest(opts);
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else console.log(formatTable(result));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`load test failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
