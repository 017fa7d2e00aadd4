// `npm run lt -- --calls C --users U --unmuted M --screen S --duration D [--url …] [--json]`:
// the load-test tool. Without --url it starts its own server (server/src/main.ts) on loopback.
// `npm run lt -- --abuse` runs the abuse scenario instead (abuse.ts).
import {parseArgs} from 'node:util';
import {formatAbuse, runAbuse} from './abuse';
import {Progress} from './progress';
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
  --json             print the result as JSON on stdout
  --quiet            no progress bar

usage: npm run lt -- --abuse [--duration S] [--heap-snapshots DIR] [--workers N] [--server-log FILE] [--json]
  one hostile user's idle sockets, hostile frames, join storm and sessions against a started server
  while another user joins: RSS before/peak/after and the legitimate join latency
  --duration S       length of the storm (default 30)
  --settle S         wait after the abuse before the last measure (default 80: resume window, grace, sweep)
  --heap-snapshots DIR  before/after heap snapshots of the server's main process (taking one inflates
                     the RSS figures that follow it: compare RSS from runs without)`;

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
        quiet: {type: 'boolean', default: false},
        help: {type: 'boolean', default: false},
        abuse: {type: 'boolean', default: false},
        'heap-snapshots': {type: 'string'},
        settle: {type: 'string'},
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
