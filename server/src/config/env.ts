// MM_CALLS_<FIELD> environment overrides (reference §5.2): the field name split at word boundaries
// the way upstream does it (so EnableIPv6 becomes ENABLE_I_PV6), values parsed by the setting's type.
import type {ConfigKey} from './types';
import {ALL_KEYS} from './schema';

export function envNameFor(key: string): string {
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    const prev = key[i - 1];
    const next = key[i + 1];
    const isUpper = c >= 'A' && c <= 'Z';
    if (i > 0 && isUpper) {
      const prevLower = prev >= 'a' && prev <= 'z';
      const prevUpper = prev >= 'A' && prev <= 'Z';
      const nextLower = next !== undefined && next >= 'a' && next <= 'z';
      if (prevLower || (prevUpper && nextLower)) out += '_';
    }
    out += c;
  }
  return 'MM_CALLS_' + out.toUpperCase();
}

/** Deprecated aliases: used only when the canonical variable is absent. */
const ALIASES: Partial<Record<ConfigKey, string>> = {
  RTCDServiceURL: 'MM_CALLS_RTCD_URL',
  MaxCallParticipants: 'MM_CALLS_MAX_PARTICIPANTS',
};

/** The raw env values that apply, by setting key (what GET /env returns). */
export function readEnvOverrides(env: NodeJS.ProcessEnv): Partial<Record<ConfigKey, string>> {
  const out: Partial<Record<ConfigKey, string>> = {};
  for (const key of ALL_KEYS) {
    let raw = env[envNameFor(key)];
    const alias = ALIASES[key];
    if (raw === undefined && alias) raw = env[alias];
    if (raw !== undefined) out[key] = raw;
  }
  return out;
}

/**
 * MM_CALLS_GROUP_CALLS_ALLOWED=true: calls outside DMs on an unlicensed server. A process variable, not a
 * setting (upstream reads it from the environment too); read once, where the app is assembled.
 */
export function groupCallsAllowedByEnv(env: NodeJS.ProcessEnv): boolean {
  return env.MM_CALLS_GROUP_CALLS_ALLOWED === 'true';
}
