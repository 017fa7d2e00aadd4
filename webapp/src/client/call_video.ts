// The camera in a video DM (reference webapp.md §2.19, §4.2): off by default; starting captures 640×360 at 30 fps,
// tells the server the stream id (video_on) so the SFU classifies the track as camera, and sends it capped at 1 Mbps.
// Stopping stops the track (the camera's light goes off) but keeps the RTP sender: replaceTrack(null), no renegotiation.

import {
  findDevice,
  isMissingDeviceError,
  isPermissionError,
  listCameras,
  loadSavedCamera,
  saveCamera,
  VIDEO_ENCODINGS,
  videoConstraints,
} from './devices';
import type {CameraErrorKind, MediaPartHost} from './calls_client_types';
import type {RTCPeer} from './rtc_peer';
import {Emitter} from '../utils/emitter';

export type CameraEvents = {
  localVideoStream: [MediaStream | null];
  videoError: [CameraErrorKind];
  cameras: [];
};

export interface CameraHost extends MediaPartHost {
  send(action: 'video_on' | 'video_off', data?: Record<string, unknown>): void;
}

export class CameraVideo extends Emitter<CameraEvents> {
  readonly #host: CameraHost;
  /** One stream for the whole call: its id is what video_on announces and what the transceiver's msid carries. */
  readonly #stream = new MediaStream();
  /** The live camera track, or null while the camera is off. */
  #track: MediaStreamTrack | null = null;
  /** The track the peer's sender was last keyed by (it stays after a stop, sending nothing). */
  #senderKey: MediaStreamTrack | null = null;
  #cameras: MediaDeviceInfo[] = [];
  #current: MediaDeviceInfo | null = null;
  #busy: Promise<void> = Promise.resolve();

  constructor(host: CameraHost) {
    super();
    this.#host = host;
  }

  get active(): boolean {
    return Boolean(this.#track);
  }

  /** The self view while the camera is on. */
  get stream(): MediaStream | null {
    return this.#track ? this.#stream : null;
  }

  get cameras(): MediaDeviceInfo[] {
    return this.#cameras;
  }

  get currentCamera(): MediaDeviceInfo | null {
    return this.#current;
  }

  /**
   * At join: ask for camera permission once (so the cameras have labels), release the camera at once, and resolve
   * the saved choice. A missing or denied camera is never fatal to the call; it is reported when the user starts it.
   */
  async init(): Promise<void> {
    try {
      const probe = await navigator.mediaDevices.getUserMedia(videoConstraints());
      probe.getTracks().forEach((t) => t.stop());
    } catch (err) {
      // Not worth a banner while the camera is off: pressing the camera button reports it.
      this.#host.log.info('no camera at join', err);
    }
    await this.refreshCameras();
  }

  async refreshCameras(): Promise<void> {
    try {
      this.#cameras = await listCameras();
    } catch {
      this.#cameras = [];
    }
    const still = this.#current && this.#cameras.find((d) => d.deviceId === this.#current?.deviceId);
    this.#current = still || findDevice(this.#cameras, loadSavedCamera()) || this.#cameras[0] || null;
    this.emit('cameras');
  }

  start(): Promise<void> {
    return this.#serial(() => this.#start());
  }

  stop(): Promise<void> {
    return this.#serial(() => this.#stop(true));
  }

  /** Switches the camera; while it is on, the new capture replaces the old one in the same sender. */
  setCamera(device: MediaDeviceInfo): Promise<void> {
    return this.#serial(async () => {
      this.#current = device;
      saveCamera({deviceId: device.deviceId, label: device.label});
      this.emit('cameras');
      if (!this.#track) {
        return;
      }
      const next = await this.#capture();
      if (!next) {
        return;
      }
      const old = this.#track;
      this.#swapInStream(old, next);
      this.#track = next;
      old.stop();
      const peer = this.#host.peer();
      if (peer && this.#senderKey) {
        await peer.replaceTrack(this.#senderKey, next);
        this.#senderKey = next;
      }
      this.emit('localVideoStream', this.#stream);
    });
  }

  /** The peer connection went away (rtc_reconnect/unavailable): its sender with it. */
  onPeerDropped(): void {
    this.#senderKey = null;
  }

  /** A new connection after rtc_reconnect: a camera that is on goes on sending there. */
  carryOver(peer: RTCPeer): void {
    if (this.#track && !this.#senderKey) {
      const track = this.#track;
      this.#senderKey = track;
      this.#host.send('video_on', {data: JSON.stringify({videoStreamID: this.#stream.id})});
      peer.addVideoTrack(track, this.#stream, VIDEO_ENCODINGS).catch((err) => {
        this.#host.log.warn('re-adding camera failed', err);
      });
    }
  }

  /** The call is over: the camera is released without telling anyone. */
  release(): void {
    this.#track?.stop();
    this.#track = null;
    this.#senderKey = null;
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#busy.then(fn, fn);
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async #capture(): Promise<MediaStreamTrack | null> {
    try {
      const media = await navigator.mediaDevices.getUserMedia(videoConstraints(this.#current?.deviceId));
      return media.getVideoTracks()[0] ?? null;
    } catch (err) {
      this.#reportError(err);
      return null;
    }
  }

  async #start(): Promise<void> {
    if (this.#track || this.#host.isClosed() || !this.#host.peer()) {
      return;
    }
    const track = await this.#capture();
    if (!track) {
      return;
    }
    if (this.#host.isClosed()) {
      track.stop();
      return;
    }
    this.#swapInStream(null, track);
    this.#track = track;
    // The OS or the browser can take the camera away: that is a stop like the user's.
    track.addEventListener('ended', () => {
      if (this.#track === track) {
        this.stop().catch(() => undefined);
      }
    });
    // video_on first, so the SFU classifies the incoming stream as camera video.
    this.#host.send('video_on', {data: JSON.stringify({videoStreamID: this.#stream.id})});
    this.emit('localVideoStream', this.#stream);
    const peer = this.#host.peer();
    if (!peer) {
      return;
    }
    if (this.#senderKey) {
      await peer.replaceTrack(this.#senderKey, track);
    } else {
      await peer.addVideoTrack(track, this.#stream, VIDEO_ENCODINGS);
    }
    this.#senderKey = track;
  }

  async #stop(tell: boolean): Promise<void> {
    const track = this.#track;
    if (!track) {
      return;
    }
    this.#track = null;
    track.stop();
    this.#swapInStream(track, null);
    this.emit('localVideoStream', null);
    const peer = this.#host.peer();
    if (peer && this.#senderKey && !this.#host.isClosed()) {
      await peer.replaceTrack(this.#senderKey, null).catch((err) => this.#host.log.warn('stopping camera failed', err));
    }
    if (tell && !this.#host.isClosed()) {
      this.#host.send('video_off');
    }
  }

  #swapInStream(old: MediaStreamTrack | null, next: MediaStreamTrack | null): void {
    if (old) {
      this.#stream.removeTrack(old);
    }
    if (next) {
      this.#stream.addTrack(next);
    }
  }

  #reportError(err: unknown): void {
    this.#host.log.warn('camera unavailable', err);
    if (isPermissionError(err)) {
      this.emit('videoError', 'permission');
    } else if (isMissingDeviceError(err)) {
      this.emit('videoError', 'missing');
    }
  }
}
