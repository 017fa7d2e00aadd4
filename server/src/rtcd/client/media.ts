// The rtcd client's two halves wired together, the same on one node and on a cluster: the hosts behind the
// service URL (connections, DNS re-resolution) and the media router calls/ drives, each told of the other.
import dns from 'node:dns';
import type {CallLock} from '../../calls/lock';
import type {Logger} from '../../log';
import type {Store} from '../../store';
import type {RtcdCredentials} from './connection';
import {RtcdHosts} from './hosts';
import {RtcdMediaRouter, type RtcdRouterCluster} from './router';

export interface RtcdMediaOptions {
  /** The service URL, and the CAs an https:// one's certificates must chain to. */
  settings: {serviceURL: string; ca?: string[]};
  credentials: RtcdCredentials;
  lock: CallLock;
  store: Store;
  orphanGraceMs: number;
  logger: Logger;
  /** DNS lookups of the service name (tests: a resolver on a loopback DNS server). */
  resolve4?: (hostname: string) => Promise<string[]>;
  recheckMs?: number;
  cluster?: RtcdRouterCluster;
}

/** Not started: `hosts.start()` opens the connections once the caller is ready for their messages. */
export function rtcdMedia(o: RtcdMediaOptions): {hosts: RtcdHosts; router: RtcdMediaRouter} {
  const hosts = new RtcdHosts({
    serviceURL: o.settings.serviceURL,
    ca: o.settings.ca,
    credentials: o.credentials,
    logger: o.logger,
    resolve4: o.resolve4 ?? ((name) => dns.promises.resolve4(name)),
    onMessage: (ip, msg) => router.onHostMessage(ip, msg),
    onUnavailable: (ip) => router.hostUnavailable(ip),
    onConnected: (ip) => router.hostConnected(ip),
    recheckMs: o.recheckMs,
  });
  const router: RtcdMediaRouter = new RtcdMediaRouter({
    hosts,
    lock: o.lock,
    serviceURL: o.settings.serviceURL,
    ca: o.settings.ca,
    credentials: o.credentials,
    calls: o.store.calls,
    graceMs: o.orphanGraceMs,
    logger: o.logger,
    cluster: o.cluster,
  });
  return {hosts, router};
}
