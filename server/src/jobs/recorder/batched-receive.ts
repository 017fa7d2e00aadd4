// The recorder's UDP receive in batches: while it receives audio only, its sockets are read once per mixer batch
// (every 100 ms) instead of waking the process for each datagram (~100 a second with two speakers, the largest
// part of an audio-only recording's CPU after the work itself). Meanwhile the datagrams wait in the kernel's
// socket buffer, as their PCM would wait in the sources' jitter buffers anyway. A screen share's bursts (a
// keyframe is hundreds of datagrams) could overflow that buffer, so while video comes every datagram is read
// at once, as before.
import type {Socket} from 'node:dgram';
import {udpHandleOf, type UdpHandle} from '../../rtc/net/udp-handle';

interface Attached {
  socket: Socket;
  handle: UdpHandle;
  count: () => void;
}

export class BatchedReceive {
  #attached: Attached[] = [];
  #batching = false;
  #open = false;
  /** Datagrams read since the window's last check. */
  #arrived = 0;
  /** Windows opened, and loop turns they stayed open (for tests and logs). */
  windows = 0;

  /** The sockets to read (a new peer connection's replace the old ones'); they start in immediate mode. */
  attach(sockets: Socket[]): void {
    this.detach();
    for (const socket of sockets) {
      const handle = udpHandleOf(socket);
      if (!handle) continue;
      const count = () => this.#arrived++;
      socket.on('message', count);
      socket.once('close', () => (this.#attached = this.#attached.filter((a) => a.socket !== socket)));
      this.#attached.push({socket, handle, count});
    }
    if (this.#batching) this.#stop();
  }

  /** Gives the sockets back to reading every datagram. */
  detach(): void {
    this.#start();
    for (const a of this.#attached) a.socket.off('message', a.count);
    this.#attached = [];
  }

  get batching(): boolean {
    return this.#batching;
  }

  /** Batching on (audio only) or off (every datagram read when it comes). */
  setBatching(on: boolean): void {
    if (on === this.#batching) return;
    this.#batching = on;
    if (on) {
      if (!this.#open) this.#stop();
    } else this.#start();
  }

  /**
   * Reads what waits: the sockets are watched until a turn of the event loop finds nothing new (libuv reads up to
   * 32 datagrams per socket and turn), then left unwatched until the next call.
   */
  drain(): void {
    if (!this.#batching || this.#open || this.#attached.length === 0) return;
    this.#open = true;
    this.windows++;
    this.#arrived = 0;
    this.#start();
    setImmediate(() => this.#check());
  }

  #check(): void {
    if (this.#arrived > 0 && this.#batching) {
      this.#arrived = 0;
      setImmediate(() => this.#check());
      return;
    }
    this.#open = false;
    if (this.#batching) this.#stop();
  }

  #start(): void {
    for (const a of this.#attached) {
      try {
        a.handle.recvStart();
      } catch {
        // A closed socket: its 'close' removes it.
      }
    }
  }

  #stop(): void {
    for (const a of this.#attached) {
      try {
        a.handle.recvStop();
      } catch {
        // A closed socket: its 'close' removes it.
      }
    }
  }
}
