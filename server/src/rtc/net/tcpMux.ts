// ICE-TCP on one port (RFC 6544 passive candidates, RFC 4571 framing): a listener per local address
// reads the first framed STUN binding request of each connection and hands the socket to the session
// whose ufrag it names.
import {createServer, isIP, type Server, type Socket} from 'node:net';
import type {Logger} from '../../log';
import {openOnSamePort} from './same-port';
import {bindingRequestUfrag} from './stun';
import type {Address} from './udpMux';

/** A session's TCP side: takes ownership of a connection whose first frames are already read. */
export interface TcpMuxEndpoint {
  adopt(socket: Socket, remote: Address, frames: Buffer[], rest: Buffer): void;
  /** Whether the connection's first binding request is authentic (see MuxEndpoint.authenticate). */
  authenticate?(request: Buffer): boolean;
}

/** A connection that does not identify itself in this time is dropped. */
const FIRST_FRAME_TIMEOUT_MS = 10_000;
/** A first frame larger than this is not a binding request. */
const MAX_FIRST_FRAME = 1500;

export class TcpMuxListener {
  readonly localAddress: string;
  /** Undefined in a media worker: its connections are accepted by the primary and adopted here. */
  readonly server: Server | undefined;
  readonly #byUfrag = new Map<string, TcpMuxEndpoint>();
  readonly #pending = new Set<Socket>();
  readonly #logger: Logger;
  readonly #port: number;
  #closed = false;
  /** Where a connection goes whose ufrag no session here registered (the primary: a media worker). */
  resolveUfrag: ((ufrag: string) => TcpMuxEndpoint | undefined) | undefined;

  constructor(localAddress: string, server: Server | undefined, logger: Logger, port = 0) {
    this.localAddress = localAddress;
    this.server = server;
    this.#logger = logger;
    this.#port = port;
    server?.on('connection', (socket) => this.#onConnection(socket));
  }

  get port(): number {
    const addr = this.server?.address();
    return addr && typeof addr === 'object' ? addr.port : this.#port;
  }

  /** Takes a connection accepted elsewhere, with the bytes already read from it. */
  adoptConnection(socket: Socket, remote: Address, initial: Buffer): void {
    this.#onConnection(socket, remote, initial);
  }

  register(ufrag: string, endpoint: TcpMuxEndpoint): void {
    this.#byUfrag.set(ufrag, endpoint);
  }

  unregister(endpoint: TcpMuxEndpoint): void {
    for (const [ufrag, ep] of this.#byUfrag) if (ep === endpoint) this.#byUfrag.delete(ufrag);
  }

  get pendingConnections(): number {
    return this.#pending.size;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const s of this.#pending) s.destroy();
    this.#pending.clear();
    this.#byUfrag.clear();
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  #onConnection(socket: Socket, knownRemote?: Address, initial?: Buffer): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const remote: Address = knownRemote ?? [stripZone(socket.remoteAddress ?? ''), socket.remotePort ?? 0];
    this.#pending.add(socket);
    let buffer: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => drop('timeout'), FIRST_FRAME_TIMEOUT_MS);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      this.#pending.delete(socket);
    };
    const drop = (reason: string) => {
      cleanup();
      socket.destroy();
      this.#logger.debug({remote, reason}, 'ice-tcp connection dropped');
    };
    const onClose = () => cleanup();
    const onData = (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      if (buffer.length < 2) return;
      const len = buffer.readUInt16BE(0);
      if (len > MAX_FIRST_FRAME) return drop('first frame too large');
      if (buffer.length < 2 + len) return;
      const first = buffer.subarray(2, 2 + len);
      const ufrag = bindingRequestUfrag(first);
      const endpoint = ufrag === undefined ? undefined : (this.#byUfrag.get(ufrag) ?? this.resolveUfrag?.(ufrag));
      if (!endpoint) return drop('unknown ufrag');
      if (endpoint.authenticate && !endpoint.authenticate(first)) return drop('binding request not authentic');
      cleanup();
      endpoint.adopt(socket, remote, [first], buffer.subarray(2 + len));
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => {});
    if (initial && initial.length > 0) onData(initial);
  }
}

export class TcpMux {
  readonly listeners: TcpMuxListener[];

  constructor(listeners: TcpMuxListener[]) {
    this.listeners = listeners;
  }

  get port(): number {
    return this.listeners[0]?.port ?? 0;
  }

  static async listen(addresses: string[], port: number, logger: Logger): Promise<TcpMux> {
    if (addresses.length === 0) throw new Error('no address to listen for ICE-TCP on');
    const listeners = await openOnSamePort(
      addresses,
      port,
      async (address, p) => new TcpMuxListener(address, await listenOne(address, p), logger),
    );
    logger.info({port: listeners[0].port, addresses}, 'rtc tcp port listening');
    return new TcpMux(listeners);
  }

  listenerFor(localAddress: string): TcpMuxListener | undefined {
    return this.listeners.find((l) => l.localAddress === localAddress);
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.close()));
  }
}

function listenOne(address: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    const onError = (err: Error) => {
      server.close();
      reject(err);
    };
    server.once('error', onError);
    server.listen({host: address, port, exclusive: true, ipv6Only: isIP(address) === 6}, () => {
      server.off('error', onError);
      server.on('error', () => {});
      resolve(server);
    });
  });
}

function stripZone(address: string): string {
  const i = address.indexOf('%');
  return i >= 0 ? address.slice(0, i) : address;
}
