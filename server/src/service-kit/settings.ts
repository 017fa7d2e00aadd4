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

/** The dotted paths of a config's values (a list is one value): where a row of a settings table writes. */
export type ConfigPath<T> = {
  [K in keyof T & string]: T[K] extends readonly unknown[] ? K : T[K] extends object ? `${K}.${ConfigPath<T[K]>}` : K;
}[keyof T & string];

/** One row of a settings table: TOML key, environment variable, how the value is read, where it is written. */
export type SettingRow<C> = readonly [
  toml: string,
  env: string,
  kind: SettingKind | CustomParser,
  field: ConfigPath<C>,
];

/** The settings of a table: each row writes its parsed value at its field of the config. */
export function settingsTable<C>(rows: readonly SettingRow<C>[]): Setting<C>[] {
  return rows.map(([toml, env, kind, field]) => ({toml, env, kind, set: (cfg, v) => setPath(cfg, field, v)}));
}

function setPath(obj: unknown, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj as Record<string, unknown>;
  for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  cur[parts[parts.length - 1]] = value;
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
  return settingsTable<WithApi>([
    ['api.http.listen_address', `${prefix}API_HTTP_LISTENADDRESS`, 'string', 'api.listenAddress'],
    ['api.http.tls.enable', `${prefix}API_HTTP_TLS_ENABLE`, 'bool', 'api.tls.enable'],
    ['api.http.tls.cert_file', `${prefix}API_HTTP_TLS_CERTFILE`, 'string', 'api.tls.certFile'],
    ['api.http.tls.cert_key', `${prefix}API_HTTP_TLS_CERTKEY`, 'string', 'api.tls.certKey'],
    ['api.security.enable_admin', `${prefix}API_SECURITY_ENABLEADMIN`, 'bool', 'api.enableAdmin'],
    ['api.security.admin_secret_key', `${prefix}API_SECURITY_ADMINSECRETKEY`, 'string', 'api.adminSecretKey'],
    [
      'api.security.allow_self_registration',
      `${prefix}API_SECURITY_ALLOWSELFREGISTRATION`,
      'bool',
      'api.allowSelfRegistration',
    ],
    [
      'api.security.session_cache.expiration_minutes',
      `${prefix}API_SECURITY_SESSIONCACHE_EXPIRATIONMINUTES`,
      'int',
      'api.sessionCacheExpirationMinutes',
    ],
    ['logger.console_level', `${prefix}LOGGER_CONSOLELEVEL`, 'string', 'logger.consoleLevel'],
    ['logger.console_json', `${prefix}LOGGER_CONSOLEJSON`, 'bool', 'logger.consoleJSON'],
  ]);
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
