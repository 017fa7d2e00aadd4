// What a media worker tells the primary outside its relay: a metric to count in the primary's registry
// (the workers have none), source addresses it no longer needs routed to it, and a datagram that reached
// its socket but belongs to no session of its own (the primary's mux finds the owner).
import type {RtcMetrics} from '../../metrics';
import type {RtcNetwork} from '../net/rtcNetwork';
import type {MediaWorker} from './mediaWorker';
import type {FromWorker} from './workerProtocol';

export function applyWorkerMessage(
  worker: MediaWorker,
  m: Exclude<FromWorker, {t: 'relay'}>,
  network: RtcNetwork,
  metrics: RtcMetrics,
): void {
  switch (m.t) {
    case 'metric': {
      const fn = (metrics as unknown as Record<string, (...a: (string | number)[]) => void>)[m.m];
      if (typeof fn === 'function' && m.m !== 'registerRTPCounters' && m.m !== 'registerWorkerStats')
        fn.apply(metrics, m.a);
      break;
    }
    case 'release': {
      const socket = network.udp.sockets[m.socket];
      const endpoint = worker.udpEndpoints[m.socket];
      if (!socket || !endpoint) break;
      socket.releaseSources(endpoint, m.keys);
      for (const key of m.keys) worker.sourceIDs[m.socket]?.delete(key);
      break;
    }
    case 'stray':
      network.udp.sockets[m.socket]?.deliver(Buffer.from(m.data, 'base64'), m.host, m.port, `${m.host}:${m.port}`);
      break;
    default:
      break;
  }
}

/** The worker is gone: every source address routed to it is routed by the mux again. */
export function releaseWorkerSources(worker: MediaWorker, network: RtcNetwork): void {
  for (const [k, socket] of network.udp.sockets.entries()) {
    const endpoint = worker.udpEndpoints[k];
    if (endpoint) socket.releaseSources(endpoint, [...(worker.sourceIDs[k]?.keys() ?? [])]);
  }
}
