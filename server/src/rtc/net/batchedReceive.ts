// Batched UDP receive through the native addon (rtc_native.c: uv_poll + recvmmsg): the datagrams of every watched
// socket read in one event-loop turn arrive in one JS call, as views into one Buffer, instead of one dgram
// 'message' event (a Buffer, an rinfo object and a microtask checkpoint) each. Without the addon, or with
// MM_CALLS_RTC_BATCHED_RECEIVE=false, sockets keep dgram's receive.
import type {Socket} from 'node:dgram';
import {constants} from 'node:os';
import {rtcNative, socketFd, type RtcNative} from '../fastpath/native';
import {parseSwitch} from '../envSwitch';
import {handleReceiveBatch} from './receiveBatchEnd';
import {udpHandleOf} from './udp-handle';

/** Words per datagram in the meta array; must match META_WORDS in rtc_native.c. */
const META_WORDS = 9;
/** Datagrams and bytes the addon hands over in one call at most; must match PENDING_MAX and PENDING_BYTES there. */
const PENDING_MAX = 1024;
const PENDING_BYTES = 256 * 1024;
/** Source addresses whose host and key strings are kept (a hostile sender spraying ports cannot grow it beyond). */
const SOURCE_CACHE_MAX = 4096;

/** One datagram: `data` is a view into the batch's buffer, owned by the receiver from then on. */
export type DatagramHandler = (data: Buffer, host: string, port: number, key: string) => void;

export interface BatchedSocketOptions {
  /** The fd belongs to a dgram socket that stays open (it still sends): a duplicate is watched. */
  dup: boolean;
  /** A connected socket's one source: its datagrams need no address lookup. */
  source?: {host: string; port: number; key: string};
  onDatagram: DatagramHandler;
  /** A receive error (ECONNREFUSED on a connected socket: the client's port closed); the socket stays watched. */
  onError?: (err: Error) => void;
}

type BatchedNative = Required<Pick<RtcNative, 'recvInit' | 'recvOpen' | 'recvClose'>> &
  Pick<RtcNative, 'recvCountRtp' | 'recvCounted' | 'recvDropReceiverReports'>;

interface Source {
  host: string;
  port: number;
  key: string;
}

/** A socket being read in batches; close() stops it (and closes the fd unless it was a duplicate's original). */
export class BatchedSocket {
  readonly id: number;
  readonly #native: BatchedNative;
  readonly handler: BatchedSocketOptions;
  #closed = false;

  constructor(native: BatchedNative, id: number, handler: BatchedSocketOptions) {
    this.#native = native;
    this.id = id;
    this.handler = handler;
  }

  /**
   * Counts the RTP stream `ssrc` in the addon instead of handing it over: one packet in `every` still reaches
   * onDatagram, and from then on this socket's RTCP is dropped (a load-test receiver that verifies samples). False
   * when the addon cannot (an older build, a closed socket, too many streams): everything keeps coming.
   */
  countRtp(ssrc: number, every: number): boolean {
    return !this.#closed && (this.#native.recvCountRtp?.(this.id, ssrc >>> 0, Math.max(1, every)) ?? false);
  }

  /**
   * Lone SRTCP receiver reports are dropped in the addon from now on, unread: what the SFU's fast receive path
   * (ingress.ts) does with them, without a JS call each (a client sends one every second or so per stream it
   * receives). False when the addon cannot (an older build, a closed socket).
   */
  dropReceiverReports(): boolean {
    return !this.#closed && (this.#native.recvDropReceiverReports?.(this.id, true) ?? false);
  }

  /** Packets of a stream counted by the addon (countRtp) while the count gate was on. */
  counted(ssrc: number): number {
    return this.#native.recvCounted?.(this.id, ssrc >>> 0) ?? 0;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    open.delete(this.id);
    this.#native.recvClose(this.id);
  }
}

let enabled: boolean | undefined;
// Where the addon writes each batch (one of each for the process), made when the first socket opens (recvInit):
// a batch costs no JS object but the copy its handlers own.
let staging: Buffer | undefined;
let meta: Int32Array | undefined;
const open = new Map<number, BatchedSocket>();
const sources = new Map<number, Source>();

/** MM_CALLS_RTC_BATCHED_RECEIVE: true (the default) or false; anything else is an error naming the variable. */
export function parseBatchedReceive(value: string | undefined): boolean {
  return parseSwitch('MM_CALLS_RTC_BATCHED_RECEIVE', value) ?? true;
}

/**
 * Applies the setting for this process (the primary and each media worker, before their sockets open).
 * Until configured, MM_CALLS_RTC_BATCHED_RECEIVE decides.
 */
export function configureBatchedReceive(on: boolean): void {
  enabled = on;
}

/** The addon's receive functions when this process receives in batches. */
function batchedNative(): BatchedNative | undefined {
  enabled ??= parseBatchedReceive(process.env.MM_CALLS_RTC_BATCHED_RECEIVE);
  if (!enabled) return undefined;
  const n = rtcNative();
  return n?.recvInit && n.recvOpen && n.recvClose ? (n as BatchedNative) : undefined;
}

/** Whether streams counted in the addon (BatchedSocket.countRtp) are counted now: process-wide, on at start. */
export function setRtpCountGate(on: boolean): void {
  rtcNative()?.recvCountGate?.(on);
}

export function batchedReceiveAvailable(): boolean {
  return batchedNative() !== undefined;
}

/**
 * Datagrams the addon dropped because they did not fit its slots (none can: a slot holds any UDP payload), and the
 * lone receiver reports it dropped (dropReceiverReports).
 */
export function batchedReceiveStats(): {open: number; truncated: number; receiverReports: number} {
  const [count, truncated, receiverReports] = rtcNative()?.recvStats?.() ?? [0, 0, 0];
  return {open: count, truncated, receiverReports: receiverReports ?? 0};
}

/**
 * Starts reading `fd` in batches; undefined when batched receive is off or the addon lacks it (the caller keeps
 * dgram's receive). Throws what the addon throws (a bad fd).
 */
export function receiveBatched(fd: number, options: BatchedSocketOptions): BatchedSocket | undefined {
  const native = batchedNative();
  if (!native) return undefined;
  if (!staging) {
    staging = Buffer.allocUnsafeSlow(PENDING_BYTES);
    meta = new Int32Array(PENDING_MAX * META_WORDS);
    native.recvInit(onBatch, staging, meta);
  }
  const socket = new BatchedSocket(native, native.recvOpen(fd, options.dup), options);
  open.set(socket.id, socket);
  return socket;
}

/**
 * dgram stops reading `socket` (it still sends) and a duplicate of its fd is read in batches instead; undefined when
 * batched receive is off, the addon lacks it or refuses the fd: dgram keeps reading.
 */
export function receiveInsteadOfDgram(socket: Socket, onDatagram: DatagramHandler): BatchedSocket | undefined {
  const fd = socketFd(socket);
  const handle = udpHandleOf(socket);
  if (fd === undefined || !handle || !batchedNative()) return undefined;
  handle.recvStop();
  try {
    const batched = receiveBatched(fd, {dup: true, onDatagram});
    if (batched) return batched;
  } catch {
    // the addon refused the fd: dgram reads it, as without the addon
  }
  handle.recvStart();
  return undefined;
}

function sourceOf(meta: Int32Array, at: number): Source | undefined {
  const port = meta[at + 3];
  const family = meta[at + 4];
  if (family === 4) {
    const a = meta[at + 5] >>> 0;
    const id = a * 65536 + port;
    let s = sources.get(id);
    if (!s) {
      const host = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      if (sources.size >= SOURCE_CACHE_MAX) sources.clear();
      s = {host, port, key: `${host}:${port}`};
      sources.set(id, s);
    }
    return s;
  }
  if (family === 6) {
    const host = ipv6Text(meta[at + 5], meta[at + 6], meta[at + 7], meta[at + 8]);
    return {host, port, key: `${host}:${port}`};
  }
  return undefined;
}

/** RFC 5952 text of an IPv6 address (as Node prints rinfo.address): the longest run of zero groups as "::". */
function ipv6Text(...words: number[]): string {
  const groups: number[] = [];
  for (const w of words) groups.push((w >>> 16) & 0xffff, w & 0xffff);
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  )
    return `::ffff:${groups[6] >>> 8}.${groups[6] & 255}.${groups[7] >>> 8}.${groups[7] & 255}`;
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/**
 * One turn's datagrams, in the order they were read; a throwing handler does not cost the rest of the batch. What
 * the handlers send leaves at the batch's end (receiveBatchEnd.ts).
 */
function onBatch(count: number, bytes: number): void {
  // The handlers own their datagrams (werift keeps some), and the staging buffer is the next batch's.
  const buffer = Buffer.allocUnsafe(bytes);
  staging!.copy(buffer, 0, 0, bytes);
  handleReceiveBatch(() => handleBatch(buffer, meta!, count));
}

function handleBatch(buffer: Buffer, meta: Int32Array, count: number): void {
  let failure: unknown;
  let failed = false;
  for (let i = 0; i < count; i++) {
    const at = i * META_WORDS;
    const socket = open.get(meta[at]);
    if (!socket) continue; // closed earlier in this turn
    const length = meta[at + 2];
    try {
      if (length < 0) {
        socket.handler.onError?.(receiveError(-length));
        continue;
      }
      const h = socket.handler;
      const source = h.source ?? sourceOf(meta, at);
      if (!source) continue;
      const offset = meta[at + 1];
      h.onDatagram(buffer.subarray(offset, offset + length), source.host, source.port, source.key);
    } catch (err) {
      if (!failed) {
        failed = true;
        failure = err;
      }
    }
  }
  // As from a dgram 'message' listener: the process's uncaughtException handling decides.
  if (failed) throw failure;
}

function receiveError(errno: number): Error {
  const code = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0];
  const err = new Error(`recvmmsg: ${code ?? `errno ${errno}`}`) as NodeJS.ErrnoException;
  err.errno = errno;
  err.code = code;
  return err;
}
