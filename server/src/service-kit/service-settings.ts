// One upstream-compatible service's settings (rtcd, the job service), put together the same way for each:
// the shared api.*, logger.* and store.data_source rows under the service's variable prefix, then its own
// rows; loading is defaults ← TOML ← environment, then the shared checks (the TLS pair loaded) and its own.
import {
  apiAndLoggerSettings,
  applySettings,
  checkApiConfig,
  ServiceConfigError,
  settingsTable,
  type LoadOptions,
  type ServiceApiConfig,
  type ServiceLoggerConfig,
  type Setting,
  type SettingRow,
} from './settings';
import {apiTlsOptions} from './tls-server';

/** What every service's config holds besides its own part. */
export interface ServiceConfigBase {
  api: ServiceApiConfig;
  store: {dataSource: string};
  logger: ServiceLoggerConfig;
}

export interface ServiceSettingsSpec<C extends ServiceConfigBase> {
  /** Before every variable's name: 'RTCD_' for rtcd, '' for the job service (upstream's names). */
  envPrefix: string;
  /** The service's own rows, after the shared ones. */
  rows: readonly SettingRow<C>[];
  defaults(): C;
  /** The service's own checks; throw ServiceConfigError naming the setting. */
  validate(cfg: C): void;
}

export interface ServiceSettings<C> {
  /** Every variable the service reads (kept from its jobs' environment; the README's tables list them). */
  readonly envNames: readonly string[];
  /** Defaults ← TOML file ← environment, then validated; throws ServiceConfigError naming the setting. */
  load(opts?: LoadOptions): C;
}

/** Upstream's logger defaults. */
export function defaultLoggerConfig(): ServiceLoggerConfig {
  return {consoleLevel: 'INFO', consoleJSON: false};
}

export function serviceSettings<C extends ServiceConfigBase>(spec: ServiceSettingsSpec<C>): ServiceSettings<C> {
  const settings: Setting<C>[] = [
    ...apiAndLoggerSettings<C>(spec.envPrefix),
    ...settingsTable<ServiceConfigBase>([
      ['store.data_source', `${spec.envPrefix}STORE_DATASOURCE`, 'string', 'store.dataSource'],
    ]),
    ...settingsTable<C>(spec.rows),
  ];
  return {
    envNames: settings.map((s) => s.env),
    load(opts: LoadOptions = {}): C {
      const cfg = applySettings(spec.defaults(), settings, opts);
      checkApiConfig(cfg.api);
      // Upstream loads the pair at validation: a bad path fails the start, not the first client.
      apiTlsOptions(cfg.api.tls);
      if (!cfg.store.dataSource) throw new ServiceConfigError('store.data_source: required');
      spec.validate(cfg);
      return cfg;
    },
  };
}
