// Assembles the rtcd service from its settings: the credentials store, the SFU (rtc/, media workers
// included), the HTTP API and the signalling websocket on one port, the cpu_load sampler and the
// rtcd_* metrics. `drain()` is what SIGTERM runs: no new calls, the running ones forwarded until they
// end or the drain timeout passes.
import os from 'node:os';
import type {Logger} from '../../log';
import {RtcdMetrics} from '../../metrics';
import {createRtcServer, type EmbeddedRtcServer, type RtcServerOptions} from '../../rtc';
import {openServiceApi} from '../../service-kit/auth';
import {listenOnAddress, serviceVersion} from '../../service-kit/go-http';
import type {RtcdConfig} from './config';
import {startCpuLoadSampler, type CpuLoadSampler} from './cpu-load';
import {createRtcdHttp, type RtcdVersion} from './http-api';
import {RtcdSessions} from './sessions';
import {RtcdWsServer, type RtcdWsTimings} from './ws-server';
import {apiTlsOptions} from '../../service-kit/tls-server';

export interface RtcdService {
  /** http(s)://host:port of the API. */
  readonly url: string;
  readonly rtc: EmbeddedRtcServer;
  readonly sessions: RtcdSessions;
  /** Stops taking new calls; resolves once the last session ended or the drain timeout passed. */
  drain(): Promise<'idle' | 'timeout'>;
  close(): Promise<void>;
}

export interface RtcdServiceOptions {
  /** Overrides for tests (ephemeral ports, short timeouts). */
  rtc?: Partial<RtcServerOptions>;
  wsTimings?: RtcdWsTimings;
  verificationsPerSecond?: number;
  /** What /system reports (tests: hosts with different loads on one machine). */
  cpuLoad?: () => number;
}

export function rtcOptionsFromRtcdConfig(cfg: RtcdConfig, log: Logger): RtcServerOptions {
  const list = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  return {
    udpAddresses: list(cfg.rtc.iceAddressUDP),
    udpPort: cfg.rtc.icePortUDP,
    tcpAddresses: list(cfg.rtc.iceAddressTCP),
    tcpPort: cfg.rtc.icePortTCP,
    enableIPv6: cfg.rtc.enableIPv6,
    iceHostOverride: cfg.rtc.iceHostOverride.trim(),
    iceHostPortOverride: hostPortOverride(cfg.rtc.iceHostPortOverride, log),
    iceServers: cfg.rtc.iceServers.map((s) => ({urls: [...s.urls], username: s.username, credential: s.credential})),
    turnStaticAuthSecret: cfg.rtc.turnStaticAuthSecret,
    turnCredentialsExpirationMinutes: cfg.rtc.turnCredentialsExpirationMinutes,
    // Upstream uses TURN on its own peer connections only when it can make credentials.
    serverSideTURN: cfg.rtc.turnStaticAuthSecret !== '',
    enableVideo: true,
    enableAV1: true,
    enableSimulcast: true,
    workers: Math.max(1, cfg.rtc.workers),
  };
}

/** A single port, or upstream's "localIP/port,…" map resolved for this machine's addresses. */
function hostPortOverride(value: string, log: Logger): number | null {
  const v = value.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v);
  const local = new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .map((i) => i?.address),
  );
  for (const pair of v.split(',')) {
    const [ip, port] = pair.trim().split('/');
    if (ip && local.has(ip) && /^\d+$/.test(port ?? '')) return Number(port);
  }
  log.warn({iceHostPortOverride: v}, 'no entry of rtc.ice_host_port_override matches a local address: not applied');
  return null;
}

export function rtcdVersion(): RtcdVersion {
  return {
    ...serviceVersion(),
    goOS: process.platform,
    goArch: process.arch === 'x64' ? 'amd64' : process.arch,
  };
}

export async function startRtcdService(
  cfg: RtcdConfig,
  logger: Logger,
  opts: RtcdServiceOptions = {},
): Promise<RtcdService> {
  const log = logger.child({component: 'rtcd'});
  const api = openServiceApi(cfg, opts.verificationsPerSecond);
  const cleanups: Array<() => unknown> = [() => api.credentials.close()];
  try {
    const metrics = new RtcdMetrics();
    const rtc = await createRtcServer({...rtcOptionsFromRtcdConfig(cfg, log), ...opts.rtc}, logger, {
      metrics: metrics.rtc,
    });
    cleanups.push(() => rtc.close());
    const sessions = new RtcdSessions(rtc, logger);
    const cpu: CpuLoadSampler = startCpuLoadSampler();
    cleanups.push(() => cpu.stop());
    const tls = apiTlsOptions(cfg.api.tls);
    const http = createRtcdHttp({
      ...api,
      logger,
      tls,
      version: rtcdVersion(),
      cpuLoad: opts.cpuLoad ?? (() => cpu.load()),
      metrics: () => metrics.text(),
      sessions,
    });
    const ws = new RtcdWsServer(api.auth, sessions, metrics, logger, opts.wsTimings);
    http.server.on('upgrade', (req, socket, head) => {
      if (!ws.handleUpgrade(req, socket, head)) socket.destroy();
    });
    cleanups.push(
      () => http.close(),
      () => ws.close(),
    );
    const url = await listenOnAddress(http, cfg.api.listenAddress, tls);
    log.info({url, udpPort: rtc.udpPort, tcpPort: rtc.tcpPort, candidates: rtc.advertisedCandidates}, 'rtcd listening');

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        for (const fn of cleanups.reverse())
          await Promise.resolve(fn()).catch((err) =>
            log.warn({err: (err as Error).message}, 'rtcd shutdown step failed'),
          );
      })());
    return {
      url,
      rtc,
      sessions,
      close,
      drain: () =>
        new Promise((resolve) => {
          log.info(
            {sessions: sessions.size, calls: sessions.callCount, timeoutSeconds: cfg.drainTimeoutSeconds},
            'draining: no new calls',
          );
          const timer = setTimeout(() => resolve('timeout'), cfg.drainTimeoutSeconds * 1000);
          sessions.drain(() => {
            clearTimeout(timer);
            resolve('idle');
          });
        }),
    };
  } catch (err) {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {});
    throw err;
  }
}
