// The plugin's settings as the admin saved them in Mattermost's System Console (PluginSettings.Plugins[id] of
// GET /api/v4/config, lower-cased keys), re-read periodically and applied through the same save as any settings
// change: validated, stored, announced (config_changed) without a restart; MM_CALLS_* variables still win.
// A value the validation refuses is skipped with a log line and the current value stays.
import {AppError} from '../../errors';
import type {Logger} from '../../log';
import {hasUnstorableText} from '../../unstorable';
import {ALL_KEYS, PLUGIN_ID} from '../../config/schema';
import type {MattermostClient} from './client';
import {singleFlight} from './single-flight';

/** Saves settings keyed as Mattermost stores them (PlatformContext.adminConfig). */
export interface SettingsSink {
  save(values: Record<string, unknown>): Promise<unknown>;
}

export interface SettingsSyncOptions {
  client: MattermostClient;
  sink: SettingsSink;
  logger: Logger;
  /** How often Mattermost's config is re-read (default 10 s). */
  intervalMs?: number;
}

/** Our setting key by Mattermost's lower-cased key. */
const BY_LOWER = new Map(ALL_KEYS.map((k) => [k.toLowerCase(), k]));

interface MattermostConfig {
  PluginSettings?: {Plugins?: Record<string, unknown>};
}

export class SettingsSync {
  readonly #o: SettingsSyncOptions;
  /** The raw value last read from Mattermost per key (applied or refused): only changes are saved or logged. */
  readonly #seen = new Map<string, string>();
  /** Lower-cased keys whose value was refused: tried again when another setting changes (cross-field rules). */
  readonly #refused = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #forbiddenLogged = false;
  readonly #syncOnce = singleFlight(
    () => this.#sync(),
    (err) => this.#o.logger.error({err: err.message}, 'applying the plugin settings from Mattermost failed'),
  );

  constructor(o: SettingsSyncOptions) {
    this.#o = o;
  }

  /** Reads once now, then every intervalMs. */
  async start(): Promise<void> {
    await this.sync();
    this.#timer = setInterval(() => void this.sync(), this.#o.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One read and apply; never throws (Mattermost down: the settings in force stay). */
  sync(): Promise<void> {
    return this.#syncOnce();
  }

  async #sync(): Promise<void> {
    const log = this.#o.logger;
    let cfg: MattermostConfig;
    try {
      cfg = await this.#o.client.json<MattermostConfig>('GET', '/config');
    } catch (err) {
      if (err instanceof AppError && err.status === 403) {
        if (!this.#forbiddenLogged)
          log.error(
            'the Calls service account may not read Mattermost’s config (it needs the system admin role): ' +
              'settings saved in the System Console are not applied',
          );
        this.#forbiddenLogged = true;
      } else log.warn({err: (err as Error).message}, 'reading the plugin settings from Mattermost failed');
      return;
    }
    this.#forbiddenLogged = false;
    const raw = cfg?.PluginSettings?.Plugins?.[PLUGIN_ID];
    if (raw === undefined || raw === null) return;
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      log.warn({type: Array.isArray(raw) ? 'array' : typeof raw}, 'Mattermost’s plugin settings are not an object');
      return;
    }
    // Mattermost stores the keys lower-cased; one hand-edited into config.json may not be.
    const values = new Map(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]));
    const changed: Record<string, unknown> = {};
    for (const [lower, value] of values) {
      const key = BY_LOWER.get(lower);
      if (!key) continue; // a setting this version does not have (a newer manifest's)
      const text = JSON.stringify(value) ?? 'undefined';
      if (this.#seen.get(key) === text) continue;
      this.#seen.set(key, text);
      if (hasUnstorableText(value)) {
        log.warn({setting: key}, 'setting from Mattermost refused: it contains characters that cannot be stored');
        continue;
      }
      changed[lower] = value;
    }
    if (Object.keys(changed).length === 0) return;
    for (const lower of this.#refused) if (!(lower in changed) && values.has(lower)) changed[lower] = values.get(lower);
    await this.#apply(changed);
  }

  /** Saves the changed values; one the validation refuses is dropped (logged) and the rest saved again. */
  async #apply(changed: Record<string, unknown>): Promise<void> {
    const log = this.#o.logger;
    const pending = {...changed};
    while (Object.keys(pending).length) {
      try {
        await this.#o.sink.save(pending);
        for (const k of Object.keys(pending)) this.#refused.delete(k);
        log.info({settings: Object.keys(pending).map((k) => BY_LOWER.get(k))}, 'settings from Mattermost applied');
        return;
      } catch (err) {
        const setting = err instanceof AppError ? err.details?.setting : undefined;
        const lower = typeof setting === 'string' ? setting.toLowerCase() : '';
        if (!(lower in pending)) {
          log.error({err: (err as Error).message}, 'settings from Mattermost could not be applied');
          // Seen but not applied: forget them so the next read tries again.
          for (const k of Object.keys(pending)) this.#seen.delete(BY_LOWER.get(k)!);
          return;
        }
        log.warn(
          {setting, reason: (err as Error).message},
          'setting from Mattermost refused; the value in force is kept',
        );
        delete pending[lower];
        this.#refused.add(lower);
      }
    }
  }
}
