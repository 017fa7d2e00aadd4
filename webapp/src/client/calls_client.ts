// One call connection (reference webapp.md §4.1): its own websocket (call_socket.ts: join, reconnect with the
// original connection id, signal filtering by connID), the RTC peer and its recovery (call_peer.ts;
// rtc_reconnect/unavailable here), mute (call_mic.ts; the devices are call_audio.ts's), hands, reactions, screen
// sharing (call_screen.ts), the camera in video DMs (call_video.ts) and what the others send (remote_media.ts).
// window.callsClient holds the live one.

import {actionName} from '@calls/protocol';

import {CallAudio, type AudioErrorKind} from './call_audio';
import {CallMic} from './call_mic';
import {ScreenShare} from './call_screen';
import {CameraVideo} from './call_video';
import {connectCallSocket} from './call_socket';
import {CallsClientError, type CallsClientOptions, type ClientEvents} from './calls_client_types';
import type {DeviceLists} from './devices';
import {CallPeer} from './call_peer';
import {RemoteMedia} from './remote_media';
import type {RemoteTrackInfo, SignalData} from './rtc_peer';
import type {WebSocketClient} from './websocket';
import {Emitter} from '../utils/emitter';
import type {EmojiData} from '../types';

export {
  CallsClientError,
  PEER_RECOVERY_MS,
  type AudioErrorKind,
  type CallsClientOptions,
  type ClientEvents,
} from './calls_client_types';

export class CallsClient extends Emitter<ClientEvents> {
  readonly channelID: string;
  readonly #opts: CallsClientOptions;
  readonly #log: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
  #ws: WebSocketClient | null = null;
  readonly #peer: CallPeer;
  readonly #audio: CallAudio;
  readonly #mic: CallMic;
  #handRaised = false;
  readonly #screen: ScreenShare;
  readonly #remote = new RemoteMedia({
    onScreen: (s) => this.emit('remoteScreenStream', s),
    onVideo: (id, s) => this.emit('remoteVideoStream', id, s),
  });
  /** Only in a DM with EnableVideo. */
  readonly #video: CameraVideo | null = null;
  #closed = false;
  #sessionID = '';
  /** The server said the call's media is away (rtc_unavailable) and has not sent rtc_reconnect since. */
  #mediaUnavailable = false;
  #onDeviceChange = () => {
    this.#audio.onDeviceChange().catch((err) => this.#log.warn('devicechange failed', err));
    this.#video?.refreshCameras().catch(() => undefined);
  };
  #onUnload = () => this.disconnect();

  constructor(opts: CallsClientOptions) {
    super();
    this.channelID = opts.channelID;
    this.#opts = opts;
    this.#log = opts.logger ?? console;
    this.#peer = new CallPeer(opts, this.#log, {
      send: (action, data, binary) => this.#ws?.send(action, data, binary),
      isClosed: () => this.#closed,
      onTrack: (track, stream, info) => this.#onRemoteTrack(track, stream, info),
      onConnect: (peer) => {
        this.emit('connect');
        this.#mic.onPeerConnected();
        this.#screen.carryOver(peer);
        this.#video?.carryOver(peer);
      },
      onMos: (mos) => this.emit('mos', mos),
      onReconnecting: (reason) => this.emit('rtcReconnecting', reason),
      fail: (err) => this.disconnect(err),
    });
    this.#audio = new CallAudio({
      log: this.#log,
      isClosed: () => this.#closed,
      isMuted: () => this.#mic.muted,
      replaceMicTrack: (old, next) => this.#mic.replaceTrack(old, next),
    });
    this.#audio.on('devicechange', (d) => this.emit('devicechange', d));
    this.#audio.on('devicefallback', (kind, label) => this.emit('devicefallback', kind, label));
    this.#audio.on('audioError', (kind) => this.emit('audioError', kind));
    this.#audio.on('initaudio', () => this.emit('initaudio'));
    this.#mic = new CallMic({
      log: this.#log,
      audio: this.#audio,
      isClosed: () => this.#closed,
      peer: () => this.#peer.peer,
      isConnected: () => this.#peer.connected,
      onUnmuted: () => this.#peer.clearStatsCache(),
      send: (action) => this.#ws?.send(actionName(action)),
    });
    this.#mic.on('mute', () => this.emit('mute'));
    this.#mic.on('unmute', () => this.emit('unmute'));
    this.#screen = new ScreenShare({
      log: this.#log,
      simulcast: opts.simulcast,
      isClosed: () => this.#closed,
      peer: () => this.#peer.peer,
      send: (action, data) => this.#ws?.send(actionName(action), data),
    });
    this.#screen.on('localScreenStream', (s) => this.emit('localScreenStream', s));
    this.#screen.on('screenError', () => this.emit('screenError'));
    if (opts.video) {
      this.#video = new CameraVideo({
        log: this.#log,
        isClosed: () => this.#closed,
        peer: () => this.#peer.peer,
        send: (action, data) => this.#ws?.send(actionName(action), data),
      });
      this.#video.on('localVideoStream', (s) => {
        this.#peer.clearStatsCache();
        this.emit('localVideoStream', s);
      });
      this.#video.on('videoError', (kind) => this.emit('videoError', kind));
      this.#video.on('cameras', () => this.emit('devicechange', this.#audio.devices));
    }
  }

  get sessionID(): string {
    return this.#sessionID;
  }

  get originalConnID(): string {
    return this.#ws?.originalConnID || this.#sessionID;
  }

  get isMuted(): boolean {
    return this.#mic.muted;
  }

  get isHandRaised(): boolean {
    return this.#handRaised;
  }

  get isConnected(): boolean {
    return this.#peer.connected;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Waiting for the server to run the call's media again (README "The rtc_unavailable event"). */
  get isMediaUnavailable(): boolean {
    return this.#mediaUnavailable;
  }

  get devices(): DeviceLists {
    return this.#audio.devices;
  }

  get currentAudioInput(): MediaDeviceInfo | null {
    return this.#audio.currentInput;
  }

  get currentAudioOutput(): MediaDeviceInfo | null {
    return this.#audio.currentOutput;
  }

  get localScreenStream(): MediaStream | null {
    return this.#screen.stream;
  }

  get remoteScreenStream(): MediaStream | null {
    return this.#remote.screen;
  }

  /** A DM call with video on (EnableVideo): the camera button and picker exist. */
  get videoEnabled(): boolean {
    return Boolean(this.#video);
  }

  get isVideoOn(): boolean {
    return Boolean(this.#video?.active);
  }

  get localVideoStream(): MediaStream | null {
    return this.#video?.stream ?? null;
  }

  /** The camera video a session sends, by its session id. */
  remoteVideoStream(sessionID: string): MediaStream | null {
    return this.#remote.video(sessionID);
  }

  get cameras(): MediaDeviceInfo[] {
    return this.#video?.cameras ?? [];
  }

  get currentCamera(): MediaDeviceInfo | null {
    return this.#video?.currentCamera ?? null;
  }

  async startVideo(): Promise<void> {
    await this.#video?.start();
  }

  async stopVideo(): Promise<void> {
    await this.#video?.stop();
  }

  async setVideoInputDevice(device: MediaDeviceInfo): Promise<void> {
    await this.#video?.setCamera(device);
  }

  get hasAudioInput(): boolean {
    return Boolean(this.#audio.track);
  }

  /** Why there is no microphone (no device, or no permission); null when there is one or it is not known yet. */
  get audioError(): AudioErrorKind | null {
    return this.#audio.error;
  }

  /** The peer connection (tests and /call stats read its getStats()). */
  get peerConnection(): RTCPeerConnection | null {
    return this.#peer.peer?.pc ?? null;
  }

  /** The websocket (tests cut it to exercise reconnect). */
  get ws(): WebSocketClient | null {
    return this.#ws;
  }

  async init(): Promise<void> {
    if (typeof window !== 'undefined' && window.isSecureContext === false) {
      this.disconnect(new CallsClientError('insecure', 'insecure context'));
      return;
    }
    window.addEventListener('beforeunload', this.#onUnload);
    navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange);
    await this.#audio.listDevices();
    await this.#audio.initMic();
    await this.#video?.init();
    if (this.#closed) {
      return;
    }
    this.#audio.resolveOutput();
    this.emit('devicechange', this.#audio.devices);
    this.#connectWS();
  }

  #connectWS(): void {
    const o = this.#opts;
    this.#ws = connectCallSocket(
      {
        url: o.wsURL,
        authToken: o.authToken,
        WebSocket: o.WebSocket,
        logger: this.#log,
        join: {channelID: this.channelID, title: o.title, threadID: o.threadID, dcSignaling: o.dcSignaling},
      },
      {
        joined: () => {
          if (!this.#peer.peer) {
            this.#sessionID = this.#ws?.originalConnID || '';
            this.emit('joined', this.#sessionID);
            this.#peer.start();
          }
        },
        joinFailed: (text) => this.disconnect(new CallsClientError('join', text)),
        signal: (data) => this.#peer.peer?.signal(data as SignalData),
        callState: (msg) => this.emit('wsEvent', msg),
        rtcReconnect: (d) => this.#mediaMoved('rtc_reconnect', d),
        rtcUnavailable: (d) => this.#mediaMoved('rtc_unavailable', d),
        reconnected: () => this.emit('wsReconnected'),
        gaveUp: (err) => this.disconnect(new CallsClientError('ws_reconnect_timeout', err.message)),
      },
    );
  }

  #isOurSession(d: {session_id?: string; channelID?: string}): boolean {
    return (
      Boolean(d.session_id) && d.session_id === this.#sessionID && (!d.channelID || d.channelID === this.channelID)
    );
  }

  /**
   * The server moved the call's media, for our session: the peer connection is dead, but the call goes on. Drop it
   * (and the failure timer) without leaving the call.
   * - rtc_reconnect: another node now runs the media. Negotiate again exactly as after join: the session, its mute
   *   and screen state stay on the server; the microphone and a screen share are added to the new connection.
   * - rtc_unavailable: no node can run it now (its handler is down). Wait as long as the server keeps the call:
   *   rtc_reconnect brings the media back, call_end ends the call.
   */
  #mediaMoved(
    event: 'rtc_reconnect' | 'rtc_unavailable',
    d: {session_id?: string; channelID?: string; reason?: unknown},
  ) {
    if (!this.#isOurSession(d) || this.#closed || !this.#sessionID) {
      return;
    }
    const reason = String(d.reason || event);
    const unavailable = event === 'rtc_unavailable';
    this.#log.info(unavailable ? 'rtc unavailable:' : 'rtc reconnect:', reason);
    this.#mediaUnavailable = unavailable;
    this.#dropPeer();
    if (unavailable) {
      this.emit('rtcUnavailable', reason);
    } else {
      this.emit('rtcReconnecting', reason);
      this.#peer.start();
    }
  }

  /** Closes the current peer connection (and what it played) without leaving the call. */
  #dropPeer(): void {
    this.#peer.drop();
    this.#mic.onPeerDropped();
    this.#audio.stopPlayback();
    this.#remote.clear();
    this.#video?.onPeerDropped();
  }

  #onRemoteTrack(track: MediaStreamTrack, stream: MediaStream, info: RemoteTrackInfo): void {
    if (track.kind === 'audio') {
      this.#audio.play(track, stream);
    } else {
      this.#remote.show(track, stream, info);
    }
  }

  unmute(): Promise<void> {
    return this.#mic.unmute();
  }

  mute(): Promise<void> {
    return this.#mic.mute();
  }

  raiseHand(): void {
    this.#handRaised = true;
    this.#ws?.send(actionName('raise_hand'));
    this.emit('raise_hand');
  }

  lowerHand(): void {
    this.#handRaised = false;
    this.#ws?.send(actionName('unraise_hand'));
    this.emit('lower_hand');
  }

  react(emoji: EmojiData): void {
    this.#ws?.send(actionName('react'), {data: JSON.stringify(emoji)});
  }

  /** Shares the screen (the pop-out passes its own capture). */
  async shareScreen(captured?: MediaStream): Promise<void> {
    await this.#screen.start(captured);
  }

  async stopScreenShare(): Promise<void> {
    await this.#screen.stop();
  }

  /** Switches the microphone; the new track replaces the old one in place when unmuted. */
  async setAudioInputDevice(device: MediaDeviceInfo, persist = true): Promise<void> {
    await this.#audio.setInput(device, persist);
  }

  setAudioOutputDevice(device: MediaDeviceInfo, persist = true): void {
    this.#audio.setOutput(device, persist);
  }

  async getStats(): Promise<RTCStatsReport | null> {
    return this.#peer.peer ? this.#peer.peer.getStats() : null;
  }

  /** Leaves the call and releases everything (idempotent). */
  disconnect(err: CallsClientError | null = null): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#peer.close();
    window.removeEventListener('beforeunload', this.#onUnload);
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
    this.#audio.release();
    this.#screen.release();
    this.#video?.release();
    this.#remote.release();
    if (this.#ws) {
      this.#ws.send(actionName('leave'));
      this.#ws.close();
      this.#ws = null;
    }
    this.emit('close', err);
    this.removeAllListeners();
  }
}
