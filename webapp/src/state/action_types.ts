// Redux action types of the plugin slice; prefixed with the plugin id so they never collide with core's.
import {pluginId} from '../manifest';

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
