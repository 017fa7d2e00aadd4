// The rtcd service's settings, read as upstream rtcd reads them: defaults, then a TOML file
// (`-config`, default config/config.toml; a missing file is fine), then RTCD_* environment variables.
// Names, defaults and ranges follow reference rtcd-offloader.md §3; one table drives all three sources.
import os from 'node:os';
import {isIP} from 'node:net';
import {defaultApiConfig, ServiceConfigError, type CustomParser, type LoadOptions} from '../../service-kit/settings';
import {defaultLoggerConfig, serviceSettings, type ServiceConfigBase} from '../../service-kit/service-settings';

export {listenHostPort} from '../../service-kit/settings';
export type {LoadOptions} from '../../service-kit/settings';

export interface IceServerConfig {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface RtcdConfig extends ServiceConfigBase {
  rtc: {
    iceAddressUDP: string;
    icePortUDP: number;
    iceAddressTCP: string;
    icePortTCP: number;
    iceHostOverride: string;
    iceHostPortOverride: string;
    iceServers: IceServerConfig[];
    turnStaticAuthSecret: string;
    turnCredentialsExpirationMinutes: number;
    enableIPv6: boolean;
    nackBufferSize: number;
    /** Media worker processes (ours; upstream scales with goroutines). 0 keeps the SFU in the main process. */
    workers: number;
  };
  /** How long a SIGTERM waits for the calls it has to end before exiting anyway (ours; the upstream Helm chart allows 5 h). */
  drainTimeoutSeconds: number;
}

/** A setting that cannot be used (the shared loader's error, under the name rtcd's callers know). */
export const RtcdConfigError = ServiceConfigError;

const ICE_SERVERS: CustomParser = {
  fromToml: (v, name) => iceServers(name, v),
  fromEnv: (text, name) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RtcdConfigError(`${name}: expected JSON (a list of URLs or of {urls, username, credential})`);
    }
    return iceServers(name, parsed);
  },
};

export function defaultRtcdConfig(): RtcdConfig {
  return {
    api: defaultApiConfig(':8045'),
    rtc: {
      iceAddressUDP: '',
      icePortUDP: 8443,
      iceAddressTCP: '',
      icePortTCP: 8443,
      iceHostOverride: '',
      iceHostPortOverride: '',
      iceServers: [],
      turnStaticAuthSecret: '',
      turnCredentialsExpirationMinutes: 1440,
      enableIPv6: false,
      nackBufferSize: 256,
      workers: Math.max(1, os.availableParallelism()),
    },
    store: {dataSource: '/tmp/rtcd_db'},
    logger: defaultLoggerConfig(),
    drainTimeoutSeconds: 5 * 3600,
  };
}

const SETTINGS = serviceSettings<RtcdConfig>({
  envPrefix: 'RTCD_',
  rows: [
    ['rtc.ice_address_udp', 'RTCD_RTC_ICEADDRESSUDP', 'string', 'rtc.iceAddressUDP'],
    ['rtc.ice_port_udp', 'RTCD_RTC_ICEPORTUDP', 'int', 'rtc.icePortUDP'],
    ['rtc.ice_address_tcp', 'RTCD_RTC_ICEADDRESSTCP', 'string', 'rtc.iceAddressTCP'],
    ['rtc.ice_port_tcp', 'RTCD_RTC_ICEPORTTCP', 'int', 'rtc.icePortTCP'],
    ['rtc.ice_host_override', 'RTCD_RTC_ICEHOSTOVERRIDE', 'string', 'rtc.iceHostOverride'],
    ['rtc.ice_host_port_override', 'RTCD_RTC_ICEHOSTPORTOVERRIDE', 'string', 'rtc.iceHostPortOverride'],
    ['rtc.ice_servers', 'RTCD_RTC_ICESERVERS', ICE_SERVERS, 'rtc.iceServers'],
    ['rtc.turn.static_auth_secret', 'RTCD_RTC_TURNCONFIG_STATICAUTHSECRET', 'string', 'rtc.turnStaticAuthSecret'],
    [
      'rtc.turn.credentials_expiration_minutes',
      'RTCD_RTC_TURNCONFIG_CREDENTIALSEXPIRATIONMINUTES',
      'int',
      'rtc.turnCredentialsExpirationMinutes',
    ],
    ['rtc.enable_ipv6', 'RTCD_RTC_ENABLEIPV6', 'bool', 'rtc.enableIPv6'],
    ['rtc.nack_buffer_size', 'RTCD_RTC_NACKBUFFERSIZE', 'int', 'rtc.nackBufferSize'],
    ['rtc.workers', 'RTCD_RTC_WORKERS', 'int', 'rtc.workers'],
    ['drain.timeout_seconds', 'RTCD_DRAIN_TIMEOUTSECONDS', 'int', 'drainTimeoutSeconds'],
  ],
  defaults: defaultRtcdConfig,
  validate,
});

/** The names of every RTCD_* variable this service reads (the README's table is checked against it). */
export const RTCD_ENV_NAMES: readonly string[] = SETTINGS.envNames;

/** Defaults ← TOML file ← environment, then validated. Throws RtcdConfigError naming the setting. */
export function loadRtcdConfig(opts: LoadOptions = {}): RtcdConfig {
  return SETTINGS.load(opts);
}

const ICE_URL = /^(stun|stuns|turn|turns):/;

function iceServers(name: string, v: unknown): IceServerConfig[] {
  if (!Array.isArray(v)) throw new RtcdConfigError(`${name}: expected a list`);
  return v.map((entry, i) => {
    const server: IceServerConfig =
      typeof entry === 'string' ? {urls: [entry]} : iceServerObject(`${name}[${i}]`, entry);
    for (const url of server.urls) {
      if (!ICE_URL.test(url))
        throw new RtcdConfigError(
          `${name}[${i}]: ${JSON.stringify(url)} must start with stun:, stuns:, turn: or turns:`,
        );
    }
    return server;
  });
}

function iceServerObject(name: string, v: unknown): IceServerConfig {
  if (v === null || typeof v !== 'object')
    throw new RtcdConfigError(`${name}: expected a URL or {urls, username, credential}`);
  const o = v as Record<string, unknown>;
  const urls = typeof o.urls === 'string' ? [o.urls] : o.urls;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string')) {
    throw new RtcdConfigError(`${name}.urls: expected one or more URLs`);
  }
  for (const k of ['username', 'credential'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string') throw new RtcdConfigError(`${name}.${k}: expected a string`);
  }
  return {
    urls: urls as string[],
    username: o.username as string | undefined,
    credential: o.credential as string | undefined,
  };
}

function validate(cfg: RtcdConfig): void {
  const r = cfg.rtc;
  for (const [name, port] of [
    ['rtc.ice_port_udp', r.icePortUDP],
    ['rtc.ice_port_tcp', r.icePortTCP],
  ] as const) {
    if (port !== 0 && (port < 80 || port > 49151)) throw new RtcdConfigError(`${name}: must be between 80 and 49151`);
  }
  for (const [name, list] of [
    ['rtc.ice_address_udp', r.iceAddressUDP],
    ['rtc.ice_address_tcp', r.iceAddressTCP],
  ] as const) {
    for (const ip of list
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)) {
      if (!isIP(ip)) throw new RtcdConfigError(`${name}: ${JSON.stringify(ip)} is not an IP address`);
    }
  }
  if (
    r.turnStaticAuthSecret &&
    (r.turnCredentialsExpirationMinutes <= 0 || r.turnCredentialsExpirationMinutes >= 10080)
  ) {
    throw new RtcdConfigError('rtc.turn.credentials_expiration_minutes: must be between 1 minute and one week');
  }
  if (r.nackBufferSize < 32 || r.nackBufferSize > 8192 || (r.nackBufferSize & (r.nackBufferSize - 1)) !== 0) {
    throw new RtcdConfigError('rtc.nack_buffer_size: must be a power of 2 between 32 and 8192');
  }
  if (r.workers < 0 || r.workers > 64) throw new RtcdConfigError('rtc.workers: must be between 0 and 64');
  if (cfg.drainTimeoutSeconds < 0) throw new RtcdConfigError('drain.timeout_seconds: must be >= 0');
}
