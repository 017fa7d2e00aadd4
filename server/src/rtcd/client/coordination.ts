// rtcd mode: no node of ours runs media; calls run on the rtcd hosts behind RTCDServiceURL. The client
// id and key come, in upstream's order, from MM_CLOUD_INSTALLATION_ID / MM_CALLS_RTCD_CLIENT_ID /
// the URL's user, and MM_CALLS_RTCD_AUTH_KEY / the URL's password / the stored config / a new random
// key; what is used is kept in the store (`rtcd_config`, as upstream keeps it in the plugin KV), so a
// restart presents the same credentials and a host that lost its store is registered with them again.
import {InProcessCallLock} from '../../calls/lock';
import type {Coordination} from '../../cluster/types';
import type {Logger} from '../../log';
import {storedClientCredentials} from '../../service-kit/client-credentials';
import {trustedCAs} from '../../service-kit/tls-trust';
import type {Store} from '../../store';
import type {RtcdCredentials} from './connection';
import {rtcdMedia} from './media';

const KV_KEY = 'rtcd_config';

export interface RtcdClientSettings {
  /** The service URL without credentials or trailing slash. */
  serviceURL: string;
  /** What the URL and the environment say; completed from the store at start. */
  clientID?: string;
  authKey?: string;
  /** The CAs an https:// service URL's certificates must chain to (MM_CALLS_TLS_CA_CERT_FILE); default Node's. */
  ca?: string[];
}

/** RTCDServiceURL and the environment, or null when rtcd mode is off. */
export function rtcdClientSettings(serviceURL: string, env: NodeJS.ProcessEnv): RtcdClientSettings | null {
  const raw = serviceURL.trim().replace(/\/+$/, '');
  if (!raw) return null;
  const url = new URL(raw);
  if (!url.port) throw new Error('RTCDServiceURL must name its port (http://host:port)');
  const fromURL = {id: decodeURIComponent(url.username), key: decodeURIComponent(url.password)};
  url.username = '';
  url.password = '';
  return {
    serviceURL: url.toString().replace(/\/+$/, ''),
    clientID: env.MM_CLOUD_INSTALLATION_ID || env.MM_CALLS_RTCD_CLIENT_ID || fromURL.id || undefined,
    authKey: env.MM_CALLS_RTCD_AUTH_KEY || fromURL.key || undefined,
    ca: url.protocol === 'https:' ? trustedCAs(env) : undefined,
  };
}

export interface RtcdCoordinationOptions {
  settings: RtcdClientSettings;
  nodeID: string;
  store: Store;
  orphanGraceMs: number;
  logger: Logger;
  /** DNS lookups of the service name (tests: a resolver on a loopback DNS server). */
  resolve4?: (hostname: string) => Promise<string[]>;
  recheckMs?: number;
}

export async function rtcdCoordination(o: RtcdCoordinationOptions): Promise<Coordination> {
  const log = o.logger.child({module: 'rtcd'});
  const credentials = await credentialsFor(o.settings, o.store, o.nodeID);
  const lock = new InProcessCallLock();
  const {hosts, router} = rtcdMedia({...o, credentials, lock});
  await hosts.start();
  log.info(
    {url: o.settings.serviceURL, clientID: credentials.clientID, hosts: hosts.ips()},
    'rtcd mode: calls run on rtcd hosts',
  );
  const media = router;
  return {
    nodeID: o.nodeID,
    mode: 'rtcd',
    media,
    lock,
    rtc: null,
    relay: null,
    close: () => media.close(),
  };
}

/** The credentials this node presents (the cluster version calls it under the cluster lock). */
export function credentialsFor(s: RtcdClientSettings, store: Store, nodeID: string): Promise<RtcdCredentials> {
  return storedClientCredentials(store, {
    kvKey: KV_KEY,
    serviceURL: s.serviceURL,
    clientID: s.clientID,
    authKey: s.authKey,
    defaultID: nodeID,
  });
}
