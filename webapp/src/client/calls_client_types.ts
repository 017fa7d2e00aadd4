// What a CallsClient is made with and what it tells its owner: options, events and its error (reference webapp.md
// §4.1). Apart from calls_client.ts so the store and the UI can name them without the client's code.

import type {AudioErrorKind} from './call_audio';
import type {DeviceKind, DeviceLists} from './devices';
import type {RTCPeer, RTCPeerConfig} from './rtc_peer';
import type {WebSocketCtor} from './websocket';
import type {CallErrorKind} from '../state/calls_state';
import type {WebSocketMessage} from '../types';

/** Why the camera could not start: no camera, or no permission for it. */
export type CameraErrorKind = 'missing' | 'permission';

export type {AudioErrorKind};

/** What every media part of a client (microphone, screen share, camera) asks of the CallsClient it serves. */
export interface MediaPartHost {
  log: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
  isClosed(): boolean;
  /** The call's current peer connection, if there is one. */
  peer(): RTCPeer | null;
}

export class CallsClientError extends Error {
  constructor(
    readonly kind: CallErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CallsClientError';
  }
}

export interface CallsClientOptions {
  channelID: string;
  title?: string;
  threadID?: string;
  wsURL: string;
  authToken?: string;
  iceServers: RTCIceServer[];
  dcSignaling: boolean;
  dcLocking: boolean;
  simulcast: boolean;
  /** A DM with EnableVideo: the camera can be turned on (it starts off). */
  video?: boolean;
  WebSocket?: WebSocketCtor;
  logger?: Pick<Console, 'debug' | 'info' | 'warn' | 'error'>;
  /** Makes the RTC peer (tests give a scripted one). */
  createPeer?: (cfg: RTCPeerConfig) => RTCPeer;
  /**
   * How long a connection that failed after being up may wait for the server's rtc_reconnect (its call moved to
   * another node) before the client gives up and leaves (README "The rtc_reconnect event"; 20 s).
   */
  peerRecoveryMs?: number;
}

export const PEER_RECOVERY_MS = 20000;

export type ClientEvents = {
  /** The join was acknowledged: the session id is known. */
  joined: [string];
  /** The RTC connection is up. */
  connect: [];
  close: [CallsClientError | null];
  mute: [];
  unmute: [];
  raise_hand: [];
  lower_hand: [];
  remoteScreenStream: [MediaStream | null];
  localScreenStream: [MediaStream | null];
  /** My camera: the self view, or null when the camera goes off. */
  localVideoStream: [MediaStream | null];
  /** A session's camera video arrived (or went: null). */
  remoteVideoStream: [string, MediaStream | null];
  videoError: [CameraErrorKind];
  devicechange: [DeviceLists];
  devicefallback: [DeviceKind, string];
  audioError: [AudioErrorKind];
  initaudio: [];
  screenError: [];
  mos: [number];
  /** Calls events that arrived on this client's own socket and that the main socket may not deliver. */
  wsEvent: [WebSocketMessage];
  /** The call moved to another node (or the connection failed): media is being negotiated again. */
  rtcReconnecting: [string];
  /** The server says no node can run the call's media now: the client stays in the call and waits. */
  rtcUnavailable: [string];
  wsReconnected: [];
};
