// What the primary and its media workers say to each other. Control goes over the child_process IPC
// channel as JSON (sessions, signaling, events, metrics, socket handles); inbound datagrams go over a
// separate pipe as binary frames, many per write, because they are the only per-packet traffic.
// The SFU operations and events go through the relay codec (../relay), like the cluster bus's.
import {z} from 'zod';
import type {RelayFrame} from '../../relay/codec';
import {defineProtocol, none} from '../../relay/protocol';
import {sfuEvents, sfuOps} from '../../relay/sfu';
import type {RtcServerOptions} from '../options';
import type {Address} from '../net/udpMux';

/** The serialisable form of a host candidate plan (sockets named by index). */
export type CandidatePlan =
  | {transport: 'udp'; socket: number; address: string; port: number; advertise: boolean; reflexive?: string}
  | {transport: 'tcp'; listener: number; address: string; port: number; advertise: boolean};

export interface WorkerInit {
  t: 'init';
  index: number;
  opts: RtcServerOptions;
  /** `reusePort`: the primary's socket has SO_REUSEPORT, so the worker may receive its clients directly. */
  udp: {localAddress: string; port: number; reusePort: boolean}[];
  tcp: {localAddress: string; port: number}[];
  candidates: CandidatePlan[];
  groupID: string;
  logLevel: string;
}

/** The worker's answer to `stats`. */
export interface WorkerStatsReply {
  cpuSeconds: number;
  rssBytes: number;
  sessions: number;
  calls: number;
  droppedDatagrams: number;
  muxEndpoints: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Datagrams the primary relayed over the pipe, and those received on the worker's own sockets. */
  relayedDatagrams: number;
  directDatagrams: number;
  /** The worker's own sockets open now (one per client whose media path is known). */
  directSockets: number;
}

const count = z.number().nonnegative();
const statsReply: z.ZodType<WorkerStatsReply> = z.object({
  cpuSeconds: count,
  rssBytes: count,
  sessions: count,
  calls: count,
  droppedDatagrams: count,
  muxEndpoints: count,
  packetsIn: count,
  packetsOut: count,
  bytesIn: count,
  bytesOut: count,
  relayedDatagrams: count,
  directDatagrams: count,
  directSockets: count,
});

/** The SFU operations a worker serves (the SfuServer's own, by name) and the few of the worker itself. */
export const workerRelay = defineProtocol({
  name: 'media worker',
  ops: {
    ...sfuOps,
    stats: {request: none, reply: statsReply},
    /** The watchdog's liveness check: answered at once by a worker whose event loop runs. */
    ping: {request: none, reply: none},
    close: {request: none, reply: none},
  },
  events: sfuEvents,
});
export type WorkerRelay = typeof workerRelay;

export type ToWorker =
  | WorkerInit
  /** Comes with the dgram socket of udp[index] as the handle. */
  | {t: 'udpSocket'; index: number}
  /** Comes with an ICE-TCP connection the primary accepted; `data` is what it already read (base64). */
  | {t: 'tcp'; listener: number; remote: Address; data: string}
  /** Calls and notes of workerRelay. */
  | {t: 'relay'; f: RelayFrame};

export type FromWorker =
  | {t: 'ready'}
  /** Replies and events of workerRelay. */
  | {t: 'relay'; f: RelayFrame}
  /** An RtcMetrics call to apply in the primary's registry. */
  | {t: 'metric'; m: string; a: (string | number)[]}
  /** Sources (host:port) of udp[socket] that no session of the worker owns any more. */
  | {t: 'release'; socket: number; keys: string[]}
  /** A datagram the worker's copy of the shared socket caught (only while it starts); the primary routes it. */
  | {t: 'stray'; socket: number; host: string; port: number; data: string};

/** The ICE ufrag tag of worker `i`: the primary routes a connectivity check by it. */
export function workerTag(index: number): string {
  return `w${index}x`;
}

export function workerOfUfrag(ufrag: string): number | undefined {
  const m = /^w(\d{1,3})x/.exec(ufrag);
  return m ? Number(m[1]) : undefined;
}

// ---- datagram frames: [u16 length][u8 socket][u8 address length][u32 source id] [address][u16 port] payload

const FRAME_HEADER = 8;
const CHUNK = 64 * 1024;
const COALESCE_MS = 1;

/** Collects frames for one worker and writes them in one go per event-loop turn. */
export class FrameWriter {
  readonly #write: (chunk: Buffer) => void;
  #chunk = Buffer.allocUnsafeSlow(CHUNK);
  #pos = 0;
  #scheduled = false;

  constructor(write: (chunk: Buffer) => void) {
    this.#write = write;
  }

  /** `address` is sent only with a source's first datagram (the worker remembers it by id). */
  push(socket: number, sourceID: number, address: string | undefined, port: number, data: Buffer): void {
    const alen = address === undefined ? 0 : Buffer.byteLength(address, 'latin1');
    const size = FRAME_HEADER + (alen > 0 ? alen + 2 : 0) + data.length;
    if (this.#pos + size > this.#chunk.length) {
      this.flush();
      if (size > this.#chunk.length) this.#chunk = Buffer.allocUnsafeSlow(size);
    }
    const c = this.#chunk;
    let p = this.#pos;
    c.writeUInt16BE(data.length, p);
    c[p + 2] = socket;
    c[p + 3] = alen;
    c.writeUInt32BE(sourceID, p + 4);
    p += FRAME_HEADER;
    if (alen > 0) {
      c.write(address!, p, 'latin1');
      p += alen;
      c.writeUInt16BE(port, p);
      p += 2;
    }
    data.copy(c, p);
    this.#pos = p + data.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      // Coalesce for a millisecond: every write wakes the worker, and waking a process costs more than
      // reading a few more frames (a millisecond is nothing next to a 20 ms audio frame).
      setTimeout(() => this.flush(), COALESCE_MS);
    }
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#pos === 0) return;
    // Copied out at its size and the chunk kept: a fresh 64 KB buffer per event-loop turn made the
    // primary spend a third of its time in garbage collection.
    const out = Buffer.from(this.#chunk.subarray(0, this.#pos));
    this.#pos = 0;
    this.#write(out);
  }
}

/** Parses frames from the pipe (chunks may split frames anywhere). */
export class FrameReader {
  readonly #onFrame: (
    socket: number,
    sourceID: number,
    address: string | undefined,
    port: number,
    data: Buffer,
  ) => void;
  #rest: Buffer | undefined;

  constructor(
    onFrame: (socket: number, sourceID: number, address: string | undefined, port: number, data: Buffer) => void,
  ) {
    this.#onFrame = onFrame;
  }

  push(chunk: Buffer): void {
    const buf = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    this.#rest = undefined;
    let p = 0;
    while (buf.length - p >= FRAME_HEADER) {
      const length = buf.readUInt16BE(p);
      const alen = buf[p + 3];
      const size = FRAME_HEADER + (alen > 0 ? alen + 2 : 0) + length;
      if (buf.length - p < size) break;
      const socket = buf[p + 2];
      const sourceID = buf.readUInt32BE(p + 4);
      let q = p + FRAME_HEADER;
      let address: string | undefined;
      let port = 0;
      if (alen > 0) {
        address = buf.toString('latin1', q, q + alen);
        q += alen;
        port = buf.readUInt16BE(q);
        q += 2;
      }
      // A view, no copy: every read is a fresh buffer, and in-place decryption only touches its own frame.
      this.#onFrame(socket, sourceID, address, port, buf.subarray(q, q + length));
      p += size;
    }
    if (p < buf.length) this.#rest = Buffer.from(buf.subarray(p));
  }
}
