// What each incoming track is (voice, screen, screen audio, video): the data channel's MediaMap by mid, else the
// track id's prefix, else audio is voice; a video track with neither waits up to 2 s for the MediaMap, then
// counts as screen. Each track is handed on in a stream of its own, which mirrors the sender's stream losing it
// (the SFU stopped forwarding it: a screen share ended) with a 'removetrack' event of its own.

import {trackTypeFromID, type MediaMap} from '@calls/protocol';

import type {TrackType} from '../types';

const UNTYPED_VIDEO_WAIT_MS = 2000;

export interface RemoteTrackInfo {
  type: TrackType;
  /** The SFU sets the stream id to the sending session's id. */
  senderSessionID: string;
}

export {trackTypeFromID};

export type OnRemoteTrack = (track: MediaStreamTrack, stream: MediaStream, info: RemoteTrackInfo) => void;

export class RemoteTracks {
  readonly #onTrack: OnRemoteTrack;
  readonly #log: Pick<Console, 'warn'>;
  #mediaMap: MediaMap = {};
  #pendingVideo: Array<{ev: RTCTrackEvent; timer: ReturnType<typeof setTimeout>}> = [];

  constructor(onTrack: OnRemoteTrack, log: Pick<Console, 'warn'>) {
    this.#onTrack = onTrack;
    this.#log = log;
  }

  /** A MediaMap from the server: tracks that waited for their type are handed on. */
  addMediaMap(map: MediaMap): void {
    this.#mediaMap = {...this.#mediaMap, ...map};
    this.#retryPendingVideo();
  }

  onTrack(ev: RTCTrackEvent): void {
    const type = this.#typeFor(ev);
    if (!type) {
      // MediaMap may arrive just after the offer that created this transceiver.
      const timer = setTimeout(() => {
        this.#pendingVideo = this.#pendingVideo.filter((p) => p.ev !== ev);
        this.#log.warn('rtc peer: video track without a type, treating it as screen');
        this.#emitTrack(ev, 'screen');
      }, UNTYPED_VIDEO_WAIT_MS);
      this.#pendingVideo.push({ev, timer});
      return;
    }
    this.#emitTrack(ev, type);
  }

  /** The peer closed: tracks still waiting for their type are dropped. */
  clear(): void {
    for (const p of this.#pendingVideo) {
      clearTimeout(p.timer);
    }
    this.#pendingVideo = [];
  }

  #typeFor(ev: RTCTrackEvent): TrackType | undefined {
    const mid = ev.transceiver?.mid;
    if (mid && this.#mediaMap[mid]) {
      return this.#mediaMap[mid].type;
    }
    const fromID = trackTypeFromID(ev.track.id);
    if (fromID) {
      return fromID;
    }
    return ev.track.kind === 'audio' ? 'voice' : undefined;
  }

  #retryPendingVideo(): void {
    for (const p of [...this.#pendingVideo]) {
      const type = this.#typeFor(p.ev);
      if (type) {
        clearTimeout(p.timer);
        this.#pendingVideo = this.#pendingVideo.filter((x) => x !== p);
        this.#emitTrack(p.ev, type);
      }
    }
  }

  #emitTrack(ev: RTCTrackEvent, type: TrackType): void {
    const senderSessionID = ev.streams[0]?.id || '';
    // One stream per track: the SFU groups all of a sender's tracks in one stream, which would make a
    // screen <video> also play that sender's voice.
    const track = ev.track;
    const own = new MediaStream([track]);
    // A remote track the SFU stops sending is not 'ended': Chromium mutes it and removes it from the sender's
    // stream. Without passing that on, the element playing it (a screen's sound) would stay forever.
    const sender = ev.streams[0];
    const onRemove = (e: Event) => {
      if ((e as MediaStreamTrackEvent).track !== track) {
        return;
      }
      sender?.removeEventListener('removetrack', onRemove);
      own.removeTrack(track);
      own.dispatchEvent(new Event('removetrack'));
    };
    sender?.addEventListener('removetrack', onRemove);
    this.#onTrack(track, own, {type, senderSessionID});
  }
}
