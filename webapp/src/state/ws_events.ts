// Websocket events → Redux, in one place (reference webapp.md §3.3). The plugin registers handleWebSocketEvent for
// every calls event on the host's main socket; core's user_removed is handled here too.

import {CALLS_MAIN_SOCKET_EVENT_NAMES} from '@calls/protocol';

import {
  addHostNotice,
  callEnd,
  JOINED_NOTICE_MS,
  loadCallsConfig,
  loadCallState,
  loadProfilesIfMissing,
  REACTION_MS,
  showCallError,
  userLeft,
} from './actions';
import {action} from './action_types';
import {noteChannelEvent} from './channel_event_clock';
import {parseJobState} from './recording';
import {incomingCallOnChannel, removeIncomingCall} from './ringing';
import {callsState, channelIDForCurrentCall, currentUserId, sessionsInChannel} from './selectors';
import type {StoreLike} from './store_like';
import {ownCallsClient} from '../client/current';
import {wsPrefix} from '../manifest';
import {isPopOutWindow} from '../popout';
import {playSound, shouldPlayJoinUser} from '../sounds';
import type {CallState, EmojiData, WebSocketMessage} from '../types';

/** Every calls event the webapp handles on the main socket (the suffix after custom_com.mattermost.calls_). */
export const CALLS_EVENTS = CALLS_MAIN_SOCKET_EVENT_NAMES;

type Data = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function channelOf(msg: WebSocketMessage): string {
  const d = msg.data as Data;
  return str(d.channelID) || str(d.channel_id) || msg.broadcast?.channel_id || '';
}

function parseCall(raw: unknown): CallState | null {
  if (!raw) {
    return null;
  }
  if (typeof raw === 'string') {
    try {
      return JSON.parse(raw) as CallState;
    } catch {
      return null;
    }
  }
  return raw as CallState;
}

function isMySession(store: StoreLike, sessionID: string): boolean {
  const client = callsState(store.getState()).client;
  return Boolean(sessionID) && client?.sessionID === sessionID;
}

/**
 * Events that set one flag of a session, and the action each dispatches. user_screen_off may come with empty data
 * (the sharer left); the channel comes from the broadcast then.
 */
const SESSION_FLAG_ACTIONS: Partial<Record<string, SessionFlagAction>> = {
  user_muted: 'USER_MUTED',
  user_unmuted: 'USER_UNMUTED',
  user_voice_on: 'USER_VOICE_ON',
  user_voice_off: 'USER_VOICE_OFF',
  user_screen_on: 'USER_SCREEN_ON',
  user_screen_off: 'USER_SCREEN_OFF',
  user_video_on: 'USER_VIDEO_ON',
  user_video_off: 'USER_VIDEO_OFF',
  user_unraise_hand: 'USER_LOWER_HAND',
};

type SessionFlagAction =
  | 'USER_MUTED'
  | 'USER_UNMUTED'
  | 'USER_VOICE_ON'
  | 'USER_VOICE_OFF'
  | 'USER_SCREEN_ON'
  | 'USER_SCREEN_OFF'
  | 'USER_VIDEO_ON'
  | 'USER_VIDEO_OFF'
  | 'USER_LOWER_HAND';

/** Handles one websocket event; returns false when it is not a calls event or core event this plugin uses. */
export function handleWebSocketEvent(store: StoreLike, msg: WebSocketMessage): boolean {
  if (msg.event === 'user_removed') {
    handleUserRemoved(store, msg);
    return true;
  }
  if (!msg.event.startsWith(wsPrefix)) {
    return false;
  }
  const name = msg.event.slice(wsPrefix.length);
  const d = (msg.data || {}) as Data;
  const channelID = channelOf(msg);
  const userID = str(d.userID) || str(d.user_id);
  const sessionID = str(d.session_id);
  noteChannelEvent(channelID);

  const flag = SESSION_FLAG_ACTIONS[name];
  if (flag) {
    store.dispatch(action(flag, {channelID, userID, sessionID}));
    return true;
  }
  switch (name) {
    case 'channel_enable_voice':
    case 'channel_disable_voice':
      store.dispatch(action('RECEIVED_CHANNEL_STATE', {channelID, enabled: name === 'channel_enable_voice'}));
      break;
    case 'call_start':
      store.dispatch(
        action('CALL_START', {
          channelID,
          callID: str(d.id),
          startAt: Number(d.start_at) || 0,
          threadID: str(d.thread_id),
          postID: str(d.post_id),
          ownerID: str(d.owner_id),
          hostID: str(d.host_id) || str(d.owner_id),
        }),
      );
      loadProfilesIfMissing(store, [str(d.owner_id)]).catch(() => undefined);
      incomingCallOnChannel(
        store,
        {channelID, callID: str(d.id), callerID: str(d.owner_id), startAt: Number(d.start_at) || Date.now()},
        {ring: true},
      );
      break;
    case 'call_end':
      callEnd(store, channelID);
      break;
    case 'call_state': {
      const call = parseCall(d.call);
      const ch = str(d.channel_id) || channelID;
      if (call && ch) {
        loadCallState(store, ch, call);
      }
      break;
    }
    case 'user_joined':
      store.dispatch(action('USER_JOINED', {channelID, userID, sessionID}));
      onUserJoined(store, channelID, userID, sessionID);
      setTimeout(() => store.dispatch(action('USER_JOINED_TIMEOUT', {channelID, userID})), JOINED_NOTICE_MS);
      loadProfilesIfMissing(store, [userID]).catch(() => undefined);
      break;
    case 'user_left':
      userLeft(store, channelID, userID, sessionID);
      break;
    case 'user_raise_hand':
      store.dispatch(
        action('USER_RAISE_HAND', {channelID, userID, sessionID, raisedHand: Number(d.raised_hand) || Date.now()}),
      );
      break;
    case 'user_reacted': {
      if (channelID !== channelIDForCurrentCall(store.getState())) {
        break;
      }
      const reaction = {
        user_id: userID,
        session_id: sessionID,
        emoji: (d.emoji || {name: '', unified: ''}) as EmojiData,
        timestamp: Number(d.timestamp) || Date.now(),
      };
      store.dispatch(action('USER_REACTED', {channelID, reaction}));
      setTimeout(() => store.dispatch(action('USER_REACTED_TIMEOUT', {channelID, reaction})), REACTION_MS);
      break;
    }
    case 'call_host_changed': {
      const hostID = str(d.hostID);
      const prev = callsState(store.getState()).hosts[channelID]?.hostID;
      store.dispatch(action('CALL_HOST', {channelID, hostID, hostChangeAt: Date.now()}));
      if (prev && prev !== hostID && channelID === channelIDForCurrentCall(store.getState())) {
        addHostNotice(store, {type: 'host_changed', channelID, userID: hostID});
      }
      loadProfilesIfMissing(store, [hostID]).catch(() => undefined);
      break;
    }
    case 'call_job_state': {
      const jobState = parseJobState(d.jobState);
      // callID is the channel id here (reference calls-protocol.md §13.11).
      const ch = str(d.callID) || channelID;
      if (jobState && ch && jobState.type === 'recording') {
        store.dispatch(action('CALL_RECORDING_STATE', {channelID: ch, jobState}));
      }
      break;
    }
    case 'user_dismissed_notification':
      if (str(d.userID) === currentUserId(store.getState())) {
        store.dispatch(action('DISMISS_CALL', {callID: str(d.callID)}));
      }
      break;
    case 'host_mute':
      if (isMySession(store, sessionID)) {
        ownCallsClient()?.mute();
      }
      break;
    case 'host_screen_off':
      if (isMySession(store, sessionID)) {
        ownCallsClient()?.stopScreenShare();
      }
      break;
    case 'host_lower_hand':
      if (isMySession(store, sessionID)) {
        ownCallsClient()?.lowerHand();
        addHostNotice(store, {
          type: 'lower_hand',
          channelID,
          userID: currentUserId(store.getState()),
          hostID: str(d.host_id),
        });
      }
      break;
    case 'host_removed':
      if (isMySession(store, sessionID)) {
        // In the pop-out the opener's window disconnects and explains; this window closes with the call.
        if (!isPopOutWindow()) {
          ownCallsClient()?.disconnect();
          showCallError(store, 'removed_by_host', channelID);
        }
      } else if (channelID === channelIDForCurrentCall(store.getState())) {
        addHostNotice(store, {type: 'removed', channelID, userID: str(d.user_id)});
      }
      break;
    case 'config_changed':
      // An admin saved the settings: this tab follows them (test mode, screen sharing, …) without a reload.
      loadCallsConfig(store).catch((err) => console.warn('calls: reloading config failed', err));
      break;
    default:
      return false;
  }
  return true;
}

/** Sounds for joins into our call, and a join of mine (from any client) silences that call's card. */
function onUserJoined(store: StoreLike, channelID: string, userID: string, sessionID: string): void {
  const state = store.getState();
  if (userID === currentUserId(state)) {
    for (const c of callsState(state).incomingCalls.filter((x) => x.channelID === channelID)) {
      removeIncomingCall(store, c.callID);
    }
  }
  const client = ownCallsClient();
  if (!client || client.channelID !== channelID) {
    return;
  }
  if (sessionID && sessionID === client.originalConnID) {
    playSound('join_self');
    return;
  }
  const participants = Object.keys(sessionsInChannel(state, channelID)).length;
  if (shouldPlayJoinUser(participants, callsState(state).userPreferences.joinSoundParticipantsThreshold)) {
    playSound('join_user');
  }
}

/** Core user_removed: if it is me and the channel of my call, disconnect and say why. */
function handleUserRemoved(store: StoreLike, msg: WebSocketMessage): void {
  const d = (msg.data || {}) as Data;
  const channelID = str(d.channel_id) || msg.broadcast?.channel_id || '';
  const removedUser = str(d.user_id) || msg.broadcast?.user_id || '';
  const me = currentUserId(store.getState());
  if (removedUser && removedUser !== me) {
    return;
  }
  if (!channelID || channelID !== channelIDForCurrentCall(store.getState())) {
    return;
  }
  if (isPopOutWindow()) {
    // The opener's window disconnects and explains.
    return;
  }
  ownCallsClient()?.disconnect();
  const remover = str(d.remover_id);
  showCallError(store, remover && remover !== me ? 'removed_from_channel' : 'left_channel', channelID);
}
