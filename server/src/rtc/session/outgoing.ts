// The tracks one session receives from the rest of its call: an outgoing transceiver per wanted track,
// reused for later tracks so the SDP does not grow forever, simulcast layer choice from the receiver's
// bandwidth estimate, and the MediaMap that tells the client which mid carries whose track.
import {MediaStream, type RTCRtpTransceiver} from 'werift';
import type {MediaMap, TrackType} from '../../protocol';
import {DownstreamTrack} from '../fastpath/forwarder';
import {LayerSelector, initialLayer, type Layer} from '../media/simulcast';
import type {SessionContext} from './context';
import {setSenderTrackId} from '../werift/internals';
import {outgoingTrackId, type PublishedTrack} from './published';

const LAYER_CHECK_INTERVAL_MS = 1000;

/** One outgoing transceiver that forwards another session's track to this one. */
interface Outgoing {
  track: PublishedTrack;
  transceiver: RTCRtpTransceiver;
  downstream: DownstreamTrack;
  trackId: string;
  selector?: LayerSelector;
}

export class OutgoingTracks {
  readonly #ctx: SessionContext;
  readonly #outgoing = new Map<string, Outgoing>();
  /** Transceivers this side created to send; reused for later tracks so the SDP does not grow forever. */
  readonly #ownTransceivers = new Set<RTCRtpTransceiver>();
  /**
   * The stream of each own transceiver that forwards nothing right now: a reused transceiver keeps its
   * SSRC, so the next sender's packets must continue that stream's sequence and SRTP index.
   */
  readonly #idleDownstreams = new Map<RTCRtpTransceiver, DownstreamTrack>();
  #wanted = new Map<string, PublishedTrack>();
  #layerTimer: NodeJS.Timeout | undefined;

  constructor(ctx: SessionContext) {
    this.#ctx = ctx;
  }

  /** What this session currently receives, as the MediaMap would describe it. */
  get receiving(): {trackId: string; type: TrackType; senderSessionID: string; mid: string | null}[] {
    return [...this.#outgoing.values()].map((o) => ({
      trackId: o.trackId,
      type: o.track.type,
      senderSessionID: o.track.senderSessionID,
      mid: o.transceiver.mid,
    }));
  }

  /** The streams this session is sent now (their sender reports). */
  *streams(): Iterable<DownstreamTrack> {
    for (const o of this.#outgoing.values()) yield o.downstream;
  }

  /** Whether any track is wanted (a renegotiation is due once calls-dc opens). */
  get anyWanted(): boolean {
    return this.#wanted.size > 0;
  }

  /** Records the tracks this session should receive; true if the set changed (a renegotiation is due). */
  setWanted(tracks: PublishedTrack[]): boolean {
    const next = new Map(tracks.map((t) => [t.key, t]));
    let changed = next.size !== this.#wanted.size;
    if (!changed) for (const k of next.keys()) if (!this.#wanted.has(k)) changed = true;
    this.#wanted = next;
    return changed;
  }

  /** Adds and removes outgoing transceivers to match the wanted tracks; true if anything changed. */
  apply(): boolean {
    let changed = false;
    for (const [key, out] of this.#outgoing) {
      if (this.#wanted.get(key) === out.track) continue;
      this.#closeOutgoing(out);
      const t = out.transceiver;
      if (!t.stopped) t.setDirection(t.direction === 'sendrecv' ? 'recvonly' : 'inactive');
      this.#outgoing.delete(key);
      changed = true;
    }
    for (const [key, track] of this.#wanted) {
      if (this.#outgoing.has(key)) continue;
      const source = this.#pickLayer(track);
      if (!source) continue;
      this.#addOutgoing(key, track, source.layer);
      changed = true;
    }
    this.#updateLayerTimer();
    return changed;
  }

  mediaMap(): MediaMap {
    const map: MediaMap = {};
    for (const out of this.#outgoing.values()) {
      if (out.transceiver.mid != null)
        map[out.transceiver.mid] = {type: out.track.type, sender_id: out.track.senderSessionID};
    }
    return map;
  }

  /** Stops the timers (first, so nothing fires during the rest of the teardown). */
  stopTimers(): void {
    clearInterval(this.#layerTimer);
  }

  /** Session teardown: every outgoing stream closes. */
  close(): void {
    this.stopTimers();
    for (const out of this.#outgoing.values()) this.#closeOutgoing(out);
    this.#outgoing.clear();
    for (const downstream of this.#idleDownstreams.values()) downstream.close();
    this.#idleDownstreams.clear();
    this.#wanted.clear();
  }

  #pickLayer(track: PublishedTrack): {layer: Layer} | undefined {
    if (!track.simulcast) return track.layers.has('l') ? {layer: 'l'} : undefined;
    const layer = initialLayer(undefined);
    return track.layers.has(layer) ? {layer} : track.layers.has('h') ? {layer: 'h'} : undefined;
  }

  #addOutgoing(key: string, track: PublishedTrack, layer: Layer): void {
    const {pc, deps, logger} = this.#ctx;
    const inUse = new Set([...this.#outgoing.values()].map((o) => o.transceiver));
    let transceiver = [...this.#ownTransceivers].find(
      (t) =>
        !t.stopped &&
        !inUse.has(t) &&
        t.kind === track.kind &&
        t.mid != null &&
        // Only once the client has agreed it no longer receives on it: a transceiver freed in an offer not yet
        // answered (or lost and rolled back) would reach the client as a stream-id change on a live track, which
        // fires no track event — it would play the newcomer as the one who left.
        (t.currentDirection === 'inactive' || t.currentDirection === 'recvonly') &&
        (track.kind === 'audio' || t.codecs[0]?.mimeType.toLowerCase() === track.mimeType.toLowerCase()),
    );
    const stream = new MediaStream({id: track.senderSessionID});
    if (transceiver) {
      transceiver.setDirection(transceiver.direction === 'recvonly' ? 'sendrecv' : 'sendonly');
    } else {
      transceiver = pc.addTransceiver(track.kind, {direction: 'sendonly'});
      this.#ownTransceivers.add(transceiver);
      if (track.kind === 'video') {
        const codec = pc.config.codecs.video?.find((c) => c.mimeType.toLowerCase() === track.mimeType.toLowerCase());
        if (codec) transceiver.setCodecPreferences([codec]);
      }
    }
    const trackId = outgoingTrackId(track.type, track.senderSessionID);
    setSenderTrackId(transceiver.sender, trackId);
    transceiver.sender.setStreams([stream]);
    const downstream =
      this.#idleDownstreams.get(transceiver) ?? new DownstreamTrack(transceiver.sender, deps.forwarding, logger);
    this.#idleDownstreams.delete(transceiver);
    const source = track.layers.get(layer);
    if (source) downstream.attach(source);
    const selector = track.simulcast
      ? new LayerSelector(layer, deps.clock, deps.timeouts.layerSwitchBackoffMs)
      : undefined;
    this.#outgoing.set(key, {track, transceiver, downstream, trackId, selector});
    deps.metrics.incRTPTracks(deps.groupID, 'out', track.mimeType);
  }

  #closeOutgoing(out: Outgoing): void {
    if (this.#ctx.closed || !this.#ownTransceivers.has(out.transceiver)) out.downstream.close();
    else {
      out.downstream.detach();
      this.#idleDownstreams.set(out.transceiver, out.downstream);
    }
    this.#ctx.deps.metrics.decRTPTracks(this.#ctx.deps.groupID, 'out', out.track.mimeType);
  }

  #updateLayerTimer(): void {
    const needed = [...this.#outgoing.values()].some((o) => o.selector);
    if (needed && !this.#layerTimer) {
      this.#layerTimer = setInterval(() => this.#checkLayers(), LAYER_CHECK_INTERVAL_MS);
      this.#layerTimer.unref();
    } else if (!needed && this.#layerTimer) {
      clearInterval(this.#layerTimer);
      this.#layerTimer = undefined;
    }
  }

  /** Moves each simulcast receiver to the layer its downlink estimate allows (no renegotiation needed). */
  #checkLayers(): void {
    for (const out of this.#outgoing.values()) {
      if (!out.selector) continue;
      const sender = out.transceiver.sender;
      const remb = Number(sender.receiverEstimatedMaxBitrate);
      const twcc = sender.senderBWE.availableBitrate;
      const estimate = remb > 0 ? remb : twcc > 0 ? twcc : undefined;
      const high = out.track.layers.get('h');
      const highRate = high ? high.bitrate : -1;
      const next = out.selector.update(estimate, highRate);
      const source = next ? out.track.layers.get(next) : undefined;
      if (next && source) {
        this.#ctx.logger.debug({layer: next, estimate}, 'simulcast layer switch');
        out.downstream.attach(source);
      }
    }
  }
}
