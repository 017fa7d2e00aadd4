// What this client receives from the others besides their voice: the screen one of them shares and the camera
// video of each sender (video DMs), each change reported once, all of it gone when the peer connection drops.

import {RemoteScreen} from './remote_screen';
import type {RemoteTrackInfo} from './rtc_peer';

export interface RemoteMediaHooks {
  onScreen(stream: MediaStream | null): void;
  onVideo(senderSessionID: string, stream: MediaStream | null): void;
}

export class RemoteMedia {
  readonly #hooks: RemoteMediaHooks;
  readonly #screen: RemoteScreen;
  /** Remote camera video by the sending session's id. */
  readonly #videos = new Map<string, MediaStream>();

  constructor(hooks: RemoteMediaHooks) {
    this.#hooks = hooks;
    this.#screen = new RemoteScreen((s) => hooks.onScreen(s));
  }

  get screen(): MediaStream | null {
    return this.#screen.stream;
  }

  video(sessionID: string): MediaStream | null {
    return this.#videos.get(sessionID) ?? null;
  }

  /** A remote video track (audio is played elsewhere): a shared screen or a sender's camera; others are ignored. */
  show(track: MediaStreamTrack, stream: MediaStream, info: RemoteTrackInfo): void {
    if (info.type === 'screen') {
      this.#screen.show(track, stream);
      return;
    }
    if (info.type === 'video' && info.senderSessionID) {
      const sender = info.senderSessionID;
      this.#videos.set(sender, stream);
      track.addEventListener('ended', () => {
        if (this.#videos.get(sender) === stream) {
          this.#videos.delete(sender);
          this.#hooks.onVideo(sender, null);
        }
      });
      this.#hooks.onVideo(sender, stream);
    }
  }

  /** The peer connection dropped: every remote stream is gone, and said so. */
  clear(): void {
    this.#screen.clear();
    const senders = [...this.#videos.keys()];
    this.#videos.clear();
    senders.forEach((id) => this.#hooks.onVideo(id, null));
  }

  /** Leaving the call: forget the streams without reporting (nobody listens any more). */
  release(): void {
    this.#videos.clear();
  }
}
