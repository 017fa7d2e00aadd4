// Redux action types of the plugin slice, prefixed with the plugin id so they never collide with core's, and each
// action's data: one typed action() builder for the whole webapp.
import {pluginId} from '../manifest';
import type {AlertKind, CallErrorKind, HostNotice, IncomingCall} from './calls_state';
import type {CallJobState, CallState, CallsClientConfig, Reaction, VersionInfo} from '../types';

const names = [
  'RECEIVED_CHANNEL_STATE',
  'CALL_STATE',
  'CALL_START',
  'CALL_END',
  'CALL_HOST',
  'CALL_RECORDING_STATE',
  'RECORDING_PROMPT_DISMISSED',
  'SHOW_STOP_RECORDING_MODAL',
  'HIDE_STOP_RECORDING_MODAL',
  'USER_JOINED',
  'USER_JOINED_TIMEOUT',
  'USER_LEFT',
  'USER_MUTED',
  'USER_UNMUTED',
  'USER_VOICE_ON',
  'USER_VOICE_OFF',
  'USER_SCREEN_ON',
  'USER_SCREEN_OFF',
  'USER_VIDEO_ON',
  'USER_VIDEO_OFF',
  'USER_RAISE_HAND',
  'USER_LOWER_HAND',
  'USER_REACTED',
  'USER_REACTED_TIMEOUT',
  'DISMISS_CALL',
  'RECEIVED_CALLS_CONFIG',
  'RECEIVED_ENV_OVERRIDES',
  'RECEIVED_VERSION_INFO',
  'CHANNELS_LOADED',
  'CLIENT_CONNECTING',
  'CLIENT_CONNECTED',
  'CLIENT_MEDIA_UNAVAILABLE',
  'CLIENT_ATTACHED',
  'CLIENT_DISCONNECTED',
  'CLIENT_MOS',
  'SHOW_EXPANDED_VIEW',
  'HIDE_EXPANDED_VIEW',
  'SHOW_SWITCH_CALL_MODAL',
  'HIDE_SWITCH_CALL_MODAL',
  'SHOW_CALL_ERROR_MODAL',
  'HIDE_CALL_ERROR_MODAL',
  'SHOW_GENERIC_ERROR_MODAL',
  'HIDE_GENERIC_ERROR_MODAL',
  'ALERT_SHOW',
  'ALERT_HIDE',
  'HOST_NOTICE_ADD',
  'HOST_NOTICE_REMOVE',
  'INCOMING_CALL_ADD',
  'INCOMING_CALL_REMOVE',
  'RINGING_START',
  'RINGING_STOP',
  'UNINIT',
] as const;

export type ActionTypeName = (typeof names)[number];

/** Action type strings are literal types so the reducer's switch narrows each action's data. */
export type Prefixed<N extends string> = `com.mattermost.calls_${N}`;

if (pluginId !== 'com.mattermost.calls') {
  throw new Error(`action types assume the plugin id com.mattermost.calls, got ${pluginId}`);
}

export const ActionTypes = Object.fromEntries(names.map((n) => [n, `${pluginId}_${n}`])) as {
  [K in ActionTypeName]: Prefixed<K>;
};

/** The core (mattermost-redux) action that adds user profiles to state.entities.users.profiles. */
export const RECEIVED_PROFILES_LIST = 'RECEIVED_PROFILES_LIST';

export interface ActionData {
  RECEIVED_CHANNEL_STATE: {channelID: string; enabled: boolean};
  CALL_STATE: {channelID: string; call: CallState};
  CALL_START: {
    channelID: string;
    callID: string;
    startAt: number;
    threadID: string;
    postID: string;
    ownerID: string;
    hostID: string;
  };
  CALL_END: {channelID: string; callID?: string};
  CALL_HOST: {channelID: string; hostID: string; hostChangeAt: number};
  CALL_RECORDING_STATE: {channelID: string; jobState: CallJobState & {error_at?: number}};
  RECORDING_PROMPT_DISMISSED: {channelID: string; dismissedAt: number};
  SHOW_STOP_RECORDING_MODAL: {channelID: string};
  HIDE_STOP_RECORDING_MODAL: Record<string, never>;
  USER_JOINED: {channelID: string; userID: string; sessionID: string};
  USER_JOINED_TIMEOUT: {channelID: string; userID: string};
  USER_LEFT: {channelID: string; userID: string; sessionID: string};
  USER_MUTED: {channelID: string; userID: string; sessionID: string};
  USER_UNMUTED: {channelID: string; userID: string; sessionID: string};
  USER_VOICE_ON: {channelID: string; userID: string; sessionID: string};
  USER_VOICE_OFF: {channelID: string; userID: string; sessionID: string};
  USER_SCREEN_ON: {channelID: string; userID: string; sessionID: string};
  USER_SCREEN_OFF: {channelID: string; userID?: string; sessionID?: string};
  USER_VIDEO_ON: {channelID: string; userID: string; sessionID: string};
  USER_VIDEO_OFF: {channelID: string; userID: string; sessionID: string};
  USER_RAISE_HAND: {channelID: string; userID: string; sessionID: string; raisedHand: number};
  USER_LOWER_HAND: {channelID: string; userID: string; sessionID: string};
  USER_REACTED: {channelID: string; reaction: Reaction};
  USER_REACTED_TIMEOUT: {channelID: string; reaction: Reaction};
  DISMISS_CALL: {callID: string};
  RECEIVED_CALLS_CONFIG: CallsClientConfig;
  RECEIVED_ENV_OVERRIDES: Record<string, string>;
  RECEIVED_VERSION_INFO: VersionInfo;
  CHANNELS_LOADED: Record<string, never>;
  CLIENT_CONNECTING: {channelID: string; starting: boolean};
  CLIENT_CONNECTED: {channelID: string; sessionID: string; connected: boolean; reconnecting?: boolean};
  CLIENT_MEDIA_UNAVAILABLE: {channelID: string; reason: string};
  /** The pop-out shows the opener's connection: the same call and session, without connecting anything. */
  CLIENT_ATTACHED: {channelID: string; sessionID: string; connected: boolean};
  CLIENT_DISCONNECTED: {channelID: string};
  CLIENT_MOS: {mos: number | null};
  SHOW_EXPANDED_VIEW: Record<string, never>;
  HIDE_EXPANDED_VIEW: Record<string, never>;
  SHOW_SWITCH_CALL_MODAL: {targetID: string};
  HIDE_SWITCH_CALL_MODAL: Record<string, never>;
  SHOW_CALL_ERROR_MODAL: {kind: CallErrorKind; channelID: string; message?: string};
  HIDE_CALL_ERROR_MODAL: Record<string, never>;
  SHOW_GENERIC_ERROR_MODAL: {title: string; message: string};
  HIDE_GENERIC_ERROR_MODAL: Record<string, never>;
  ALERT_SHOW: {kind: AlertKind; label?: string};
  ALERT_HIDE: {kind: AlertKind; dismissed: boolean; at: number};
  HOST_NOTICE_ADD: HostNotice;
  HOST_NOTICE_REMOVE: {id: string};
  INCOMING_CALL_ADD: IncomingCall;
  INCOMING_CALL_REMOVE: {callID: string};
  RINGING_START: {callID: string};
  RINGING_STOP: {callID: string};
  UNINIT: Record<string, never>;
}

export type CallsAction = {[K in ActionTypeName]: {type: Prefixed<K>; data: ActionData[K]}}[ActionTypeName];

/** Builds a typed action. */
export function action<K extends ActionTypeName>(
  name: K,
  data: ActionData[K],
): {type: Prefixed<K>; data: ActionData[K]} {
  return {type: ActionTypes[name], data};
}
