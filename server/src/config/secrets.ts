// Settings marked "secret" in plugin.json (the TURN static auth secret, the ICE servers list with its
// credentials, the Azure speech key) never leave the server in clear. As Mattermost, an API shows a set
// secret as its fake value (32 asterisks), and a save that sends the fake value back keeps the stored one.
import type {ConfigKey} from './types';
import {SECRET_KEYS} from './schema';

/** Mattermost's model.FakeSetting. */
export const FAKE_SETTING = '********************************';

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key as ConfigKey);
}

/** A secret that holds something (an empty one is shown as empty: there is nothing to hide). */
function isSet(value: unknown): boolean {
  return !(value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0));
}

/** Service URLs may carry credentials (http://clientID:authKey@host:port): only their password is hidden. */
const URLS_WITH_CREDENTIALS = new Set<ConfigKey>(['RTCDServiceURL', 'JobServiceURL']);

function parsedURL(value: unknown): URL | null {
  if (typeof value !== 'string' || value === '') return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** The value to show for a setting: the fake value in place of a set secret, or of a URL's password. */
export function shownValue(key: ConfigKey, value: unknown): unknown {
  if (URLS_WITH_CREDENTIALS.has(key)) {
    const url = parsedURL(value);
    if (!url?.password) return value;
    url.password = FAKE_SETTING;
    return url.toString();
  }
  return isSecretKey(key) && isSet(value) ? FAKE_SETTING : value;
}

/** A saved service URL whose password is the fake value keeps the stored password. */
export function withStoredPassword(key: ConfigKey, saved: unknown, stored: unknown): unknown {
  if (!URLS_WITH_CREDENTIALS.has(key)) return saved;
  const url = parsedURL(saved);
  if (url?.password !== FAKE_SETTING) return saved;
  const old = parsedURL(stored);
  url.password = old?.password ?? '';
  return url.toString();
}

/** A copy of a map keyed by setting name with every set secret replaced by the fake value. */
export function maskSecrets<T extends Partial<Record<ConfigKey, unknown>>>(values: T): T {
  const out: Record<string, unknown> = {...values};
  for (const key of Object.keys(out)) out[key] = shownValue(key as ConfigKey, out[key]);
  return out as T;
}

/** True when a saved value is the fake value of a secret: the stored secret stays. */
export function isUnchangedSecret(key: ConfigKey, value: unknown): boolean {
  return isSecretKey(key) && value === FAKE_SETTING;
}
