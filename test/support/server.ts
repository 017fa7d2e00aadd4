// Starts a real server node for a test: temp data dir, ephemeral loopback port, SQLite by default or
// a fresh PostgreSQL database; everything is removed on stop.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {type App, type AppOptions, type RtcServerFactory, createApp} from '../../server/src/app';
import {createLogger} from '../../server/src/log';
import {createRtcServer, rtcOptionsFromConfig, type RtcServerOptions} from '../../server/src/rtc';
import {createDatabase, type TestDatabase} from './postgres';
import {RecordingRtcServer} from './recording-rtc';

export interface TestServer {
  app: App;
  url: string;
  dataDir: string;
  /** Present when started with the recording double. */
  rtc: RecordingRtcServer | null;
  stop(): Promise<void>;
}

export interface TestServerOptions extends Partial<Omit<AppOptions, 'rtc'>> {
  engine?: 'sqlite' | 'postgres';
  /** Media server factory; the recording double when omitted. */
  rtc?: RtcServerFactory;
}

/**
 * A real SFU for a test server, from the node's settings, on loopback: UDP on 127.0.0.1 and ICE-TCP on
 * ephemeral ports (`extra` overrides, e.g. `tcpPort: null` for no ICE-TCP).
 */
export function loopbackSfu(extra: Partial<RtcServerOptions> = {}): RtcServerFactory {
  return (cfg, log, metrics) =>
    createRtcServer(
      {...rtcOptionsFromConfig(cfg), udpAddresses: ['127.0.0.1'], udpPort: 0, tcpAddresses: [], tcpPort: 0, ...extra},
      log,
      {metrics},
    );
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-test-'));
  let db: TestDatabase | null = null;
  if (opts.engine === 'postgres') db = await createDatabase();
  let recording: RecordingRtcServer | null = null;
  const rtc: RtcServerFactory = opts.rtc ?? (async () => (recording = new RecordingRtcServer()));
  const logger = process.env.TEST_LOG ? createLogger({level: process.env.TEST_LOG}) : undefined;
  let app: App;
  try {
    app = await createApp({
      host: '127.0.0.1',
      port: 0,
      seed: true,
      rateLimit: {perSecond: 1000, burst: 1000},
      logger,
      ...opts,
      env: {...opts.env},
      dataDir,
      databaseURL: db?.url,
      rtc,
    });
  } catch (err) {
    await db?.drop();
    fs.rmSync(dataDir, {recursive: true, force: true});
    throw err;
  }
  return {
    app,
    url: app.url,
    dataDir,
    rtc: recording,
    async stop() {
      await app.close();
      await db?.drop();
      fs.rmSync(dataDir, {recursive: true, force: true});
    },
  };
}

export function engines(): ('sqlite' | 'postgres')[] {
  return ['sqlite', 'postgres'];
}
