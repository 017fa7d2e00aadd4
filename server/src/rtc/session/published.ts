// What a session publishes: one incoming media (voice, screen, screen-audio or camera video) with its
// forwarding sources, one per simulcast layer.
import {randomString} from '../../ids';
import type {TrackType} from '../dcMessage';
import type {UpstreamTrack} from '../fastpath/forwarder';
import type {Layer} from '../media/simulcast';

export interface PublishedTrack {
  /** Unique within the server; not sent to clients. */
  readonly key: string;
  readonly type: TrackType;
  readonly kind: 'audio' | 'video';
  /** Negotiated codec of the incoming track ("audio/opus", "video/VP8", "video/AV1"). */
  readonly mimeType: string;
  readonly senderSessionID: string;
  /** Forwarding sources by layer; a single-layer track has only 'l'. */
  readonly layers: Map<Layer, UpstreamTrack>;
  readonly simulcast: boolean;
}

/** Reference §5.2: `<type>_<senderSessionID>_<8 random>`; clients split it on '_' to learn type and sender. */
export function outgoingTrackId(type: TrackType, senderSessionID: string): string {
  return `${type}_${senderSessionID}_${randomString(8)}`;
}
