// The live configuration: plugin.json defaults, then saved settings, then MM_CALLS_* environment
// overrides (which always win and are re-applied on every load, as upstream does).
import {TypedEmitter} from '../events';
import type {KVRepository} from '../store/types';
import type {CallsConfig, ConfigKey} from './types';
import {ALL_KEYS, SECRET_KEYS, defaultConfig} from './schema';
import {readEnvOverrides} from './env';
import {ConfigError, parseSetting, validateConfig} from './validate';

const SAVED_KEY = 'plugin_settings';

export interface ConfigServiceEvents {
  change: [config: CallsConfig, previous: CallsConfig];
}

/** Applies raw values over a base config, parsing each by its setting type. Unknown keys are rejected. */
function applyValues(base: CallsConfig, raw: Record<string, unknown>, source: 'env' | 'saved'): CallsConfig {
  const out: Record<string, unknown> = {...base};
  for (const [key, value] of Object.entries(raw)) {
    if (!ALL_KEYS.includes(key as ConfigKey)) throw new ConfigError(key, `unknown setting ${key}`);
    out[key] = parseSetting(key as ConfigKey, value, source);
  }
  return out as unknown as CallsConfig;
}

export class ConfigService extends TypedEmitter<ConfigServiceEvents> {
  #config: CallsConfig = defaultConfig();
  #saved: Record<string, unknown> = {};
  readonly #envRaw: Partial<Record<ConfigKey, string>>;

  constructor(
    private readonly kv: KVRepository,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    super();
    this.#envRaw = readEnvOverrides(env);
  }

  /** Loads and validates; throws ConfigError naming the setting when an override or saved value is invalid. */
  async load(): Promise<CallsConfig> {
    const raw = await this.kv.get(SAVED_KEY);
    this.#saved = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    // A saved value that no longer parses must not stop the server: drop it and keep the default.
    let cfg = defaultConfig();
    for (const [key, value] of Object.entries(this.#saved)) {
      try {
        cfg = applyValues(cfg, {[key]: value}, 'saved');
      } catch {
        delete this.#saved[key];
      }
    }
    cfg = applyValues(cfg, this.#envRaw, 'env');
    cfg = this.#dropInvalidSaved(cfg);
    this.#set(cfg);
    return cfg;
  }

  /**
   * Validates; a saved value that a newer rule refuses (say a feature switch saved before the rule existed) is dropped
   * like one that no longer parses, so it cannot stop the server. An invalid environment override still throws.
   */
  #dropInvalidSaved(cfg: CallsConfig): CallsConfig {
    for (;;) {
      try {
        validateConfig(cfg);
        return cfg;
      } catch (err) {
        const key = err instanceof ConfigError ? err.key : '';
        if (!key || !(key in this.#saved) || key in this.#envRaw) throw err;
        delete this.#saved[key];
        cfg = applyValues(applyValues(defaultConfig(), this.#saved, 'saved'), this.#envRaw, 'env');
      }
    }
  }

  get(): CallsConfig {
    return this.#config;
  }

  /** Raw MM_CALLS_* values that apply, by setting key (GET /env). */
  envOverrides(): Partial<Record<ConfigKey, string>> {
    return {...this.#envRaw};
  }

  /**
   * Saves settings (a partial map of setting key → value, as the System Console sends them).
   * Validation failures throw ConfigError and change nothing. Env overrides stay on top.
   */
  async save(values: Record<string, unknown>): Promise<CallsConfig> {
    const saved = {...this.#saved};
    for (const [key, value] of Object.entries(values)) {
      if (!ALL_KEYS.includes(key as ConfigKey)) throw new ConfigError(key, `unknown setting ${key}`);
      saved[key] = key === 'ICEServersConfigs' && typeof value !== 'string' ? JSON.stringify(value) : value;
    }
    let cfg = applyValues(defaultConfig(), saved, 'saved');
    cfg = applyValues(cfg, this.#envRaw, 'env');
    validateConfig(cfg);
    await this.kv.set(SAVED_KEY, JSON.stringify(saved));
    this.#saved = saved;
    this.#set(cfg);
    return cfg;
  }

  /** Re-reads saved settings (another node saved them). */
  async reload(): Promise<CallsConfig> {
    return this.load();
  }

  /** The full config with secrets replaced, for logs. */
  redacted(): Record<string, unknown> {
    const out: Record<string, unknown> = {...this.#config};
    for (const k of SECRET_KEYS) if (out[k]) out[k] = '********';
    return out;
  }

  #set(cfg: CallsConfig) {
    const prev = this.#config;
    this.#config = Object.freeze(cfg) as CallsConfig;
    if (JSON.stringify(prev) !== JSON.stringify(cfg)) this.emit('change', this.#config, prev);
  }
}
