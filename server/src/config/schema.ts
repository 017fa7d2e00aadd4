// The settings schema from plugin.json, the single source of defaults and of each setting's type.
import manifest from '../../../plugin.json';
import type {CallsConfig, ConfigKey} from './types';

export type SettingType = 'bool' | 'number' | 'text' | 'longtext' | 'dropdown' | 'custom' | 'radio';

export interface SettingSchema {
  key: ConfigKey;
  display_name: string;
  type: SettingType;
  help_text: string;
  default?: unknown;
  secret?: boolean;
  options?: {display_name: string; value: string}[];
}

interface ManifestSection {
  key: string;
  settings: SettingSchema[];
}

export const PLUGIN_ID: string = manifest.id;
export const PLUGIN_VERSION: string = manifest.version;
export const manifestJson = manifest;

export const SETTINGS: SettingSchema[] = (manifest.settings_schema.sections as unknown as ManifestSection[]).flatMap(
  (s) => s.settings,
);

export const SETTINGS_BY_KEY: ReadonlyMap<ConfigKey, SettingSchema> = new Map(SETTINGS.map((s) => [s.key, s]));

/** Settings that exist in the config but not in the schema (deprecated upstream fields). */
const HIDDEN_DEFAULTS: Partial<CallsConfig> = {ICEServers: []};

/** The defaults of every setting, parsed to their typed form. */
export function defaultConfig(): CallsConfig {
  const out: Record<string, unknown> = {...HIDDEN_DEFAULTS};
  for (const s of SETTINGS) {
    if (s.key === 'ICEServersConfigs') out[s.key] = JSON.parse(String(s.default ?? '[]'));
    else out[s.key] = s.default === undefined ? null : s.default;
  }
  return out as unknown as CallsConfig;
}

/** Keys whose values are secrets: never logged, only shown to system admins. */
export const SECRET_KEYS: ReadonlySet<ConfigKey> = new Set(SETTINGS.filter((s) => s.secret).map((s) => s.key));

export const ALL_KEYS: ConfigKey[] = [...SETTINGS.map((s) => s.key), 'ICEServers'];
