// The boundary between the call domain (calls/) and whatever runs a call's media: the embedded werift
// SFU (rtc/), a relay to the node that owns the call (cluster/), or an rtcd host (rtcd/).
// The message shapes follow rtcd's rtc.Message so every implementation speaks the same thing.
import type {AppError} from '../errors';
import type {TypedEmitter} from '../events';
import type {SessionDescription} from '../protocol';

/** What the SFU needs to know about a new session (rtcd `join`, rtc.Server.InitSession props). */
export interface SessionConfig {
  /** The call session id = the websocket connection id at join time (the "original conn id"). */
  sessionID: string;
  userID: string;
  /** The call id (calls.id), not the channel id. */
  callID: string;
  channelID: string;
  av1Support: boolean;
  dcSignaling: boolean;
  /** The `groupID` label of this session's metrics (rtcd: the plugin installation's client id); default the server's. */
  groupID?: string;
}

/** RTCSessionDescriptionInit as clients send it (protocol/sdp.ts). */
export type {SessionDescription};

/** RTCIceCandidateInit as clients send it. */
export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** A message from the signaling side into the SFU for one session. */
export type RtcInbound =
  | {sessionID: string; type: 'sdp'; data: SessionDescription}
  | {sessionID: string; type: 'ice'; data: IceCandidate}
  | {sessionID: string; type: 'mute' | 'unmute' | 'screen_off' | 'video_off'}
  | {sessionID: string; type: 'screen_on'; data: {screenStreamID: string}}
  | {sessionID: string; type: 'video_on'; data: {videoStreamID: string}};

/**
 * The stream id of a screen_on or video_on, if it is one: the signaling side passes on what the client sent.
 * Undefined for any other message.
 */
export function streamIDOf(msg: RtcInbound): string | undefined {
  if (msg.type !== 'screen_on' && msg.type !== 'video_on') return undefined;
  const data = msg.data as {screenStreamID?: unknown; videoStreamID?: unknown} | undefined;
  const id = msg.type === 'screen_on' ? data?.screenStreamID : data?.videoStreamID;
  return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
}

/** Signaling the SFU wants delivered to a session's client (as the `signal` websocket event). */
export type RtcSignal = {type: 'sdp'; data: SessionDescription} | {type: 'ice'; data: IceCandidate};

export interface RtcServerEvents {
  /** Deliver to the session's client over the websocket. */
  signal: [sessionID: string, signal: RtcSignal];
  /** Voice activity of a session changed (already debounced by the SFU). */
  voice: [sessionID: string, on: boolean];
  /** The session ended on the SFU side (peer failed/closed, negotiation timeout, closeSession). */
  close: [sessionID: string, reason: string];
  /**
   * Bad input from the session's client (invalid SDP or ICE, unknown data-channel message), with a
   * stable `app.rtc.*` id, for the client to be told. `fatal`: the session cannot continue and `close`
   * follows.
   */
  rejected: [sessionID: string, error: AppError, fatal: boolean];
  /**
   * The session's media was re-created (its media worker or node was lost): the client must drop its
   * peer connection and negotiate a new one over the same websocket session (`rtc_reconnect`).
   */
  restart: [sessionID: string, reason: string];
}

/** A session as diagnostics and tests see it (the same from an in-process SFU and from a media worker). */
export interface SessionSnapshot {
  signalingState: string;
  connectionState: string;
  /** The ICE servers the session's peer connection was given (TURN with per-session credentials). */
  iceServers: {urls: string | string[]; username?: string; credential?: string}[];
  /** werift's own STUN server setting of the ICE agent (the SFU clears it). */
  agentStunServer: unknown;
  /** Local port of the selected candidate pair, once there is one. */
  selectedLocalPort: number | undefined;
  /** DTLS-SRTP protection profile (7 AES-GCM, 1 AES-CM), once connected. */
  srtpProfile: number | undefined;
  receiving: {trackId: string; type: string; senderSessionID: string; mid: string | null}[];
  metrics: {lossRate?: number; rtt?: number; jitter?: number};
  fastIngressStreams: number;
  /** Of those, the streams the native addon forwards now (fastpath/nativeRoute.ts). */
  nativeRouteStreams: number;
}

/**
 * One operation on one SFU session beyond its life cycle (inspect, …). relay/sfu.ts names them with their
 * request and reply schemas; every relay passes the call on as it is, so a new one is that map and the SFU's
 * handler. The reply is the operation's (check it with relay/sfu.ts `callSessionOp`).
 */
export interface SessionOpCall {
  sessionID: string;
  op: string;
  req?: unknown;
}

export interface RtcServer extends TypedEmitter<RtcServerEvents> {
  /** Creates the session's peer connection; the client then makes the first offer. */
  initSession(cfg: SessionConfig): Promise<void>;
  /** Feeds signaling or state into a session. Unknown sessions are ignored (logged). Never throws on bad input. */
  send(msg: RtcInbound): void;
  /** Closes one session; idempotent. Emits `close` for it if it existed. */
  closeSession(sessionID: string): Promise<void>;
  /** Runs one session operation; throws app.rtc.no_session for a session it does not run. */
  sessionOp(call: SessionOpCall): Promise<unknown>;
  /** Closes every session and releases every socket and timer; idempotent. */
  close(): Promise<void>;
}
