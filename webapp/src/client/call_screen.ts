// Sharing the screen in a call (reference calls-protocol.md §1.2 `screen_on`): capture (or take the pop-out's
// capture), tell the server before adding the tracks so the SFU classifies them, stop when the browser's own
// "stop sharing" ends the track, and carry the share over to a new peer connection after rtc_reconnect.

import {captureScreen, SCREEN_ENCODINGS, shareAudioWithScreen, SIMULCAST_SCREEN_ENCODINGS} from './devices';
import type {MediaPartHost} from './calls_client_types';
import type {RTCPeer} from './rtc_peer';
import {Emitter} from '../utils/emitter';

export type ScreenShareEvents = {
  localScreenStream: [MediaStream | null];
  screenError: [];
};

export interface ScreenShareHost extends MediaPartHost {
  simulcast: boolean;
  send(action: 'screen_on' | 'screen_off', data?: Record<string, unknown>): void;
}

export class ScreenShare extends Emitter<ScreenShareEvents> {
  readonly #host: ScreenShareHost;
  #stream: MediaStream | null = null;

  constructor(host: ScreenShareHost) {
    super();
    this.#host = host;
  }

  get stream(): MediaStream | null {
    return this.#stream;
  }

  get #encodings(): RTCRtpEncodingParameters[] {
    return this.#host.simulcast ? SIMULCAST_SCREEN_ENCODINGS : SCREEN_ENCODINGS;
  }

  /** The pop-out captures in its own window (the capture needs that window's user gesture) and passes the stream. */
  async start(captured?: MediaStream): Promise<void> {
    if (this.#host.isClosed() || this.#stream || !this.#host.peer()) {
      captured?.getTracks().forEach((t) => t.stop());
      return;
    }
    let stream: MediaStream;
    try {
      stream = captured ?? (await captureScreen(shareAudioWithScreen()));
    } catch (err) {
      this.#host.log.warn('screen capture failed', err);
      this.emit('screenError');
      return;
    }
    if (this.#host.isClosed()) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    this.#stream = stream;
    stream.getVideoTracks()[0]?.addEventListener('ended', () => {
      this.stop().catch(() => undefined);
    });
    // screen_on first, so the SFU classifies the incoming stream as the screen.
    this.#host.send('screen_on', {data: JSON.stringify({screenStreamID: stream.id})});
    this.emit('localScreenStream', stream);
    // The peer may have gone meanwhile (rtc_unavailable): carryOver adds the share to the next one.
    await this.#host.peer()?.addScreenStream(stream, this.#encodings);
  }

  async stop(): Promise<void> {
    const stream = this.#stream;
    if (!stream) {
      return;
    }
    this.#stream = null;
    const tracks = stream.getTracks();
    tracks.forEach((t) => t.stop());
    this.emit('localScreenStream', null);
    const peer = this.#host.peer();
    if (peer && !this.#host.isClosed()) {
      await peer.removeTracks(tracks).catch((err) => this.#host.log.warn('removing screen failed', err));
      this.#host.send('screen_off');
    }
  }

  /** A new connection after rtc_reconnect: the share goes on, with the same stream id. */
  carryOver(peer: RTCPeer): void {
    if (this.#stream && !peer.hasSenderFor(this.#stream.getVideoTracks()[0])) {
      peer
        .addScreenStream(this.#stream, this.#encodings)
        .catch((err) => this.#host.log.warn('re-adding screen failed', err));
    }
  }

  /** Stops capturing without telling anyone (the call is over). */
  release(): void {
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#stream = null;
  }
}
