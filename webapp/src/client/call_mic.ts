// Muting in a call: a call is joined muted; the first unmute adds the microphone's track to the peer connection
// (a renegotiation), later ones re-enable it and put it back in its sender; mute sends silence without
// renegotiating. The server is told either way; the devices are call_audio.ts's.

import type {CallAudio} from './call_audio';
import type {MediaPartHost} from './calls_client_types';
import {Emitter} from '../utils/emitter';

export type CallMicEvents = {
  mute: [];
  unmute: [];
};

export interface CallMicHost extends MediaPartHost {
  audio: CallAudio;
  isConnected(): boolean;
  /** Unmuted: called before the server is told (the quality monitor starts afresh). */
  onUnmuted(): void;
  send(action: 'mute' | 'unmute'): void;
}

export class CallMic extends Emitter<CallMicEvents> {
  readonly #host: CallMicHost;
  #muted = true;
  /** The microphone's track is in the current peer connection. */
  #added = false;

  constructor(host: CallMicHost) {
    super();
    this.#host = host;
  }

  get muted(): boolean {
    return this.#muted;
  }

  async unmute(): Promise<void> {
    const audio = this.#host.audio;
    if (this.#host.isClosed()) {
      return;
    }
    if (!audio.track) {
      await audio.initMic();
    }
    const track = audio.track;
    if (!track) {
      return;
    }
    track.enabled = true;
    this.#muted = false;
    this.#host.onUnmuted();
    this.#host.send('unmute');
    this.emit('unmute');
    const peer = this.#host.peer();
    if (!peer || !this.#host.isConnected()) {
      return;
    }
    if (!this.#added) {
      await this.#add();
    } else {
      await peer.replaceTrack(track, track);
    }
  }

  async mute(): Promise<void> {
    if (this.#host.isClosed()) {
      return;
    }
    this.#muted = true;
    const track = this.#host.audio.track;
    if (track) {
      track.enabled = false;
    }
    this.#host.send('mute');
    this.emit('mute');
    const peer = this.#host.peer();
    if (peer && this.#added && track) {
      await peer.replaceTrack(track, null).catch((err) => this.#host.log.warn('mute failed', err));
    }
  }

  /** A new microphone track replaces the old one in its sender (once it was added). */
  async replaceTrack(old: MediaStreamTrack, next: MediaStreamTrack | null): Promise<void> {
    const peer = this.#host.peer();
    if (peer && this.#added) {
      await peer.replaceTrack(old, next);
    }
  }

  /** A peer connection came up: the user may have unmuted before (or before the connection was made again). */
  onPeerConnected(): void {
    if (!this.#muted && this.#host.audio.track && !this.#added) {
      this.#add().catch((err) => this.#host.log.warn('adding microphone failed', err));
    }
  }

  /** The peer connection was dropped: the next one needs the track added again. */
  onPeerDropped(): void {
    this.#added = false;
  }

  async #add(): Promise<void> {
    const {track, stream} = this.#host.audio;
    const peer = this.#host.peer();
    if (!peer || !track || !stream || this.#added) {
      return;
    }
    this.#added = true;
    await peer.addTrack(track, stream);
  }
}
