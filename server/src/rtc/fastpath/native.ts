// The optional native half of the forwarding path (server/native/rtc_native.c): AES-GCM with a kept key
// schedule and batched UDP sends. `npm install` builds it; without it (no compiler, not Linux, or
// MM_CALLS_RTC_NATIVE=off) the same packets are produced by the JavaScript path, only more slowly.
import path from 'node:path';

/** The addon's functions (rtc_native.c). */
export interface RtcNative {
  /** Sets up an AES-128-GCM key; the id is valid until gcmFree. */
  gcmCreate(key: Buffer): number;
  gcmFree(id: number): void;
  /**
   * Whether keys created from now on seal and open through OpenSSL's GCM and AES-NI functions directly (the
   * default where the CPU and Node have them) rather than through EVP; `enable` switches (tests use both).
   */
  gcmDirect(enable?: boolean): boolean;
  /** Seals buf[aad, aad+length) in place, authenticating buf[0, aad); the tag goes after the payload. */
  gcmSeal(id: number, buf: Buffer, aadLength: number, length: number, iv0: number, iv1: number, iv2: number): void;
  /** Opens buf[0, end) in place (tag last); false, buffer untouched, if forged. */
  gcmOpen(id: number, buf: Buffer, aadLength: number, end: number, iv0: number, iv1: number, iv2: number): boolean;
  /** Seals and sends `count` described packets of `arena` on socket `fd`; returns [sent, failed]. */
  flush(fd: number, arena: Buffer, descriptors: Int32Array, count: number): [number, number];
  /** malloc_trim(0): the C heap's free pages back to the OS; true if some were released (absent from older builds). */
  trimHeap?(): boolean;
  /** Bytes free in malloc's arenas (mallinfo2), -1 without glibc 2.33+ (absent from older builds). */
  heapFreeBytes?(): number;
  /** malloc maps blocks from `bytes` up on their own (M_MMAP_THRESHOLD); false without glibc (absent from older builds). */
  setMmapThreshold?(bytes: number): boolean;
  /**
   * A non-blocking UDP socket with SO_REUSEPORT bound to address:port and, given a remote, connected to it; the
   * caller owns the fd (dgram's bind({fd}) takes it over). Throws with the errno text. Absent from older builds.
   */
  udpReusePortSocket?(
    family: 4 | 6,
    address: string,
    port: number,
    remoteAddress?: string,
    remotePort?: number,
  ): number;
  /**
   * The process's one receiver of batched datagrams (rtc/net/batchedReceive.ts); absent from older builds. Each
   * batch is written into `staging` and described in `meta` (9 words a datagram) before `callback` runs; they are
   * the next batch's once it returns.
   */
  recvInit?(callback: (count: number, bytes: number) => void, staging: Buffer, meta: Int32Array): void;
  /** Watches a UDP socket (or, `dup`, a duplicate of it) with recvmmsg; returns its id in the meta array. */
  recvOpen?(fd: number, dup: boolean): number;
  /** Stops watching and closes the watched fd; false if the id was not open. */
  recvClose?(id: number): boolean;
  /** [open receivers, datagrams dropped as truncated, lone receiver reports dropped (absent from older builds)]. */
  recvStats?(): [number, number, number?];
  /** The receiver drops lone SRTCP receiver reports (as ingress.ts does unread); false if the id is not open. */
  recvDropReceiverReports?(id: number, on: boolean): boolean;
  /** The receiver counts the stream's RTP instead of handing it over, but one packet in `every`; RTCP is dropped. */
  recvCountRtp?(id: number, ssrc: number, every: number): boolean;
  /** Packets of a counted stream counted so far. */
  recvCounted?(id: number, ssrc: number): number;
  /** Counted streams are counted only while on (process-wide; on at start). */
  recvCountGate?(on: boolean): void;
  /**
   * Installs (or replaces) a route (routes.c, nativeRoute.ts): RTP of `ssrc` that batched receiver `receiver` reads
   * from ip:port is opened with key `key` and forwarded to the writers here, in the blocks given (routeBlocks.ts).
   * Absent from older builds.
   */
  routeSet?(
    receiver: number,
    ip: number,
    port: number,
    ssrc: number,
    key: number,
    ingress: Int32Array,
    writers: Int32Array[],
  ): void;
  /** Removes a route; its packets reach JS again. False if there was none. */
  routeDelete?(receiver: number, ip: number, port: number, ssrc: number): boolean;
  /** [routes installed, packets the routes forwarded, copies the kernel refused]. */
  routeStats?(): [number, number, number];
}

export type RtcNativeMode = 'auto' | 'off' | 'required';

const ADDON = path.resolve(__dirname, '../../../native/build/Release/calls_rtc_native.node');

let loaded: {addon: RtcNative | undefined; error: string | undefined} | undefined;
let enabled: boolean | undefined;

function load(): {addon: RtcNative | undefined; error: string | undefined} {
  if (!loaded) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon loads only through require
      loaded = {addon: require(ADDON) as RtcNative, error: undefined};
    } catch (err) {
      loaded = {addon: undefined, error: err instanceof Error ? err.message.split('\n')[0] : String(err)};
    }
  }
  return loaded;
}

/** MM_CALLS_RTC_NATIVE: auto (default: use it if built), off, or required (refuse to start without it). */
export function parseRtcNativeMode(value: string | undefined): RtcNativeMode {
  const v = value || 'auto';
  if (v !== 'auto' && v !== 'off' && v !== 'required')
    throw new Error(`MM_CALLS_RTC_NATIVE must be "auto", "off" or "required", not "${v}"`);
  return v;
}

/**
 * Applies the mode for this process; returns whether the native path is in use. "required" throws,
 * naming the fix, when the addon is not built.
 */
export function configureRtcNative(mode: RtcNativeMode): boolean {
  if (mode === 'off') {
    enabled = false;
    return false;
  }
  const {addon, error} = load();
  if (!addon && mode === 'required') {
    throw new Error(
      `MM_CALLS_RTC_NATIVE=required but the native addon did not load (${error}); build it with \`npm run build:native\``,
    );
  }
  enabled = addon !== undefined;
  return enabled;
}

/** The addon when this process uses it. Until configured, MM_CALLS_RTC_NATIVE decides. */
export function rtcNative(): RtcNative | undefined {
  if (enabled === undefined) configureRtcNative(parseRtcNativeMode(process.env.MM_CALLS_RTC_NATIVE));
  return enabled ? load().addon : undefined;
}

/**
 * Returns the C heap's free memory to the OS (server/src/heap-trim.ts), whether or not the forwarding path uses the
 * addon (MM_CALLS_RTC_NATIVE=off is about forwarding); undefined when the addon is not built.
 */
export function trimNativeHeap(): boolean | undefined {
  return load().addon?.trimHeap?.();
}

/** Bytes free in the C heap's arenas (what freed memory malloc keeps), undefined where that is not known. */
export function nativeHeapFreeBytes(): number | undefined {
  const n = load().addon?.heapFreeBytes?.();
  return n === undefined || n < 0 ? undefined : n;
}

/** malloc's mmap threshold (server/src/memory-sizing.ts); undefined when the addon is not built. */
export function setNativeMmapThreshold(bytes: number): boolean | undefined {
  return load().addon?.setMmapThreshold?.(bytes);
}

/** Why the addon is not in use (for the startup log). */
export function rtcNativeUnavailableReason(): string | undefined {
  if (enabled === false && load().addon) return 'MM_CALLS_RTC_NATIVE=off';
  return load().error;
}

/** The OS socket of a dgram socket (for the addon's sends), or undefined where Node does not expose it. */
export function socketFd(socket: object): number | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = state ? (socket as Record<symbol, {handle?: {fd?: unknown}} | undefined>)[state]?.handle : undefined;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

const keys = new FinalizationRegistry<number>((id) => loaded?.addon?.gcmFree(id));

/** An AES-128-GCM key in the addon, freed when this object is collected. */
export class NativeGcmKey {
  readonly id: number;
  readonly native: RtcNative;

  constructor(native: RtcNative, key: Buffer) {
    this.native = native;
    this.id = native.gcmCreate(key);
    keys.register(this, this.id);
  }
}
