// A received audio stream forwarded by the native addon (server/native/routes.c) instead of JavaScript, while that
// can be done: every receiver's copy goes through a FastWriter whose transport is up on a shared socket with a
// batched sender (FastWriter.nativeReady). The route is installed from the JS path, once an authentic packet of the
// stream showed where it comes from; from then on the addon opens the stream's packets, records their statistics
// and audio levels, and writes, seals and sends the copies, all in the stream's and writers' blocks
// (routeBlocks.ts). JS stays in control:
//  - any change of the receivers (attach, detach, close) installs the route again, or removes it when a new
//    receiver is not ready yet, so that the JS path (which rechecks its transports per packet) serves it;
//  - every 200 ms (installedRoutes.ts) what the addon counted is added to the tracks' counts and its audio levels to
//    voice activity, and every 600 ms the transports of installed routes are read again (a lost consent, a new
//    selected pair, a DTLS restart).
// Without the addon's route functions nothing is installed and every packet takes the JS path, as before.
import {parseSwitch} from '../envSwitch';
import type {Address} from '../net/address';
import {ipv4Word} from './egress';
import {FastWriter} from './fastWriter';
import {routeInstalled, routeUninstalled, type InstalledRoute} from './installedRoutes';
import type {TrackRoute, UpstreamTrack} from './forwarder';
import {rtcNative, type NativeGcmKey, type RtcNative} from './native';
import {
  F_OUT_BYTES,
  F_TAKEN_BYTES,
  F_WRITE_SECONDS,
  I_LEVELS,
  I_LEVELS_WRITTEN,
  I_PACKETS_OUT,
  I_PAUSED,
  I_TAKEN,
  I_WRITE_SAMPLES,
  LEVEL_RING,
  W_FD,
  type Block,
} from './routeBlocks';

/** Sweeps (installedRoutes.ts, 200 ms) between two reads of the writers' transports. */
const RECHECK_SWEEPS = 3;
/** Packets the JS path forwards between two attempts to install a route whose receivers were not all ready. */
const ARM_EVERY = 16;

type RouteNative = Required<Pick<RtcNative, 'routeSet' | 'routeDelete'>>;

let enabled: boolean | undefined;

/** Whether this process installs native routes (the primary and each media worker, before sessions exist). */
export function configureNativeRoutes(on: boolean): void {
  enabled = on;
}

/** Packets the routes of this process forwarded (the addon's total). */
export function nativeRoutesTaken(): number {
  return rtcNative()?.routeStats?.()[1] ?? 0;
}

/**
 * The addon's route functions when this process uses the addon and native routes, and the build has them. Until
 * configured, MM_CALLS_RTC_NATIVE_ROUTES decides.
 */
export function routeNative(): RouteNative | undefined {
  enabled ??= parseSwitch('MM_CALLS_RTC_NATIVE_ROUTES', process.env.MM_CALLS_RTC_NATIVE_ROUTES) ?? true;
  const n = enabled ? rtcNative() : undefined;
  return n?.routeSet && n.routeDelete ? (n as RouteNative) : undefined;
}

export interface NativeRouteOptions {
  native: RouteNative;
  ssrc: number;
  /** The stream's ingress block. */
  block: Block;
  /** The key its packets are opened with (held here, so that its id stays this key's while installed). */
  key: NativeGcmKey;
  /** The track its packets are forwarded from: its receivers are the route's writers. */
  track: UpstreamTrack;
  /** An audio level (RFC 6464) the addon read, for voice activity. */
  onLevel: (level: number) => void;
}

export class NativeRoute implements InstalledRoute, TrackRoute {
  readonly #o: NativeRouteOptions;
  #installed = false;
  #closed = false;
  #sweeps = 0;
  #tryIn = 0;
  // The source the route is installed for.
  #receiver = -1;
  #ip = 0;
  #port = 0;
  // What collect() has taken of the block's counts.
  #taken = 0;
  #takenBytes = 0;
  #out = 0;
  #outBytes = 0;
  #levels = 0;
  #samples = 0;

  constructor(o: NativeRouteOptions) {
    this.#o = o;
    o.track.route = this;
    o.block.i[I_PAUSED] = o.track.paused ? 1 : 0;
  }

  get installed(): boolean {
    return this.#installed;
  }

  /** An authentic packet of the stream took the JS path, from `from` as read by batched receiver `receiver`. */
  seen(from: Address | undefined, receiver: number | undefined): void {
    if (this.#closed || from === undefined || receiver === undefined) return;
    if (this.#installed) {
      // The addon passed it on: a new source (the client's address changed), or one it does not take (too long).
      if (receiver === this.#receiver && from[1] === this.#port && ipv4Word(from[0]) === this.#ip) return;
      this.#uninstall();
    } else if (--this.#tryIn > 0) {
      return;
    }
    this.#tryIn = ARM_EVERY;
    const ip = ipv4Word(from[0]);
    if (ip === null) return;
    this.#receiver = receiver;
    this.#ip = ip;
    this.#port = from[1];
    this.#install();
  }

  /** The track's receivers changed: install the route again with them (or leave them to JS until all are ready). */
  writersChanged(): void {
    if (this.#closed) return;
    if (this.#installed) this.#install();
    else this.#tryIn = 0;
  }

  /** The track was muted or unmuted. */
  pausedChanged(paused: boolean): void {
    this.#o.block.i[I_PAUSED] = paused ? 1 : 0;
  }

  /** Reads the writers' transports again and collects what the addon counted (installedRoutes.ts, while installed). */
  sweep(): void {
    this.collect();
    // werift's transport objects are slow to read: every third sweep (≈ 0.6 s), as the JS path reads them every
    // 16 packets (≈ 0.3 s of voice). A lost consent or a new selected pair is seen within that.
    if (++this.#sweeps % RECHECK_SWEEPS === 0 && !this.#readyWriters()) this.#uninstall();
  }

  uninstallIfSendingOn(fd: number): void {
    for (const d of this.#o.track.downstreams) {
      if (d.writer instanceof FastWriter && d.writer.block.i[W_FD] === fd) {
        this.#uninstall();
        return;
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#uninstall();
    this.#closed = true;
    if (this.#o.track.route === this) this.#o.track.route = undefined;
  }

  /** The writers' blocks when every receiver's writer is ready for the addon (reading their transports again). */
  #readyWriters(): Int32Array[] | undefined {
    const writers: Int32Array[] = [];
    for (const d of this.#o.track.downstreams) {
      if (!(d.writer instanceof FastWriter && d.writer.nativeReady())) return undefined;
      writers.push(d.writer.block.i);
    }
    return writers;
  }

  #install(): void {
    const o = this.#o;
    const writers = this.#readyWriters();
    if (!writers) {
      this.#uninstall();
      return;
    }
    o.native.routeSet(this.#receiver, this.#ip >>> 0, this.#port, o.ssrc >>> 0, o.key.id, o.block.i, writers);
    if (!this.#installed) {
      this.#installed = true;
      routeInstalled(this);
    }
  }

  #uninstall(): void {
    if (!this.#installed) return;
    this.#o.native.routeDelete(this.#receiver, this.#ip >>> 0, this.#port, this.#o.ssrc >>> 0);
    this.#installed = false;
    routeUninstalled(this);
    this.collect();
  }

  /** Adds what the addon counted since the last collect to the track, and its audio levels to voice activity. */
  collect(): void {
    const o = this.#o;
    const s = o.block.i;
    const f = o.block.f;
    const taken = s[I_TAKEN];
    const out = s[I_PACKETS_OUT];
    const packets = (taken - this.#taken) >>> 0;
    if (packets > 0) {
      o.track.countForwarded(
        packets,
        f[F_TAKEN_BYTES] - this.#takenBytes,
        (out - this.#out) >>> 0,
        f[F_OUT_BYTES] - this.#outBytes,
      );
      this.#taken = taken;
      this.#takenBytes = f[F_TAKEN_BYTES];
      this.#out = out;
      this.#outBytes = f[F_OUT_BYTES];
    }
    const written = s[I_LEVELS_WRITTEN];
    const levels = Math.min((written - this.#levels) >>> 0, LEVEL_RING);
    for (let k = levels; k > 0; k--) o.onLevel(s[I_LEVELS + (((written - k) >>> 0) % LEVEL_RING)]);
    this.#levels = written;
    if (s[I_WRITE_SAMPLES] !== this.#samples) {
      this.#samples = s[I_WRITE_SAMPLES];
      o.track.observeWriteTime(f[F_WRITE_SECONDS]);
    }
  }
}
