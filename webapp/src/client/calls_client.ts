// One call connection (reference webapp.md §4.1): its own websocket (call_socket.ts: join, reconnect with the
// original connection id, signal filtering by connID), the RTC peer and its recovery (rtc_reconnect/unavailable),
// mute (call_mic.ts; the devices are call_audio.ts's), hands, reactions, screen sharing (call_screen.ts) and the camera in
// video DMs (call_video.ts). window.callsClient holds the live one.

import {actionName} from '@calls/protocol';

import {CallAudio, type AudioErrorKind} from './call_audio';
import {CallMic} from './call_mic';
import {ScreenShare} from './call_screen';
import {CameraVideo} from './call_video';
import {connectCallSocket} from './call_socket';
import {CallsClientError, PEER_RECOVERY_MS, type CallsClientOptions, type ClientEvents} from './calls_client_types';
import type {DeviceLists} from './devices';
import {PeerLossTimer} from './peer_loss_timer';
import {RemoteScreen} from './remote_screen';
import {RTCMonitor} from './rtc_monitor';
import {saveLastStats, summarizeStats} from './rtc_stats';
import {ERR_RTC_TIMEOUT, RTCPeer, type RemoteTrackInfo, type RTCPeerConfig, type SignalData} from './rtc_peer';
import type {WebSocketClient} from './websocket';
import {compressSDP} from './wire';
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
  #peer: RTCPeer | null = null;
  #monitor: RTCMonitor | null = null;
  readonly #audio: CallAudio;
  readonly #mic: CallMic;
  #handRaised = false;
  readonly #screen: ScreenShare;
  readonly #remoteScreen = new RemoteScreen((s) => this.emit('remoteScreenStream', s));
  /** Only in a DM with EnableVideo. */
  readonly #video: CameraVideo | null = null;
  /** Remote camera video by the sending session's id. */
  readonly #remoteVideos = new Map<string, MediaStream>();
  #closed = false;
  #connected = false;
  #sessionID = '';
  readonly #peerLoss = new PeerLossTimer<CallsClientError>();
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
      peer: () => this.#peer,
      isConnected: () => this.#connected,
      onUnmuted: () => this.#monitor?.clearCache(),
      send: (action) => this.#ws?.send(actionName(action)),
    });
    this.#mic.on('mute', () => this.emit('mute'));
    this.#mic.on('unmute', () => this.emit('unmute'));
    this.#screen = new ScreenShare({
      log: this.#log,
      simulcast: opts.simulcast,
      isClosed: () => this.#closed,
      peer: () => this.#peer,
      send: (action, data) => this.#ws?.send(actionName(action), data),
    });
    this.#screen.on('localScreenStream', (s) => this.emit('localScreenStream', s));
    this.#screen.on('screenError', () => this.emit('screenError'));
    if (opts.video) {
      this.#video = new CameraVideo({
        log: this.#log,
        isClosed: () => this.#closed,
        peer: () => this.#peer,
        send: (action, data) => this.#ws?.send(actionName(action), data),
      });
      this.#video.on('localVideoStream', (s) => {
        this.#monitor?.clearCache();
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
    return this.#connected;
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
    return this.#remoteScreen.stream;
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
    return this.#remoteVideos.get(sessionID) ?? null;
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
    return this.#peer?.pc ?? null;
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
          if (!this.#peer) {
            this.#sessionID = this.#ws?.originalConnID || '';
            this.emit('joined', this.#sessionID);
            this.#startPeer();
          }
        },
        joinFailed: (text) => this.disconnect(new CallsClientError('join', text)),
        signal: (data) => this.#peer?.signal(data as SignalData),
        callState: (msg) => this.emit('wsEvent', msg),
        rtcReconnect: (d) => {
          if (this.#isOurSession(d)) {
            this.#restartPeer(String(d.reason || 'rtc_reconnect'));
          }
        },
        rtcUnavailable: (d) => {
          if (this.#isOurSession(d)) {
            this.#awaitMedia(String(d.reason || 'rtc_unavailable'));
          }
        },
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
   * The server moved the call's media (another node now runs it) and asked for a new peer connection: drop the old
   * one without leaving the call, and negotiate again exactly as after join. The session, its mute and screen state
   * stay on the server; the microphone and a screen share are added to the new connection.
   */
  #restartPeer(reason: string): void {
    if (this.#closed || !this.#sessionID) {
      return;
    }
    this.#log.info('rtc reconnect:', reason);
    this.#mediaUnavailable = false;
    this.#dropPeer();
    this.emit('rtcReconnecting', reason);
    this.#startPeer();
  }

  /**
   * The server says no node can run the call's media now (its handler is down): the peer connection is dead, but
   * the call goes on. Drop the peer, stop the failure timer, and wait as long as the server keeps the call:
   * rtc_reconnect brings the media back, call_end ends the call.
   */
  #awaitMedia(reason: string): void {
    if (this.#closed || !this.#sessionID) {
      return;
    }
    this.#log.info('rtc unavailable:', reason);
    this.#mediaUnavailable = true;
    this.#dropPeer();
    this.emit('rtcUnavailable', reason);
  }

  /** Closes the current peer connection (and what it played) without leaving the call. */
  #dropPeer(): void {
    this.#peerLoss.cancel();
    this.#monitor?.stop();
    this.#monitor = null;
    const old = this.#peer;
    this.#peer = null;
    if (old) {
      old.removeAllListeners();
      old.destroy();
    }
    this.#connected = false;
    this.#mic.onPeerDropped();
    this.#audio.stopPlayback();
    this.#remoteScreen.clear();
    this.#video?.onPeerDropped();
    this.#clearRemoteVideos();
  }

  #clearRemoteVideos(): void {
    const senders = [...this.#remoteVideos.keys()];
    this.#remoteVideos.clear();
    senders.forEach((id) => this.emit('remoteVideoStream', id, null));
  }

  #startPeer(): void {
    const cfg: RTCPeerConfig = {
      iceServers: this.#opts.iceServers,
      dcSignaling: this.#opts.dcSignaling,
      dcLocking: this.#opts.dcLocking,
      logger: this.#log,
    };
    const peer = this.#opts.createPeer ? this.#opts.createPeer(cfg) : new RTCPeer(cfg);
    this.#peer = peer;
    peer.on('offer', (sdp) => this.#ws?.send(actionName('sdp'), {data: compressSDP(sdp)}, true));
    peer.on('answer', (sdp) => this.#ws?.send(actionName('sdp'), {data: compressSDP(sdp)}, true));
    peer.on('candidate', (c) => this.#ws?.send(actionName('ice'), {data: JSON.stringify(c)}));
    peer.on('track', (track, stream, info) => this.#onRemoteTrack(track, stream, info));
    peer.on('connect', () => {
      this.#connected = true;
      this.#peerLoss.cancel();
      const monitor = new RTCMonitor(peer);
      monitor.on('mos', (mos) => this.emit('mos', mos));
      monitor.start();
      this.#monitor = monitor;
      this.emit('connect');
      this.#mic.onPeerConnected();
      this.#screen.carryOver(peer);
      this.#video?.carryOver(peer);
    });
    peer.on('close', (err) => {
      if (this.#closed || this.#peer !== peer) {
        return;
      }
      if (err?.message === ERR_RTC_TIMEOUT) {
        this.disconnect(new CallsClientError('timeout', err.message));
        return;
      }
      const closeErr = new CallsClientError('peer', err?.message || 'rtc peer close');
      if (!this.#connected) {
        this.disconnect(closeErr);
        return;
      }
      // A connection that was up failed: its node may have died. The server moves the call and sends
      // rtc_reconnect; wait for it a while before giving up.
      this.#connected = false;
      this.emit('rtcReconnecting', closeErr.message);
      this.#peerLoss.start(closeErr, this.#opts.peerRecoveryMs ?? PEER_RECOVERY_MS, (e) => this.disconnect(e));
    });
  }

  #onRemoteTrack(track: MediaStreamTrack, stream: MediaStream, info: RemoteTrackInfo): void {
    if (track.kind === 'audio') {
      this.#audio.play(track, stream);
      return;
    }
    if (info.type === 'screen') {
      this.#remoteScreen.show(track, stream);
      return;
    }
    if (info.type === 'video' && info.senderSessionID) {
      const sender = info.senderSessionID;
      this.#remoteVideos.set(sender, stream);
      track.addEventListener('ended', () => {
        if (this.#remoteVideos.get(sender) === stream) {
          this.#remoteVideos.delete(sender);
          this.emit('remoteVideoStream', sender, null);
        }
      });
      this.emit('remoteVideoStream', sender, stream);
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
    return this.#peer ? this.#peer.getStats() : null;
  }

  /** Leaves the call and releases everything (idempotent). */
  disconnect(err: CallsClientError | null = null): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#connected = false;
    this.#peerLoss.cancel();
    window.removeEventListener('beforeunload', this.#onUnload);
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
    this.#monitor?.stop();
    this.#monitor = null;
    if (this.#peer) {
      // Asked for before the connection closes; kept for `/call stats` after the call.
      this.#peer.getStats().then(
        (r) => saveLastStats(summarizeStats(r)),
        () => undefined,
      );
    }
    this.#peer?.destroy();
    this.#peer = null;
    this.#audio.release();
    this.#screen.release();
    this.#video?.release();
    this.#remoteVideos.clear();
    if (this.#ws) {
      this.#ws.send(actionName('leave'));
      this.#ws.close();
      this.#ws = null;
    }
    this.emit('close', err);
    this.removeAllListeners();
  }
}
