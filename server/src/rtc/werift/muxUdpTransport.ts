// The transport of a host candidate on a shared UDP socket, in place of werift's UdpTransport (werift 0.25.2
// lib/ice/src/transport.js): the ICE agent (iceAgent.ts) gives it to its protocols, and the packet sink
// (packetSink.ts) sends through it without a promise.
import type {Egress} from '../fastpath/egress';
import type {Address} from '../net/address';
import type {UdpMuxSocket} from '../net/udpMux';

/** Stands in for werift's UdpTransport: sends through the shared socket, never binds one. */
export class MuxUdpTransport {
  readonly type = 'udp';
  closed = false;
  readonly #socket: UdpMuxSocket;
  readonly #onClose: () => void;

  constructor(socket: UdpMuxSocket, onClose: () => void) {
    this.#socket = socket;
    this.#onClose = onClose;
  }

  send = async (data: Buffer, addr?: Address): Promise<void> => {
    if (this.closed || !addr) return;
    this.#socket.send(data, addr);
  };

  /** The forwarding fast path's send: no promise, no lookup. */
  sendNow(data: Buffer, addr: Address): void {
    if (!this.closed) this.#socket.send(data, addr);
  }

  /** The shared socket's batched sender, if it has one and this transport is open. */
  get egress(): Egress | undefined {
    return this.closed ? undefined : this.#socket.egress;
  }

  close = async (): Promise<void> => {
    if (this.closed) return;
    this.closed = true;
    this.#onClose();
  };

  get address(): {address: string; port: number; family: string} {
    return {
      address: this.#socket.localAddress,
      port: this.#socket.port,
      family: this.#socket.family === 6 ? 'IPv6' : 'IPv4',
    };
  }

  get addressFamily(): 4 | 6 {
    return this.#socket.family;
  }
}
