// Entry point of a media worker process: a whole SFU (sessions, calls, forwarding) on the primary's RTC
// sockets. Inbound datagrams come from the primary as frames on a pipe (fd 4); outbound ones leave
// directly through this process's copy of the shared UDP socket, so the one RTC port is kept and the
// costly fan-out runs here. Once a client's media path is known, the worker receives it on a socket of its own
// (directSockets.ts) and the primary stops relaying it. Control (sessions, signaling, events, metrics) is IPC JSON (workerProtocol.ts).
import type {Socket as UdpSocket} from 'node:dgram';
import {Socket as NetSocket} from 'node:net';
import {AppError} from '../../errors';
import {setListenerErrorReporter} from '../../events';
import {startHeapTrim} from '../../heap-trim';
import {mapLargeAllocations} from '../../memory-sizing';
import {startStallWatch} from '../../stall-watch';
import {createLogger, type Logger} from '../../log';
import {newRtpCounters, type RtcMetrics, type RtpCounters} from '../../metrics';
import type {HostCandidate} from '../net/iceMux';
import {configureRtcNative, rtcNative} from '../fastpath/native';
import {configureNativeRoutes, nativeRoutesTaken} from '../fastpath/nativeRoute';
import {configureBatchedReceive} from '../net/batchedReceive';
import {SfuServer} from '../server';
import {TcpMux, TcpMuxListener} from '../net/tcpMux';
import {UdpMux, UdpMuxSocket} from '../net/udpMux';
import type {RelayFrame} from '../../relay/codec';
import {forwardTo, refuseAll, relayEvents, RelayDispatcher} from '../../relay/dispatcher';
import type {Handlers} from '../../relay/protocol';
import {sfuRelay} from '../../relay/sfu';
import {DirectSockets} from './directSockets';
import {udpHandleOf} from '../net/udp-handle';
import {
  FrameReader,
  workerRelay,
  workerTag,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
  type WorkerStatsReply,
} from './workerProtocol';

const send = (m: FromWorker) => {
  if (process.connected) process.send!(m);
};

/** The RtcMetrics calls a worker forwards as they are made; the primary applies them by name, in its registry. */
type ForwardedMetric = Exclude<keyof RtcMetrics, 'registerRTPCounters' | 'registerWorkerStats'>;
const FORWARDED_METRICS: Record<ForwardedMetric, true> = {
  incRTPTracks: true,
  decRTPTracks: true,
  observeRTPTracksWrite: true,
  incRTCSessions: true,
  decRTCSessions: true,
  incRTCConnState: true,
  incRTCErrors: true,
  observeRTCConnectionTime: true,
  observeRTCDCOpenTime: true,
  observeRTCSignalingLockGrabTime: true,
  observeRTCSignalingLockLockedTime: true,
  observeRTCClientLossRate: true,
  observeRTCClientRTT: true,
  observeRTCClientJitter: true,
};

/** RtcMetrics over IPC; the RTP counters stay here, read when the primary asks for them. */
function ipcRtcMetrics(): RtcMetrics & {counters?: () => RtpCounters | Promise<RtpCounters>} {
  const forwarded = Object.fromEntries(
    Object.keys(FORWARDED_METRICS).map((m) => [m, (...a: (string | number)[]) => send({t: 'metric', m, a})]),
  ) as Pick<RtcMetrics, ForwardedMetric>;
  const metrics: ReturnType<typeof ipcRtcMetrics> = {
    ...forwarded,
    registerRTPCounters(_g, read) {
      metrics.counters = read;
      return () => {
        if (metrics.counters === read) metrics.counters = undefined;
      };
    },
  };
  return metrics;
}

/**
 * The worker's copy of a shared socket must not read: the kernel would hand it datagrams meant for
 * other workers. Node has no public call for that; its handle's recvStop() does it. The sync lookup
 * spares each send a dns.lookup and a nextTick (as udpMux.ts does for the primary's sockets).
 */
function makeSendOnly(socket: UdpSocket): boolean {
  const handle = udpHandleOf(socket);
  if (!handle) return false;
  handle.recvStop();
  const original = handle.lookup;
  if (typeof original === 'function') {
    handle.lookup = (address: string, cb: (err: Error | null, ip: string) => void) => {
      if (/^[\d.]+$|:/.test(address)) cb(null, address);
      else original.call(handle, address, cb);
    };
  }
  return true;
}

let init: WorkerInit | undefined;
const udpHandles: UdpSocket[] = [];
let sfu: SfuServer | undefined;
let logger: Logger | undefined;
const metrics = ipcRtcMetrics();
const muxSockets: UdpMuxSocket[] = [];
/** Per UDP socket, the worker's own sockets for its clients (undefined: relayed only). */
const directSockets: (DirectSockets | undefined)[] = [];
let relayedDatagrams = 0;
const tcpListeners: TcpMuxListener[] = [];
const sources = new Map<number, {host: string; port: number; key: string}>();
/** Per UDP socket, the primary's source id of each source key (so a released source is forgotten here too). */
const sourceIdOfKey: Map<string, number>[] = [];
const pendingTcp: {listener: number; socket: NetSocket; remote: [string, number]; data: Buffer}[] = [];

function start(): void {
  if (!init || sfu || udpHandles.filter(Boolean).length < init.udp.length) return;
  const i = init;
  logger = createLogger({level: i.logLevel}).child({component: 'rtc', worker: i.index});
  const log = logger;
  setListenerErrorReporter((err, event) => log.error({err, event}, 'event listener failed'));
  process.on('unhandledRejection', (reason) => log.error({err: reason}, 'unhandled promise rejection'));
  configureRtcNative(i.opts.native ?? 'auto');
  configureBatchedReceive(i.opts.batchedReceive !== false);
  configureNativeRoutes(i.opts.nativeRoutes !== false);
  mapLargeAllocations();
  startHeapTrim();
  startStallWatch(log);
  i.udp.forEach((u, k) => {
    const handle = udpHandles[k];
    // A failed send without a callback surfaces as 'error' on the socket: one unreachable client must not end the worker.
    handle.on('error', (err) => log.debug({err: err.message}, 'rtc socket error'));
    if (!makeSendOnly(handle))
      logger!.warn('cannot stop the shared socket reading in this worker; relaying its datagrams');
    // Whatever this copy still reads (only before recvStop, or always without it) goes back to the primary.
    handle.on('message', (data, rinfo) =>
      send({t: 'stray', socket: k, host: rinfo.address, port: rinfo.port, data: data.toString('base64')}),
    );
    const mux = new UdpMuxSocket(u.localAddress, handle, false);
    const native = rtcNative();
    const direct =
      u.reusePort && i.opts.directSockets !== false && native?.udpReusePortSocket
        ? new DirectSockets({udpReusePortSocket: native.udpReusePortSocket.bind(native)}, mux, u.port, log)
        : undefined;
    const ids = new Map<string, number>();
    sourceIdOfKey.push(ids);
    mux.onRelease = (keys) => {
      direct?.release(keys);
      for (const key of keys) {
        const id = ids.get(key);
        if (id !== undefined) sources.delete(id);
        ids.delete(key);
      }
      send({t: 'release', socket: k, keys});
    };
    muxSockets.push(mux);
    directSockets.push(direct);
  });
  i.tcp.forEach((t) => tcpListeners.push(new TcpMuxListener(t.localAddress, undefined, logger!, t.port)));
  const candidates: HostCandidate[] = i.candidates.map((c) =>
    c.transport === 'udp'
      ? {
          transport: 'udp',
          socket: muxSockets[c.socket],
          address: c.address,
          port: c.port,
          advertise: c.advertise,
          reflexive: c.reflexive,
        }
      : {
          transport: 'tcp',
          listener: tcpListeners[c.listener],
          address: c.address,
          port: c.port,
          advertise: c.advertise,
        },
  );
  const network = {
    udp: new UdpMux(muxSockets, logger),
    tcp: tcpListeners.length > 0 ? new TcpMux(tcpListeners) : undefined,
    candidates,
  };
  const server = SfuServer.fromNetwork(i.opts, network, logger, {
    metrics,
    groupID: i.groupID,
    ufragPrefix: workerTag(i.index),
  });
  sfu = server;
  relay = dispatcher(workerHandlers(server));
  relayEvents(server, workerRelay.events, (ev, args) => relay.emit(ev, ...args));
  const reader = new FrameReader((socket, sourceID, address, port, data) => {
    let source = sources.get(sourceID);
    if (address !== undefined) {
      source = {host: address, port, key: `${address}:${port}`};
      sources.set(sourceID, source);
      sourceIdOfKey[socket]?.set(source.key, sourceID);
    }
    relayedDatagrams++;
    if (!source) return;
    muxSockets[socket]?.deliver(data, source.host, source.port, source.key);
    directSockets[socket]?.noteRelayed(data, source.host, source.port, source.key);
  });
  const pipe = new NetSocket({fd: 4, readable: true, writable: false});
  pipe.on('data', (chunk: Buffer) => reader.push(chunk));
  pipe.on('error', () => {});
  for (const t of pendingTcp.splice(0)) tcpListeners[t.listener]?.adoptConnection(t.socket, t.remote, t.data);
  send({t: 'ready'});
}

/** The SFU's own operations go to it by name; the rest are the worker's. */
function workerHandlers(server: SfuServer): Handlers<typeof workerRelay.ops> {
  return {
    ...forwardTo(sfuRelay, server),
    stats: async () => {
      const cpu = process.cpuUsage();
      const s = server.stats;
      const c = (await metrics.counters?.()) ?? newRtpCounters();
      const reply: WorkerStatsReply = {
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        rssBytes: process.memoryUsage.rss(),
        sessions: s.sessions,
        calls: s.calls,
        droppedDatagrams: s.droppedDatagrams,
        muxEndpoints: s.muxEndpoints,
        ...c,
        relayedDatagrams,
        // What the addon's routes took came in on the direct sockets too (a worker's only batched receivers).
        directDatagrams: directSockets.reduce((n, d) => n + (d?.received ?? 0), 0) + nativeRoutesTaken(),
        directSockets: directSockets.reduce((n, d) => n + (d?.open ?? 0), 0),
      };
      return reply;
    },
    ping: () => undefined,
    close: async () => {
      for (const d of directSockets) d?.close();
      await server.close();
    },
  };
}

function dispatcher(
  handlers: Handlers<typeof workerRelay.ops>,
): RelayDispatcher<typeof workerRelay.ops, typeof workerRelay.events> {
  return new RelayDispatcher({
    protocol: workerRelay,
    handlers,
    internalErrorID: 'app.rtc.worker_error',
    post: (f: RelayFrame, op) => {
      if (!process.connected) return;
      // After `close` the process ends, once the reply is on its way.
      process.send!(
        {t: 'relay', f} satisfies FromWorker,
        undefined,
        {},
        op === 'close' && f.k === 'reply' ? () => process.exit(0) : undefined,
      );
    },
    onInvalid: (err) => logger?.warn({err: err.message}, 'media worker refused a relay frame'),
    onNoteError: (op, err) => logger?.warn({err, op}, 'media worker operation failed'),
  });
}

/** Until the SFU runs, every operation is refused (the primary waits for `ready` before it calls). */
let relay = dispatcher(
  refuseAll(workerRelay, () => new AppError('app.rtc.worker_starting', 'media worker is starting', 503)),
);

process.on('message', (msg: ToWorker, handleObj?: unknown) => {
  switch (msg.t) {
    case 'init':
      init = msg;
      start();
      break;
    case 'udpSocket':
      udpHandles[msg.index] = handleObj as UdpSocket;
      start();
      break;
    case 'tcp': {
      const socket = handleObj as NetSocket | undefined;
      if (!socket) break;
      const data = Buffer.from(msg.data, 'base64');
      if (sfu) tcpListeners[msg.listener]?.adoptConnection(socket, msg.remote, data);
      else pendingTcp.push({listener: msg.listener, socket, remote: msg.remote, data});
      break;
    }
    case 'relay':
      void relay.receive(msg.f);
      break;
  }
});

// The primary is gone: nothing can reach these sessions any more.
process.on('disconnect', () => process.exit(0));
