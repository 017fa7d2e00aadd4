// How our upstream-compatible services (rtcd, the job service) read their settings, as the Go services
// do: defaults, then a TOML file (`-config`; a missing file is fine unless it was named), then
// environment variables. One table of settings drives both sources; a bad value names the setting.
import fs from 'node:fs';
import {createRequire} from 'node:module';

// smol-toml ships CommonJS beside its ESM, but its types are declared as ESM only.
const {parse: parseToml} = createRequire(__filename)('smol-toml') as {parse(text: string): unknown};

export class ServiceConfigError extends Error {}

export type SettingKind = 'string' | 'bool' | 'int';

const KIND_NAMES: Record<SettingKind, string> = {
  string: 'a string',
  bool: 'true or false',
  int: 'a whole number',
};

/** A value read its own way (a JSON list, a duration): from the TOML value and from the variable's text. */
export interface CustomParser {
  fromToml(value: unknown, name: string): unknown;
  fromEnv(text: string, name: string): unknown;
}

export interface Setting<C> {
  /** Where it sits in the TOML file (dotted). */
  toml: string;
  /** Its environment variable. */
  env: string;
  kind: SettingKind | CustomParser;
  set(cfg: C, value: unknown): void;
}

/** A setting whose setter takes the parsed type (the table stays readable, the loader stays untyped). */
export function setting<C, V>(
  toml: string,
  env: string,
  kind: SettingKind | CustomParser,
  set: (cfg: C, v: V) => void,
): Setting<C> {
  return {toml, env, kind, set: set as Setting<C>['set']};
}

export interface LoadOptions {
  /** The TOML file; a missing file is allowed unless `required`. */
  file?: string;
  required?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Applies the TOML file, then the environment, to `cfg` (already holding the defaults). */
export function applySettings<C>(cfg: C, settings: readonly Setting<C>[], opts: LoadOptions = {}): C {
  const env = opts.env ?? process.env;
  const toml = readToml(opts);
  for (const s of settings) {
    const fromFile = lookup(toml, s.toml);
    if (fromFile !== undefined) s.set(cfg, fromTomlValue(s, fromFile));
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') s.set(cfg, fromEnvText(s, fromEnv));
  }
  return cfg;
}

/** The `-config <file>` argument, or the upstream default path (which may be missing). */
export function configPathFromArgs(argv: string[]): {file: string; required: boolean} {
  const i = argv.findIndex((a) => a === '-config' || a === '--config');
  if (i >= 0 && argv[i + 1]) return {file: argv[i + 1], required: true};
  return {file: 'config/config.toml', required: false};
}

/** Checks an upstream `listen_address` ("[host]:port"). */
export function checkListenAddress(name: string, value: string): void {
  if (!/^[^\s]*:\d{1,5}$/.test(value))
    throw new ServiceConfigError(`${name}: expected [host]:port, got ${JSON.stringify(value)}`);
}

/** host and port of a `listen_address` (":8045" listens on every interface). */
export function listenHostPort(listenAddress: string): {host: string; port: number} {
  const i = listenAddress.lastIndexOf(':');
  const host = listenAddress.slice(0, i).replace(/^\[|\]$/g, '');
  return {host: host || '0.0.0.0', port: Number(listenAddress.slice(i + 1))};
}

function readToml(opts: LoadOptions): Record<string, unknown> {
  if (!opts.file) return {};
  let text: string;
  try {
    text = fs.readFileSync(opts.file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || opts.required) {
      throw new ServiceConfigError(`cannot read config file ${opts.file}: ${(err as Error).message}`);
    }
    return {};
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ServiceConfigError(
      `config file ${opts.file} is not valid TOML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

function lookup(obj: Record<string, unknown>, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function fromTomlValue<C>(s: Setting<C>, v: unknown): unknown {
  if (typeof s.kind === 'object') return s.kind.fromToml(v, s.toml);
  const bad = () => new ServiceConfigError(`${s.toml}: expected ${KIND_NAMES[s.kind as SettingKind]}`);
  switch (s.kind) {
    case 'string':
      if (typeof v !== 'string') throw bad();
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw bad();
      return v;
    case 'int':
      if (typeof v !== 'number' && typeof v !== 'bigint') throw bad();
      if (!Number.isSafeInteger(Number(v))) throw bad();
      return Number(v);
  }
}

function fromEnvText<C>(s: Setting<C>, text: string): unknown {
  if (typeof s.kind === 'object') return s.kind.fromEnv(text, s.env);
  switch (s.kind) {
    case 'string':
      return text;
    case 'bool': {
      const t = text.trim().toLowerCase();
      if (['true', '1', 't'].includes(t)) return true;
      if (['false', '0', 'f'].includes(t)) return false;
      throw new ServiceConfigError(`${s.env}: expected true or false, got ${JSON.stringify(text.slice(0, 40))}`);
    }
    case 'int': {
      if (!/^-?\d+$/.test(text.trim()))
        throw new ServiceConfigError(`${s.env}: expected a whole number, got ${JSON.stringify(text.slice(0, 40))}`);
      return Number(text.trim());
    }
  }
}

/** The HTTP API part of both services' settings (upstream's rtcd and calls-offloader read the same keys). */
export interface ServiceApiConfig {
  listenAddress: string;
  tls: {enable: boolean; certFile: string; certKey: string};
  enableAdmin: boolean;
  adminSecretKey: string;
  allowSelfRegistration: boolean;
  sessionCacheExpirationMinutes: number;
}

export interface ServiceLoggerConfig {
  consoleLevel: string;
  consoleJSON: boolean;
}

interface WithApi {
  api: ServiceApiConfig;
  logger: ServiceLoggerConfig;
}

/** The api.* and logger.* settings, their variables named `<prefix>API_…` and `<prefix>LOGGER_…`. */
export function apiAndLoggerSettings<C extends WithApi>(prefix: string): Setting<C>[] {
  const S = setting<C, never>;
  return [
    S('api.http.listen_address', `${prefix}API_HTTP_LISTENADDRESS`, 'string', (c, v: string) => {
      c.api.listenAddress = v;
    }),
    S('api.http.tls.enable', `${prefix}API_HTTP_TLS_ENABLE`, 'bool', (c, v: boolean) => {
      c.api.tls.enable = v;
    }),
    S('api.http.tls.cert_file', `${prefix}API_HTTP_TLS_CERTFILE`, 'string', (c, v: string) => {
      c.api.tls.certFile = v;
    }),
    S('api.http.tls.cert_key', `${prefix}API_HTTP_TLS_CERTKEY`, 'string', (c, v: string) => {
      c.api.tls.certKey = v;
    }),
    S('api.security.enable_admin', `${prefix}API_SECURITY_ENABLEADMIN`, 'bool', (c, v: boolean) => {
      c.api.enableAdmin = v;
    }),
    S('api.security.admin_secret_key', `${prefix}API_SECURITY_ADMINSECRETKEY`, 'string', (c, v: string) => {
      c.api.adminSecretKey = v;
    }),
    S(
      'api.security.allow_self_registration',
      `${prefix}API_SECURITY_ALLOWSELFREGISTRATION`,
      'bool',
      (c, v: boolean) => {
        c.api.allowSelfRegistration = v;
      },
    ),
    S(
      'api.security.session_cache.expiration_minutes',
      `${prefix}API_SECURITY_SESSIONCACHE_EXPIRATIONMINUTES`,
      'int',
      (c, v: number) => {
        c.api.sessionCacheExpirationMinutes = v;
      },
    ),
    S('logger.console_level', `${prefix}LOGGER_CONSOLELEVEL`, 'string', (c, v: string) => {
      c.logger.consoleLevel = v;
    }),
    S('logger.console_json', `${prefix}LOGGER_CONSOLEJSON`, 'bool', (c, v: boolean) => {
      c.logger.consoleJSON = v;
    }),
  ];
}

/** The checks both services make of their API settings. */
export function checkApiConfig(a: ServiceApiConfig): void {
  checkListenAddress('api.http.listen_address', a.listenAddress);
  if (a.tls.enable && (!a.tls.certFile || !a.tls.certKey))
    throw new ServiceConfigError('api.http.tls: cert_file and cert_key are required when TLS is enabled');
  if (a.enableAdmin && !a.adminSecretKey)
    throw new ServiceConfigError('api.security.admin_secret_key: required when enable_admin is true');
  if (a.sessionCacheExpirationMinutes <= 0)
    throw new ServiceConfigError('api.security.session_cache.expiration_minutes: must be > 0');
}

/** Upstream's API defaults, on the service's own port. */
export function defaultApiConfig(listenAddress: string): ServiceApiConfig {
  return {
    listenAddress,
    tls: {enable: false, certFile: '', certKey: ''},
    enableAdmin: false,
    adminSecretKey: '',
    allowSelfRegistration: false,
    sessionCacheExpirationMinutes: 1440,
  };
}
