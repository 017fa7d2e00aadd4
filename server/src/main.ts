// `npm start`: one node with the embedded store, the standalone platform and the werift SFU.
// Settings come from plugin.json defaults, saved settings and MM_CALLS_* variables (see README).
import path from 'node:path';
import {createApp} from './app';
import {clusterSettingsFromEnv} from './cluster';
import {ConfigError} from './config/validate';
import {setListenerErrorReporter} from './events';
import {startHeapTrim} from './heap-trim';
import {mapLargeAllocations, sizeHeapForSignaling} from './memory-sizing';
import {startStallWatch} from './stall-watch';
import {createLogger} from './log';
import {loginsBanner} from './platform/standalone/initial-passwords';
import {createRtcServer, rtcEnvOverrides, rtcOptionsFromConfig} from './rtc';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`invalid ${name}: "${raw}" is not a port number`);
    process.exit(1);
  }
  return n;
}

async function main(): Promise<void> {
  if (process.env.MM_CALLS_DISABLE === 'true') {
    console.error('Calls is disabled by the MM_CALLS_DISABLE environment flag.');
    process.exit(1);
  }
  // Before the first login: scrypt's 16 MB must not stay behind in a thread's arena (memory-sizing.ts).
  mapLargeAllocations();
  const logger = createLogger({pretty: process.stdout.isTTY && process.env.MM_CALLS_LOG_JSON !== 'true'});
  // A bug in one listener or one forgotten promise must not end every call on the node: log it with its
  // stack (logs only, never a client) and carry on. Synchronous uncaught exceptions still stop the process
  // (its state is unknown then); the supervisor restarts it and the calls survive (see README).
  setListenerErrorReporter((err, event) => logger.error({err, event}, 'event listener failed'));
  process.on('unhandledRejection', (reason) => logger.error({err: reason}, 'unhandled promise rejection'));
  const port = intEnv('MM_CALLS_HTTP_PORT', 8065);
  const dataDir = path.resolve(process.env.MM_CALLS_DATA_DIR ?? 'data');
  let app;
  try {
    app = await createApp({
      dataDir,
      databaseURL: process.env.MM_CALLS_DATABASE_URL || undefined,
      host: process.env.MM_CALLS_HTTP_HOST || '0.0.0.0',
      port,
      siteURL: process.env.MM_CALLS_SITE_URL || undefined,
      logger,
      nodeID: process.env.MM_CALLS_NODE_ID || undefined,
      rtc: (cfg, log, metrics) =>
        createRtcServer({...rtcOptionsFromConfig(cfg), ...rtcEnvOverrides(process.env)}, log, {metrics}),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      logger.fatal({setting: err.key}, err.message);
      console.error(`Calls cannot start: ${err.message}`);
    } else {
      logger.fatal({err: (err as Error).message}, 'Calls cannot start');
      console.error(`Calls cannot start: ${(err as Error).message}`);
    }
    process.exit(1);
  }

  const rtc = app.rtc as {
    udpPort?: number;
    tcpPort?: number | null;
    workerCount?: number;
    workersOnDemand?: boolean;
  } | null;
  const mode = app.coordination.mode;
  // No media forwarded in this process (media workers, rtcd, or another node's): memory before GC throughput.
  if (!rtc || rtc.workerCount) sizeHeapForSignaling();
  const lines = [
    '',
    `  Calls is running at ${app.url}`,
    `  store: ${app.store.engine} (${app.store.location})`,
    rtc
      ? `  media: UDP ${rtc.udpPort ?? '?'}${rtc.tcpPort ? `, TCP ${rtc.tcpPort}` : ''} (open these in your firewall)${rtc.workerCount ? `, ${rtc.workerCount} media workers (MM_CALLS_RTC_WORKERS)${rtc.workersOnDemand ? ', started when calls need them' : ''}` : ''}`
      : mode === 'rtcd'
        ? '  media: on the rtcd hosts of RTCDServiceURL (this node runs no SFU)'
        : '  media: none on this node (single handler: calls run on the handler node)',
  ];
  if (mode === 'rtcd' && app.store.engine === 'postgres')
    lines.push(
      `  cluster: rtcd, node ${app.coordination.nodeID} (the calls run on the rtcd hosts, shared by every node)`,
    );
  if (mode !== 'integrated' && mode !== 'rtcd') {
    lines.push(
      `  cluster: ${mode === 'clustered' ? 'clustered' : 'single handler'}, node ${app.coordination.nodeID}${clusterSettingsFromEnv(process.env).isHandler ? ' (the calls handler)' : ''}`,
    );
  }
  if (app.seed) {
    // Under a supervisor stdout is the log: passwords go to the terminal only, else to a 0600 file.
    const logins = loginsBanner(app.seed, {tty: Boolean(process.stdout.isTTY), dataDir});
    lines.push(...logins.lines);
    if (logins.file) logger.info({file: logins.file}, "seeded users' passwords written");
  }
  if (!app.config.get().DefaultEnabled)
    lines.push('  test mode is on: only system admins can start calls (System Console › Calls › Test mode)');
  lines.push('  Ctrl-C ends active calls and stops.', '');
  console.log(lines.join('\n'));
  startHeapTrim();
  startStallWatch(logger);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.error('forced exit');
      process.exit(1);
    }
    stopping = true;
    logger.info({signal}, 'stopping');
    app.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({err: (err as Error).message}, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
