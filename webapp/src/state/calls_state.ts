// The shape of the plugin's Redux slice, state['plugins-com.mattermost.calls'] (reference webapp.md §3.1), and its
// initial value; reducer.ts changes it.
import {
  defaultCallsClientConfig,
  type CallJobState,
  type CallsClientConfig,
  type Reaction,
  type SessionState,
  type VersionInfo,
} from '../types';

/**
 * A call's recording job as the webapp keeps it (reference webapp.md §3.1): the server's job state, plus when an
 * error was first seen (a start request that failed sets only this) and when the user dismissed its banner.
 */
export interface RecordingState extends CallJobState {
  error_at?: number;
  prompt_dismissed_at?: number;
}

export interface CallInfo {
  ID: string;
  channelID: string;
  startAt: number;
  threadID: string;
  postID: string;
  ownerID: string;
}

export interface SessionUI extends SessionState {
  voice: boolean;
  reaction?: Reaction;
}

export type HostNoticeType = 'host_changed' | 'removed' | 'lower_hand';

export interface HostNotice {
  id: string;
  type: HostNoticeType;
  channelID: string;
  userID: string;
  /** For lower_hand: who lowered it. */
  hostID?: string;
}

/** Why the local client closed, which chooses the error modal (reference webapp.md §2.12). */
export type CallErrorKind =
  | 'timeout'
  | 'peer'
  | 'insecure'
  | 'removed_from_channel'
  | 'left_channel'
  | 'removed_by_host'
  | 'ws_reconnect_timeout'
  | 'join'
  | 'generic';

export interface ClientState {
  channelID: string;
  sessionID: string;
  connected: boolean;
  /** True when this client started the call (chooses "Starting call…" vs "Joining call…"). */
  starting: boolean;
  /** The media connection is being made again (the call moved to another node). */
  reconnecting?: boolean;
  /**
   * The server says no node can run the call's media now (rtc_unavailable): the client stays in the call,
   * reconnecting, until rtc_reconnect or call_end.
   */
  mediaUnavailable?: boolean;
}

export type AlertKind =
  | 'missingAudioInput'
  | 'missingAudioInputPermissions'
  | 'missingScreenPermissions'
  | 'missingVideoInput'
  | 'missingVideoInputPermissions'
  | 'degradedCallQuality'
  | 'audioInputDeviceFallback'
  | 'audioOutputDeviceFallback';

export interface AlertState {
  show: boolean;
  /** Set when the user dismissed it; degradedCallQuality stays hidden for 20 s after that. */
  dismissedAt: number;
  /** Device label for the fallback alerts. */
  label?: string;
}

/** A ringing card for a DM/GM call the user is not in (reference webapp.md §2.11). */
export interface IncomingCall {
  callID: string;
  channelID: string;
  callerID: string;
  startAt: number;
  type: 'DM' | 'GM';
}

export interface CallsState {
  channels: Record<string, {id: string; enabled?: boolean}>;
  calls: Record<string, CallInfo>;
  sessions: Record<string, Record<string, SessionUI>>;
  hosts: Record<string, {hostID: string; hostChangeAt: number}>;
  screenSharingIDs: Record<string, string>;
  reactions: Record<string, Reaction[]>;
  /** By channel id. */
  recordings: Record<string, RecordingState>;
  hostNotices: HostNotice[];
  recentlyJoinedUsers: Record<string, string[]>;
  dismissedCalls: Record<string, boolean>;
  /** Newest last. */
  incomingCalls: IncomingCall[];
  /** The call ringing now (at most one rings at a time). */
  ringingForCalls: Record<string, boolean>;
  /** Each call rings at most once per page. */
  didRingForCalls: Record<string, boolean>;
  userPreferences: {joinSoundParticipantsThreshold: number};
  callsConfig: CallsClientConfig;
  envOverrides: Record<string, string>;
  versionInfo: VersionInfo;
  /** Config and the channels' call states have been loaded once (joining before that would misjudge the gating). */
  loaded: boolean;
  client: ClientState | null;
  clientConnecting: boolean;
  mos: number | null;
  expandedView: boolean;
  switchCallModal: {show: boolean; targetID: string};
  callErrorModal: {kind: CallErrorKind; channelID: string; message?: string} | null;
  genericErrorModal: {title: string; message: string} | null;
  /** The host asked to stop this channel's recording: "Stop recording?" is open. */
  stopRecordingModal: {channelID: string} | null;
  alerts: Partial<Record<AlertKind, AlertState>>;
}

export function initialState(): CallsState {
  return {
    channels: {},
    calls: {},
    sessions: {},
    hosts: {},
    screenSharingIDs: {},
    reactions: {},
    recordings: {},
    hostNotices: [],
    recentlyJoinedUsers: {},
    dismissedCalls: {},
    incomingCalls: [],
    ringingForCalls: {},
    didRingForCalls: {},
    userPreferences: {joinSoundParticipantsThreshold: 8},
    callsConfig: defaultCallsClientConfig,
    envOverrides: {},
    versionInfo: {},
    loaded: false,
    client: null,
    clientConnecting: false,
    mos: null,
    expandedView: false,
    switchCallModal: {show: false, targetID: ''},
    callErrorModal: null,
    genericErrorModal: null,
    stopRecordingModal: null,
    alerts: {},
  };
}
