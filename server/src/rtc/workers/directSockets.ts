// A media worker's own sockets for its clients. The primary relays every datagram of the RTC port over a pipe;
// once a client's media path is known (its first DTLS/SRTP datagram from a source an authentic check bound), the
// worker binds a socket with SO_REUSEPORT on the same address and port, connected to that client: the kernel then
// hands the client's datagrams to it (a connected socket of a reuseport group wins the exact 4-tuple) and the
// primary no longer sees them. The relay stays the fallback: first checks, new source ports, sockets that failed.
import {closeSync} from 'node:fs';
import type {Logger} from '../../log';
import type {RtcNative} from '../fastpath/native';
import {receiveBatched} from '../net/batchedReceive';
import {wrapFd, type MuxEndpoint, type UdpMuxSocket} from '../net/udpMux';

/** A source whose socket failed (an ICMP error, a refused bind) is not given one again for this long. */
const RETRY_AFTER_MS = 5_000;

interface Direct {
  /** A dgram socket, or the addon's batched reader (batchedReceive.ts) of the fd. */
  socket: {close(): void} | undefined;
  endpoint: MuxEndpoint;
  closed: boolean;
}

/** The direct sockets of one shared RTC socket (address and port) in one worker. */
export class DirectSockets {
  readonly #native: Required<Pick<RtcNative, 'udpReusePortSocket'>>;
  readonly #mux: UdpMuxSocket;
  readonly #port: number;
  readonly #logger: Logger;
  readonly #bySource = new Map<string, Direct>();
  readonly #byEndpoint = new Map<MuxEndpoint, string>();
  readonly #failedAt = new Map<string, number>();
  #closed = false;
  /** Datagrams received on these sockets. */
  received = 0;

  constructor(
    native: Required<Pick<RtcNative, 'udpReusePortSocket'>>,
    mux: UdpMuxSocket,
    port: number,
    logger: Logger,
  ) {
    this.#native = native;
    this.#mux = mux;
    this.#port = port;
    this.#logger = logger;
  }

  get open(): number {
    return this.#bySource.size;
  }

  /**
   * A datagram the primary relayed from `key` was just delivered: if it is media (not STUN) and a session owns
   * the source, that source gets its own socket. A session has one: a new source replaces its old one.
   */
  noteRelayed(data: Buffer, host: string, port: number, key: string): void {
    // STUN starts with 0-3; DTLS 20-63, RTP/RTCP 128-191 (RFC 7983).
    if (this.#closed || data.length === 0 || data[0] < 20 || this.#bySource.has(key)) return;
    const endpoint = this.#mux.endpointOf(key);
    if (!endpoint) return;
    const failed = this.#failedAt.get(key);
    if (failed !== undefined) {
      if (Date.now() - failed < RETRY_AFTER_MS) return;
      this.#failedAt.delete(key);
    }
    const previous = this.#byEndpoint.get(endpoint);
    if (previous !== undefined) this.#close(previous);
    const direct: Direct = {socket: undefined, endpoint, closed: false};
    this.#bySource.set(key, direct);
    this.#byEndpoint.set(endpoint, key);
    let fd: number;
    try {
      fd = this.#native.udpReusePortSocket(this.#mux.family, this.#mux.localAddress, this.#port, host, port);
    } catch (err) {
      this.#fail(key, err);
      return;
    }
    let receiver: number | undefined;
    const deliver = (d: Buffer) => {
      this.received++;
      this.#mux.deliver(d, host, port, key, undefined, receiver);
    };
    // A connected socket gets the ICMP errors of its flow (the client's port closed): back to the relay.
    const onError = (err: unknown) => {
      if (this.#bySource.get(key) === direct) this.#fail(key, err);
    };
    try {
      const batched = receiveBatched(fd, {dup: false, source: {host, port, key}, onDatagram: deliver, onError});
      receiver = batched?.id;
      direct.socket = batched;
    } catch (err) {
      closeSync(fd);
      this.#fail(key, err);
      return;
    }
    if (direct.socket) return;
    wrapFd(fd, this.#mux.localAddress).then((socket) => {
      if (direct.closed) {
        socket.close();
        return;
      }
      direct.socket = socket;
      socket.on('message', deliver);
      socket.on('error', onError);
    }, onError);
  }

  /** Sources no session of this worker owns any more (a session ended): their sockets close. */
  release(keys: string[]): void {
    for (const key of keys) {
      this.#close(key);
      this.#failedAt.delete(key);
    }
  }

  close(): void {
    this.#closed = true;
    for (const key of [...this.#bySource.keys()]) this.#close(key);
    this.#failedAt.clear();
  }

  #fail(key: string, err: unknown): void {
    this.#logger.debug({source: key, err: err instanceof Error ? err.message : String(err)}, 'direct socket failed');
    this.#close(key);
    this.#failedAt.set(key, Date.now());
  }

  #close(key: string): void {
    const direct = this.#bySource.get(key);
    if (!direct) return;
    this.#bySource.delete(key);
    if (this.#byEndpoint.get(direct.endpoint) === key) this.#byEndpoint.delete(direct.endpoint);
    direct.closed = true;
    try {
      direct.socket?.close();
    } catch {
      // already closed
    }
  }
}
