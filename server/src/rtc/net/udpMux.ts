// One UDP port for every session: a socket per local address, all on the same port, and a demux that
// hands each datagram to the session it belongs to (STUN USERNAME ufrag first, then the learnt source).
import {createSocket, type RemoteInfo, type Socket} from 'node:dgram';
import {closeSync} from 'node:fs';
import {lookup as dnsLookup, type LookupOneOptions} from 'node:dns';
import {isIP} from 'node:net';
import type {Logger} from '../../log';
import {Egress} from '../fastpath/egress';
import {rtcNative, socketFd} from '../fastpath/native';
import {uninstallRoutesSendingOn} from '../fastpath/installedRoutes';
import type {Address} from './address';
import {receiveInsteadOfDgram, type BatchedSocket} from './batchedReceive';
import {openOnSamePort} from './same-port';
import {bindingRequestUfrag} from './stun';

export type {Address} from './address';

/**
 * Socket buffers of the shared port. Every session's media arrives on this one socket, so the kernel's
 * default (~200 KB, a few hundred small datagrams) overflows on any event-loop pause under load; the
 * kernel caps the request at net.core.rmem_max / wmem_max.
 */
const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

/** What a session's ICE agent exposes to the mux: where its datagrams go. */
export interface MuxEndpoint {
  /**
   * `key` is "host:port" of `addr`, already built by the mux. `authentic`: the datagram is a binding request that
   * this endpoint's authenticate() just accepted (anything else must be checked again by whoever acts on a check).
   * `receiver`: the batched receiver (batchedReceive.ts) that read it, if one did (native routes are keyed on it).
   */
  receive(data: Buffer, addr: Address, key: string, authentic: boolean, receiver?: number): void;
  /**
   * Whether a binding request naming this endpoint's ufrag is authentic (MESSAGE-INTEGRITY with the
   * session's ICE password). Absent where the password lives elsewhere (a media worker checks it there).
   */
  authenticate?(request: Buffer): boolean;
}

/** A datagram hook used briefly at startup (STUN discovery) before sessions exist; returns true if consumed. */
export type DatagramInterceptor = (data: Buffer, rinfo: RemoteInfo) => boolean;

export class UdpMuxSocket {
  readonly localAddress: string;
  readonly family: 4 | 6;
  readonly socket: Socket;
  readonly #byUfrag = new Map<string, MuxEndpoint>();
  readonly #bySource = new Map<string, MuxEndpoint>();
  readonly #sourcesOf = new Map<MuxEndpoint, Set<string>>();
  readonly #interceptors = new Set<DatagramInterceptor>();
  #closed = false;
  #dropped = 0;
  /**
   * Where a binding request goes whose ufrag no session here registered (media workers: the primary
   * routes by the worker tag in the ufrag).
   */
  resolveUfrag: ((ufrag: string) => MuxEndpoint | undefined) | undefined;
  /**
   * Told which sources no endpoint here owns: those of an endpoint that unregisters, and those whose binding
   * request was refused (a worker tells its primary, which bound the source on the ufrag's worker tag alone
   * and would otherwise keep it: one entry per source address a hostile sender makes up).
   */
  onRelease: ((keys: string[]) => void) | undefined;
  #refused: Set<string> | undefined;

  /** Batched sends through the native addon (IPv4 sockets, when the addon is in use). */
  readonly egress: Egress | undefined;
  /** Batched receives through the native addon (IPv4 sockets; batchedReceive.ts); undefined: dgram's 'message'. */
  readonly batched: BatchedSocket | undefined;

  /** `receive` false: datagrams come in through deliver() (a media worker sharing the primary's socket). */
  constructor(localAddress: string, socket: Socket, receive = true) {
    this.localAddress = localAddress;
    this.family = isIP(localAddress) === 6 ? 6 : 4;
    this.socket = socket;
    const native = rtcNative();
    const fd = native && this.family === 4 ? socketFd(socket) : undefined;
    this.egress = native && fd !== undefined ? new Egress(native, fd) : undefined;
    this.batched =
      receive && fd !== undefined
        ? receiveInsteadOfDgram(socket, (data, host, port, key) =>
            this.deliver(
              data,
              host,
              port,
              key,
              this.#interceptors.size > 0 ? {address: host, family: 'IPv4', port, size: data.length} : undefined,
              this.batched?.id,
            ),
          )
        : undefined;
    if (receive && !this.batched) socket.on('message', (data, rinfo) => this.#onMessage(data, rinfo));
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Datagrams that matched no session (stray, late or hostile). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Sources ("host:port") routed to an endpoint right now. */
  get sourceCount(): number {
    return this.#bySource.size;
  }

  get endpointCount(): number {
    return this.#sourcesOf.size;
  }

  /** The endpoint a source ("host:port") is routed to, if any. */
  endpointOf(key: string): MuxEndpoint | undefined {
    return this.#bySource.get(key);
  }

  register(ufrag: string, endpoint: MuxEndpoint): void {
    this.#byUfrag.set(ufrag, endpoint);
    if (!this.#sourcesOf.has(endpoint)) this.#sourcesOf.set(endpoint, new Set());
  }

  hasUfrag(ufrag: string): boolean {
    return this.#byUfrag.has(ufrag);
  }

  unregister(endpoint: MuxEndpoint): void {
    for (const [ufrag, ep] of this.#byUfrag) if (ep === endpoint) this.#byUfrag.delete(ufrag);
    const sources = this.#sourcesOf.get(endpoint);
    const released: string[] = [];
    if (sources) {
      for (const key of sources) {
        if (this.#bySource.get(key) !== endpoint) continue;
        this.#bySource.delete(key);
        released.push(key);
      }
    }
    this.#sourcesOf.delete(endpoint);
    if (released.length > 0) this.onRelease?.(released);
  }

  /** Forgets sources that `endpoint` owned (the worker behind it released them). */
  releaseSources(endpoint: MuxEndpoint, keys: string[]): void {
    const owned = this.#sourcesOf.get(endpoint);
    for (const key of keys) {
      if (this.#bySource.get(key) !== endpoint) continue;
      this.#bySource.delete(key);
      owned?.delete(key);
    }
  }

  addInterceptor(fn: DatagramInterceptor): () => void {
    this.#interceptors.add(fn);
    return () => this.#interceptors.delete(fn);
  }

  send(data: Buffer, addr: Address): void {
    if (this.#closed) return;
    if (this.egress?.queue(data, addr)) return;
    this.socket.send(data, addr[1], addr[0]);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.egress) uninstallRoutesSendingOn(this.egress.fd);
    this.egress?.close();
    this.batched?.close();
    this.#closed = true;
    this.#byUfrag.clear();
    this.#bySource.clear();
    this.#sourcesOf.clear();
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  #onMessage(data: Buffer, rinfo: RemoteInfo): void {
    const host = rinfo.family === 'IPv6' && rinfo.address.includes('%') ? rinfo.address.split('%')[0] : rinfo.address;
    this.deliver(data, host, rinfo.port, `${host}:${rinfo.port}`, rinfo);
  }

  /** A binding request from `key` was not accepted: if no endpoint owns the source, say so (batched per turn). */
  #refuse(key: string): void {
    if (!this.onRelease || this.#bySource.has(key)) return;
    if (!this.#refused) {
      this.#refused = new Set();
      setImmediate(() => {
        const keys = [...(this.#refused ?? [])].filter((k) => !this.#bySource.has(k));
        this.#refused = undefined;
        if (keys.length > 0 && !this.#closed) this.onRelease?.(keys);
      });
    }
    this.#refused.add(key);
  }

  /** Routes one datagram from host:port (`key` = "host:port") to its session; `receiver` read it, if batched. */
  deliver(data: Buffer, host: string, port: number, key: string, rinfo?: RemoteInfo, receiver?: number): void {
    let endpoint: MuxEndpoint | undefined;
    let authentic = false;
    // Connectivity checks name their target; they also (re)bind the source, so a client port reused by a
    // new peer connection moves to the new session — but only an authentic check: knowing a ufrag (it
    // travels in clear) must not let anyone route datagrams into another session.
    if (data.length >= 20 && data[0] === 0x00 && data[1] === 0x01) {
      const ufrag = bindingRequestUfrag(data);
      endpoint = ufrag === undefined ? undefined : (this.#byUfrag.get(ufrag) ?? this.resolveUfrag?.(ufrag));
      if (endpoint?.authenticate) {
        if (!endpoint.authenticate(data)) {
          this.#dropped++;
          this.#refuse(key);
          return;
        }
        authentic = true;
      }
      if (!endpoint) this.#refuse(key);
      if (endpoint) {
        const previous = this.#bySource.get(key);
        if (previous !== endpoint) {
          if (previous) this.#sourcesOf.get(previous)?.delete(key);
          this.#bySource.set(key, endpoint);
          let sources = this.#sourcesOf.get(endpoint);
          if (!sources) this.#sourcesOf.set(endpoint, (sources = new Set()));
          sources.add(key);
        }
      }
    }
    endpoint ??= this.#bySource.get(key);
    if (!endpoint) {
      if (rinfo) for (const fn of this.#interceptors) if (fn(data, rinfo)) return;
      this.#dropped++;
      return;
    }
    endpoint.receive(data, [host, port], key, authentic, receiver);
  }
}

/** The set of sockets that make up "the RTC UDP port". */
export class UdpMux {
  readonly sockets: UdpMuxSocket[];
  /** Whether the sockets have SO_REUSEPORT (media workers may bind connected sockets beside them). */
  readonly reusePort: boolean;
  readonly #logger: Logger;

  constructor(sockets: UdpMuxSocket[], logger: Logger, reusePort = false) {
    this.sockets = sockets;
    this.#logger = logger;
    this.reusePort = reusePort;
  }

  get port(): number {
    return this.sockets[0]?.port ?? 0;
  }

  /**
   * Binds one socket per address on the same port. With port 0 the first socket picks an ephemeral port
   * and the others follow it; if that port is taken on another address we retry with a new one.
   * `reusePort`: the sockets get SO_REUSEPORT (through the native addon), so media workers can bind sockets
   * connected to single clients on the same address and port (workers/directSockets.ts).
   */
  static async bind(
    addresses: string[],
    port: number,
    logger: Logger,
    opts: {reusePort?: boolean} = {},
  ): Promise<UdpMux> {
    if (addresses.length === 0) throw new Error('no address to bind the RTC UDP port on');
    const reusePort = opts.reusePort === true;
    const sockets = await openOnSamePort(
      addresses,
      port,
      async (address, p) => new UdpMuxSocket(address, await (reusePort ? bindReusePort : bindOne)(address, p)),
    );
    logger.info({port: sockets[0].port, addresses, reusePort}, 'rtc udp port bound');
    return new UdpMux(sockets, logger, reusePort);
  }

  socketFor(localAddress: string): UdpMuxSocket | undefined {
    return this.sockets.find((s) => s.localAddress === localAddress);
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((s) => s.close()));
    this.#logger.debug('rtc udp port closed');
  }
}

/**
 * dgram resolves every destination, even an IP literal, through dns.lookup and a process.nextTick before
 * the send; peers are addressed by IP, so answer synchronously and send within the same call.
 */
function literalLookup(
  hostname: string,
  options: LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, typeof options === 'number' ? {family: options} : options, callback);
}

/**
 * A shared RTC socket with SO_REUSEPORT. A fixed port is first bound once without it, then released: the bind
 * fails, as without SO_REUSEPORT, when anything already holds the port (another server with SO_REUSEPORT would
 * otherwise silently share it).
 */
async function bindReusePort(address: string, port: number): Promise<Socket> {
  const native = rtcNative();
  if (!native?.udpReusePortSocket) throw new Error('SO_REUSEPORT sockets need the native addon');
  if (port !== 0) {
    const probe = await bindOne(address, port);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
  const fd = native.udpReusePortSocket(isIP(address) === 6 ? 6 : 4, address, port);
  return wrapFd(fd, address, {recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES});
}

/** A dgram socket over a bound UDP socket's fd (created by the addon); the fd is closed if dgram refuses it. */
export function wrapFd(
  fd: number,
  address: string,
  buffers: {recvBufferSize?: number; sendBufferSize?: number} = {},
): Promise<Socket> {
  const socket = createSocket({type: isIP(address) === 6 ? 'udp6' : 'udp4', ...buffers, lookup: literalLookup});
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      try {
        socket.close();
      } catch {
        // never bound
      }
      reject(err);
    };
    socket.once('error', onError);
    try {
      socket.bind({fd}, () => {
        socket.off('error', onError);
        socket.on('error', () => {});
        resolve(socket);
      });
    } catch (err) {
      closeSync(fd);
      onError(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

function bindOne(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: isIP(address) === 6 ? 'udp6' : 'udp4',
      reuseAddr: false,
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
      lookup: literalLookup,
    });
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({address, port, exclusive: true}, () => {
      socket.off('error', onError);
      // A send error on one datagram (unreachable peer) must not take the shared socket down.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}
