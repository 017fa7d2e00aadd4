// The credentials a node presents to an upstream-style service (rtcd, a job service): the configured
// client id and key win, then what the store kept under `kvKey` (as the plugin keeps `rtcd_config` and
// `jobservice_config` in its KV), then `defaultID` and a new random key — saved back as
// {ClientID, AuthKey, URL}, so a restart, and every node of a cluster, presents the same ones.
import {randomBytes} from 'node:crypto';
import type {Store} from '../store';

export interface ClientCredentials {
  clientID: string;
  authKey: string;
}

export interface StoredCredentialsOptions {
  kvKey: string;
  serviceURL: string;
  clientID?: string;
  authKey?: string;
  defaultID: string;
  /** Reuse the stored key only when the stored URL is this one too (the job service's rule). */
  sameURLOnly?: boolean;
}

export const MIN_AUTH_KEY_LEN = 32;

export async function storedClientCredentials(store: Store, o: StoredCredentialsOptions): Promise<ClientCredentials> {
  let stored: {clientID?: string; authKey?: string; url?: string} = {};
  const raw = await store.kv.get(o.kvKey);
  if (raw) {
    try {
      const v = JSON.parse(raw) as {ClientID?: unknown; AuthKey?: unknown; URL?: unknown};
      stored = {
        clientID: typeof v.ClientID === 'string' ? v.ClientID : undefined,
        authKey: typeof v.AuthKey === 'string' ? v.AuthKey : undefined,
        url: typeof v.URL === 'string' ? v.URL : undefined,
      };
    } catch {
      stored = {};
    }
  }
  if (o.sameURLOnly && stored.url !== o.serviceURL) stored = {};
  const clientID = o.clientID ?? stored.clientID ?? o.defaultID;
  const authKey =
    o.authKey ??
    (stored.clientID === clientID ? stored.authKey : undefined) ??
    // 24 random bytes: 32 base64url characters, upstream's random.NewSecureString(32).
    randomBytes(24).toString('base64url');
  if (authKey.length < MIN_AUTH_KEY_LEN)
    throw new Error(`the ${o.kvKey} auth key must be at least ${MIN_AUTH_KEY_LEN} characters`);
  await store.kv.set(o.kvKey, JSON.stringify({ClientID: clientID, AuthKey: authKey, URL: o.serviceURL}));
  return {clientID, authKey};
}
