// What the embedded SFU needs from the plugin settings, in the SFU's own terms, and the mapping from
// CallsConfig (reference §5.1) to it.
import {isIP} from 'node:net';
import {availableParallelism} from 'node:os';
import type {CallsConfig, ICEServerConfig} from '../config/types';
import type {ForwardingMode} from './fastpath/forwarder';
import {parseRtcNativeMode, type RtcNativeMode} from './fastpath/native';
import {parseSwitch} from './envSwitch';

export interface RtcTimeouts {
  /** Wait for the client's first offer, and for each answer to a server offer (reference: 10 s). */
  signalingMs: number;
  /** Wait for the per-session signaling lock before a server renegotiation (reference: 5 s). */
  lockMs: number;
  /** Per-server wait for a STUN binding answer at startup (reference: 5 s). */
  stunDiscoveryMs: number;
  /** Hostname resolution of ICEHostOverride (reference: 1 s). */
  hostResolveMs: number;
  /** First wait between simulcast layer switches of one receiver; grows 1.5× per switch (reference: 10 s). */
  layerSwitchBackoffMs: number;
  /**
   * A media worker that does not answer the primary's ping within this is killed and started again
   * (its calls move to a live worker). Pings go out every third of it.
   */
  workerWatchdogMs: number;
}

export interface RtcServerOptions {
  /** Local IPs for the RTC UDP port; empty = every interface (loopback included). */
  udpAddresses: string[];
  /** 0 = ephemeral (tests). */
  udpPort: number;
  /** Local IPs for ICE-TCP; empty = the UDP addresses. */
  tcpAddresses: string[];
  /** 0 = ephemeral; null = no ICE-TCP. */
  tcpPort: number | null;
  enableIPv6: boolean;
  /** Public IP or hostname for host candidates, or a NAT map "EXT/INT,EXT2/INT2". */
  iceHostOverride: string;
  /** Port advertised for host candidates on the overridden address (NAT port forward). */
  iceHostPortOverride: number | null;
  /** STUN/TURN servers. STUN discovers the public IP at startup; TURN is used only with serverSideTURN. */
  iceServers: ICEServerConfig[];
  turnStaticAuthSecret: string;
  turnCredentialsExpirationMinutes: number;
  serverSideTURN: boolean;
  enableVideo: boolean;
  enableAV1: boolean;
  enableSimulcast: boolean;
  /** 'fast' (default): our own RTP writer; 'stock': werift's RTCRtpSender (the reference, for comparison). */
  forwarding?: ForwardingMode;
  /**
   * Media worker processes (one per core is the point); calls are spread over them, the RTC port stays
   * one. 1 or unset: the SFU runs in the server process itself.
   */
  workers?: number;
  /**
   * With media workers: a worker starts when a call first needs it and stops once it has held no session for this
   * long (MM_CALLS_RTC_WORKER_IDLE_SECONDS, default 300 s), so an idle server is one process. Null ("off"): every
   * worker starts with the server and keeps running.
   */
  workerIdleMs?: number | null;
  /** The native forwarding addon (MM_CALLS_RTC_NATIVE): auto (use it if built), off, or required. */
  native?: RtcNativeMode;
  /**
   * With media workers and the native addon: each worker receives its clients' datagrams on its own sockets
   * (SO_REUSEPORT, connected to the client) instead of through the primary (MM_CALLS_RTC_DIRECT_SOCKETS, default on).
   */
  directSockets?: boolean;
  /**
   * With the native addon: UDP sockets are read with recvmmsg, a turn's datagrams handed over in one call
   * (net/batchedReceive.ts; MM_CALLS_RTC_BATCHED_RECEIVE, default on). Off: Node's dgram, one event per datagram.
   */
  batchedReceive?: boolean;
  /**
   * With the native addon and batched receive: an established voice stream is forwarded by the addon without
   * entering JavaScript (fastpath/nativeRoute.ts; MM_CALLS_RTC_NATIVE_ROUTES, default on). Off: every packet
   * through the JavaScript fan-out.
   */
  nativeRoutes?: boolean;
  timeouts?: Partial<RtcTimeouts>;
}

export const DEFAULT_TIMEOUTS: RtcTimeouts = {
  signalingMs: 10_000,
  lockMs: 5_000,
  stunDiscoveryMs: 5_000,
  hostResolveMs: 1_000,
  layerSwitchBackoffMs: 10_000,
  workerWatchdogMs: 15_000,
};

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function rtcOptionsFromConfig(cfg: CallsConfig): RtcServerOptions {
  const iceServers: ICEServerConfig[] = cfg.ICEServersConfigs.map((s) => ({...s, urls: [...s.urls]}));
  const legacy = cfg.ICEServers.map((s) => s.trim()).filter((s) => s.length > 0);
  if (legacy.length > 0) iceServers.push({urls: legacy});
  const udpAddresses = splitList(cfg.UDPServerAddress).filter((a) => isIP(a) !== 0);
  const tcpAddresses = splitList(cfg.TCPServerAddress).filter((a) => isIP(a) !== 0);
  return {
    udpAddresses,
    udpPort: cfg.UDPServerPort,
    tcpAddresses,
    tcpPort: cfg.TCPServerPort,
    enableIPv6: cfg.EnableIPv6,
    iceHostOverride: cfg.ICEHostOverride.trim(),
    iceHostPortOverride: cfg.ICEHostPortOverride && cfg.ICEHostPortOverride > 0 ? cfg.ICEHostPortOverride : null,
    iceServers,
    turnStaticAuthSecret: cfg.TURNStaticAuthSecret,
    turnCredentialsExpirationMinutes: cfg.TURNCredentialsExpirationMinutes,
    serverSideTURN: cfg.ServerSideTURN,
    enableVideo: cfg.EnableVideo,
    enableAV1: cfg.EnableAV1,
    enableSimulcast: cfg.EnableSimulcast,
  };
}

/**
 * Process-level SFU settings that are not plugin settings (they size the server, not the product):
 * MM_CALLS_RTC_FORWARDING = fast | stock; MM_CALLS_RTC_WORKERS = a number of media workers, or "auto"
 * (the default) for one per core; 1 keeps the SFU in the server process; MM_CALLS_RTC_WORKER_IDLE_SECONDS = how long a
 * media worker with no session keeps running (default 300; "off": all start with the server); MM_CALLS_RTC_NATIVE = auto | off |
 * required (the native AES-GCM and batched sends of server/native); MM_CALLS_RTC_DIRECT_SOCKETS = true | false
 * (media workers receive their clients' datagrams directly; default true); MM_CALLS_RTC_BATCHED_RECEIVE = true |
 * false (sockets are read with recvmmsg, a turn's datagrams in one call; default true).
 */
export function rtcEnvOverrides(env: NodeJS.ProcessEnv, cores = availableParallelism()): Partial<RtcServerOptions> {
  const out: Partial<RtcServerOptions> = {};
  const workers = env.MM_CALLS_RTC_WORKERS || 'auto';
  const n = workers === 'auto' ? cores : Number(workers);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new Error(`MM_CALLS_RTC_WORKERS must be "auto" or a number from 1 to 64, not "${workers}"`);
  out.workers = n;
  const idle = env.MM_CALLS_RTC_WORKER_IDLE_SECONDS;
  if (idle !== undefined && idle !== '') {
    const seconds = Number(idle);
    if (idle !== 'off' && (!Number.isInteger(seconds) || seconds < 0 || seconds > 86_400))
      throw new Error(
        `MM_CALLS_RTC_WORKER_IDLE_SECONDS must be "off" or a number of seconds from 0 to 86400, not "${idle}"`,
      );
    out.workerIdleMs = idle === 'off' ? null : seconds * 1000;
  }
  const forwarding = env.MM_CALLS_RTC_FORWARDING;
  if (forwarding !== undefined && forwarding !== '') {
    if (forwarding !== 'fast' && forwarding !== 'stock')
      throw new Error(`MM_CALLS_RTC_FORWARDING must be "fast" or "stock", not "${forwarding}"`);
    out.forwarding = forwarding;
  }
  out.native = parseRtcNativeMode(env.MM_CALLS_RTC_NATIVE);
  const direct = parseSwitch('MM_CALLS_RTC_DIRECT_SOCKETS', env.MM_CALLS_RTC_DIRECT_SOCKETS);
  if (direct !== undefined) out.directSockets = direct;
  const batched = parseSwitch('MM_CALLS_RTC_BATCHED_RECEIVE', env.MM_CALLS_RTC_BATCHED_RECEIVE);
  if (batched !== undefined) out.batchedReceive = batched;
  const routes = parseSwitch('MM_CALLS_RTC_NATIVE_ROUTES', env.MM_CALLS_RTC_NATIVE_ROUTES);
  if (routes !== undefined) out.nativeRoutes = routes;
  const watchdog = env.MM_CALLS_RTC_WORKER_WATCHDOG_MS;
  if (watchdog !== undefined && watchdog !== '') {
    const ms = Number(watchdog);
    if (!Number.isInteger(ms) || ms < 500 || ms > 600_000)
      throw new Error(
        `MM_CALLS_RTC_WORKER_WATCHDOG_MS must be a number of milliseconds from 500 to 600000, not "${watchdog}"`,
      );
    out.timeouts = {workerWatchdogMs: ms};
  }
  return out;
}
