// The System Console's view of our settings: Mattermost stores plugin settings with lower-cased keys
// and ICEServersConfigs as a JSON string. Converts both ways, masks secrets (config/secrets.ts) and maps
// validation errors to 400.
import {badRequest} from '../errors';
import type {ConfigService} from './service';
import {ALL_KEYS} from './schema';
import {isUnchangedSecret, shownValue, withStoredPassword} from './secrets';
import {ConfigError} from './validate';

const BY_LOWER = new Map(ALL_KEYS.map((k) => [k.toLowerCase(), k]));

export function adminConfigView(config: ConfigService): Record<string, unknown> {
  const cfg = config.get() as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of ALL_KEYS) {
    const v = cfg[key];
    const shown = shownValue(key, v);
    out[key.toLowerCase()] =
      shown !== v
        ? shown
        : key === 'ICEServersConfigs'
          ? JSON.stringify(v)
          : key === 'ICEServers'
            ? (v as string[]).join(',')
            : v;
  }
  return out;
}

export async function saveAdminConfig(
  config: ConfigService,
  values: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const canonical: Record<string, unknown> = {};
  const current = config.get() as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(values)) {
    const key = BY_LOWER.get(k.toLowerCase());
    if (!key) throw badRequest('app.calls.config.invalid', `unknown setting ${k.slice(0, 64)}`);
    if (isUnchangedSecret(key, v)) continue;
    canonical[key] = withStoredPassword(key, v, current[key]);
  }
  try {
    await config.save(canonical);
  } catch (err) {
    if (err instanceof ConfigError) throw badRequest('app.calls.config.invalid', err.message, {setting: err.key});
    throw err;
  }
  return adminConfigView(config);
}
