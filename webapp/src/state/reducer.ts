// The reducer of the plugin's Redux slice (its shape: calls_state.ts) and its typed actions. Current-call state is
// changed only by websocket events (mapped in ws_events.ts) and by the local client's own optimistic updates.

import {ActionTypes, type CallsAction} from './action_types';
import {initialState, type CallsState, type RecordingState, type SessionUI} from './calls_state';
import {defaultCallsClientConfig, type CallJobState} from '../types';

export const MAX_REACTIONS = 50;

function without<T>(rec: Record<string, T>, key: string): Record<string, T> {
  if (!(key in rec)) {
    return rec;
  }
  const copy = {...rec};
  delete copy[key];
  return copy;
}

function updateSession(
  state: CallsState,
  channelID: string,
  sessionID: string | undefined,
  patch: (s: SessionUI) => Partial<SessionUI>,
): CallsState {
  const sessions = state.sessions[channelID];
  const s = sessionID ? sessions?.[sessionID] : undefined;
  if (!sessions || !s || !sessionID) {
    return state;
  }
  return {...state, sessions: {...state.sessions, [channelID]: {...sessions, [sessionID]: {...s, ...patch(s)}}}};
}

/**
 * The job state the server sent, merged with what only this client knows: when the error was first seen (so a banner
 * dismissed for one error comes back for a newer one) and the banner's dismissal.
 */
function mergeRecording(prev: RecordingState | undefined, job: CallJobState & {error_at?: number}): RecordingState {
  const next: RecordingState = {
    type: job.type || 'recording',
    init_at: job.init_at,
    start_at: job.start_at,
    end_at: job.end_at,
  };
  if (job.err) {
    next.err = job.err;
    const same = prev?.err === job.err && prev.init_at === job.init_at && prev.error_at;
    next.error_at = job.error_at || (same ? prev.error_at : 0) || job.end_at || Date.now();
  }
  if (prev?.prompt_dismissed_at) {
    next.prompt_dismissed_at = prev.prompt_dismissed_at;
  }
  return next;
}

function endCall(state: CallsState, channelID: string): CallsState {
  const ended = state.incomingCalls.filter((c) => c.channelID === channelID).map((c) => c.callID);
  return {
    ...state,
    incomingCalls: state.incomingCalls.filter((c) => c.channelID !== channelID),
    ringingForCalls: ended.reduce((r, id) => without(r, id), state.ringingForCalls),
    calls: without(state.calls, channelID),
    sessions: without(state.sessions, channelID),
    hosts: without(state.hosts, channelID),
    screenSharingIDs: without(state.screenSharingIDs, channelID),
    reactions: without(state.reactions, channelID),
    recordings: without(state.recordings, channelID),
    recentlyJoinedUsers: without(state.recentlyJoinedUsers, channelID),
    hostNotices: state.hostNotices.filter((n) => n.channelID !== channelID),
  };
}

export function callsReducer(state: CallsState = initialState(), a: CallsAction | {type: string}): CallsState {
  const act = a as CallsAction;
  switch (act.type) {
    case ActionTypes.RECEIVED_CHANNEL_STATE: {
      const {channelID, enabled} = act.data;
      return {...state, channels: {...state.channels, [channelID]: {id: channelID, enabled}}};
    }
    case ActionTypes.CALL_STATE: {
      const {channelID, call} = act.data;
      const prev = state.sessions[channelID] || {};
      const sessions: Record<string, SessionUI> = {};
      for (const s of call.sessions) {
        sessions[s.session_id] = {
          session_id: s.session_id,
          user_id: s.user_id,
          unmuted: Boolean(s.unmuted),
          raised_hand: s.raised_hand || 0,
          video: Boolean(s.video),
          voice: prev[s.session_id]?.voice ?? false,
          reaction: prev[s.session_id]?.reaction,
        };
      }
      const next: CallsState = {
        ...state,
        calls: {
          ...state.calls,
          [channelID]: {
            ID: call.id,
            channelID,
            startAt: call.start_at,
            threadID: call.thread_id,
            postID: call.post_id,
            ownerID: call.owner_id,
          },
        },
        sessions: {...state.sessions, [channelID]: sessions},
        hosts: {
          ...state.hosts,
          [channelID]: {
            hostID: call.host_id,
            hostChangeAt: state.hosts[channelID]?.hostID === call.host_id ? state.hosts[channelID].hostChangeAt : 0,
          },
        },
        screenSharingIDs: {...state.screenSharingIDs, [channelID]: call.screen_sharing_session_id || ''},
        recordings: call.recording
          ? {...state.recordings, [channelID]: mergeRecording(state.recordings[channelID], call.recording)}
          : without(state.recordings, channelID),
      };
      return next;
    }
    case ActionTypes.CALL_START: {
      const d = act.data;
      return {
        ...state,
        calls: {
          ...state.calls,
          [d.channelID]: {
            ID: d.callID,
            channelID: d.channelID,
            startAt: d.startAt,
            threadID: d.threadID,
            postID: d.postID,
            ownerID: d.ownerID,
          },
        },
        hosts: {...state.hosts, [d.channelID]: {hostID: d.hostID, hostChangeAt: 0}},
        recordings: without(state.recordings, d.channelID),
        sessions: state.sessions[d.channelID] ? state.sessions : {...state.sessions, [d.channelID]: {}},
      };
    }
    case ActionTypes.CALL_END:
      return endCall(state, act.data.channelID);
    case ActionTypes.CALL_HOST: {
      const {channelID, hostID, hostChangeAt} = act.data;
      return {...state, hosts: {...state.hosts, [channelID]: {hostID, hostChangeAt}}};
    }
    case ActionTypes.CALL_RECORDING_STATE: {
      const {channelID, jobState} = act.data;
      return {
        ...state,
        recordings: {...state.recordings, [channelID]: mergeRecording(state.recordings[channelID], jobState)},
      };
    }
    case ActionTypes.RECORDING_PROMPT_DISMISSED: {
      const {channelID, dismissedAt} = act.data;
      const rec = state.recordings[channelID];
      if (!rec || (rec.prompt_dismissed_at || 0) >= dismissedAt) {
        return state;
      }
      return {...state, recordings: {...state.recordings, [channelID]: {...rec, prompt_dismissed_at: dismissedAt}}};
    }
    case ActionTypes.SHOW_STOP_RECORDING_MODAL:
      return {...state, stopRecordingModal: {channelID: act.data.channelID}};
    case ActionTypes.HIDE_STOP_RECORDING_MODAL:
      return state.stopRecordingModal ? {...state, stopRecordingModal: null} : state;
    case ActionTypes.USER_JOINED: {
      const {channelID, userID, sessionID} = act.data;
      const sessions = state.sessions[channelID] || {};
      const joined = state.recentlyJoinedUsers[channelID] || [];
      return {
        ...state,
        sessions: {
          ...state.sessions,
          [channelID]: {
            ...sessions,
            [sessionID]: sessions[sessionID] || {
              session_id: sessionID,
              user_id: userID,
              unmuted: false,
              raised_hand: 0,
              video: false,
              voice: false,
            },
          },
        },
        recentlyJoinedUsers: {
          ...state.recentlyJoinedUsers,
          [channelID]: [...joined.filter((u) => u !== userID), userID],
        },
      };
    }
    case ActionTypes.USER_JOINED_TIMEOUT: {
      const {channelID, userID} = act.data;
      const joined = state.recentlyJoinedUsers[channelID];
      if (!joined) {
        return state;
      }
      return {
        ...state,
        recentlyJoinedUsers: {...state.recentlyJoinedUsers, [channelID]: joined.filter((u) => u !== userID)},
      };
    }
    case ActionTypes.USER_LEFT: {
      const {channelID, sessionID} = act.data;
      const sessions = state.sessions[channelID];
      if (!sessions) {
        return state;
      }
      const next = {...state, sessions: {...state.sessions, [channelID]: without(sessions, sessionID)}};
      if (state.screenSharingIDs[channelID] === sessionID) {
        next.screenSharingIDs = {...state.screenSharingIDs, [channelID]: ''};
      }
      return next;
    }
    case ActionTypes.USER_MUTED:
      return updateSession(state, act.data.channelID, act.data.sessionID, () => ({unmuted: false, voice: false}));
    case ActionTypes.USER_UNMUTED:
      return updateSession(state, act.data.channelID, act.data.sessionID, () => ({unmuted: true}));
    case ActionTypes.USER_VOICE_ON:
      return updateSession(state, act.data.channelID, act.data.sessionID, () => ({voice: true}));
    case ActionTypes.USER_VOICE_OFF:
      return updateSession(state, act.data.channelID, act.data.sessionID, () => ({voice: false}));
    case ActionTypes.USER_VIDEO_ON:
      return updateSession(state, act.data.channelID, act.data.sessionID, () => ({video: true}));
    case ActionTypes.USER_VIDEO_OFF:
      return updateSession(state, act.data.channelID, act.data.sessionID, () => ({video: false}));
    case ActionTypes.USER_RAISE_HAND:
      return updateSession(state, act.data.channelID, act.data.sessionID, () => ({raised_hand: act.data.raisedHand}));
    case ActionTypes.USER_LOWER_HAND:
      return updateSession(state, act.data.channelID, act.data.sessionID, () => ({raised_hand: 0}));
    case ActionTypes.USER_SCREEN_ON:
      return {...state, screenSharingIDs: {...state.screenSharingIDs, [act.data.channelID]: act.data.sessionID}};
    case ActionTypes.USER_SCREEN_OFF:
      return {...state, screenSharingIDs: {...state.screenSharingIDs, [act.data.channelID]: ''}};
    case ActionTypes.USER_REACTED: {
      const {channelID, reaction} = act.data;
      const list = [...(state.reactions[channelID] || []), reaction].slice(-MAX_REACTIONS);
      const next = {...state, reactions: {...state.reactions, [channelID]: list}};
      return updateSession(next, channelID, reaction.session_id, () => ({reaction}));
    }
    case ActionTypes.USER_REACTED_TIMEOUT: {
      const {channelID, reaction} = act.data;
      const list = (state.reactions[channelID] || []).filter(
        (r) => r !== reaction && !(r.session_id === reaction.session_id && r.timestamp === reaction.timestamp),
      );
      const next = {...state, reactions: {...state.reactions, [channelID]: list}};
      return updateSession(next, channelID, reaction.session_id, (s) =>
        s.reaction?.timestamp === reaction.timestamp ? {reaction: undefined} : {},
      );
    }
    case ActionTypes.DISMISS_CALL:
      return {
        ...state,
        dismissedCalls: {...state.dismissedCalls, [act.data.callID]: true},
        incomingCalls: state.incomingCalls.filter((c) => c.callID !== act.data.callID),
        ringingForCalls: without(state.ringingForCalls, act.data.callID),
      };
    case ActionTypes.INCOMING_CALL_ADD:
      if (state.incomingCalls.some((c) => c.callID === act.data.callID)) {
        return state;
      }
      return {...state, incomingCalls: [...state.incomingCalls, act.data]};
    case ActionTypes.INCOMING_CALL_REMOVE:
      return {
        ...state,
        incomingCalls: state.incomingCalls.filter((c) => c.callID !== act.data.callID),
        ringingForCalls: without(state.ringingForCalls, act.data.callID),
      };
    case ActionTypes.RINGING_START:
      return {
        ...state,
        ringingForCalls: {...state.ringingForCalls, [act.data.callID]: true},
        didRingForCalls: {...state.didRingForCalls, [act.data.callID]: true},
      };
    case ActionTypes.RINGING_STOP:
      return {...state, ringingForCalls: without(state.ringingForCalls, act.data.callID)};
    case ActionTypes.RECEIVED_CALLS_CONFIG:
      return {...state, callsConfig: {...defaultCallsClientConfig, ...act.data}};
    case ActionTypes.RECEIVED_ENV_OVERRIDES:
      return {...state, envOverrides: act.data};
    case ActionTypes.RECEIVED_VERSION_INFO:
      return {...state, versionInfo: act.data};
    case ActionTypes.CHANNELS_LOADED:
      return state.loaded ? state : {...state, loaded: true};
    case ActionTypes.CLIENT_CONNECTING:
      return {
        ...state,
        // "X has joined" notices are for joins that happen while I am in the call.
        recentlyJoinedUsers: without(state.recentlyJoinedUsers, act.data.channelID),
        clientConnecting: true,
        client: {channelID: act.data.channelID, sessionID: '', connected: false, starting: act.data.starting},
      };
    case ActionTypes.CLIENT_CONNECTED:
      if (!state.client || state.client.channelID !== act.data.channelID) {
        return state;
      }
      if (act.data.reconnecting) {
        return {...state, client: {...state.client, connected: false, reconnecting: true, mediaUnavailable: false}};
      }
      return {
        ...state,
        clientConnecting: !act.data.connected,
        client: {
          ...state.client,
          sessionID: act.data.sessionID,
          connected: act.data.connected,
          reconnecting: false,
          mediaUnavailable: false,
        },
      };
    case ActionTypes.CLIENT_MEDIA_UNAVAILABLE:
      if (!state.client || state.client.channelID !== act.data.channelID) {
        return state;
      }
      return {...state, client: {...state.client, connected: false, reconnecting: true, mediaUnavailable: true}};
    case ActionTypes.CLIENT_ATTACHED:
      return {
        ...state,
        clientConnecting: false,
        client: {
          channelID: act.data.channelID,
          sessionID: act.data.sessionID,
          connected: act.data.connected,
          starting: false,
        },
      };
    case ActionTypes.CLIENT_DISCONNECTED:
      if (state.client && state.client.channelID !== act.data.channelID) {
        return state;
      }
      return {
        ...state,
        client: null,
        clientConnecting: false,
        expandedView: false,
        mos: null,
        alerts: {},
        stopRecordingModal: null,
      };
    case ActionTypes.CLIENT_MOS:
      return {...state, mos: act.data.mos};
    case ActionTypes.SHOW_EXPANDED_VIEW:
      return {...state, expandedView: true};
    case ActionTypes.HIDE_EXPANDED_VIEW:
      return {...state, expandedView: false};
    case ActionTypes.SHOW_SWITCH_CALL_MODAL:
      return {...state, switchCallModal: {show: true, targetID: act.data.targetID}};
    case ActionTypes.HIDE_SWITCH_CALL_MODAL:
      return {...state, switchCallModal: {show: false, targetID: ''}};
    case ActionTypes.SHOW_CALL_ERROR_MODAL:
      return {...state, callErrorModal: act.data};
    case ActionTypes.HIDE_CALL_ERROR_MODAL:
      return {...state, callErrorModal: null};
    case ActionTypes.SHOW_GENERIC_ERROR_MODAL:
      return {...state, genericErrorModal: act.data};
    case ActionTypes.HIDE_GENERIC_ERROR_MODAL:
      return {...state, genericErrorModal: null};
    case ActionTypes.ALERT_SHOW: {
      const prev = state.alerts[act.data.kind];
      return {
        ...state,
        alerts: {
          ...state.alerts,
          [act.data.kind]: {show: true, dismissedAt: prev?.dismissedAt || 0, label: act.data.label},
        },
      };
    }
    case ActionTypes.ALERT_HIDE: {
      const prev = state.alerts[act.data.kind];
      if (!prev) {
        return state;
      }
      return {
        ...state,
        alerts: {
          ...state.alerts,
          [act.data.kind]: {...prev, show: false, dismissedAt: act.data.dismissed ? act.data.at : prev.dismissedAt},
        },
      };
    }
    case ActionTypes.HOST_NOTICE_ADD:
      return {...state, hostNotices: [...state.hostNotices, act.data]};
    case ActionTypes.HOST_NOTICE_REMOVE:
      return {...state, hostNotices: state.hostNotices.filter((n) => n.id !== act.data.id)};
    case ActionTypes.UNINIT: {
      // Keep what does not depend on the server's view of calls: config, and the connection if one is live.
      const init = initialState();
      return {
        ...init,
        callsConfig: state.callsConfig,
        versionInfo: state.versionInfo,
        envOverrides: state.envOverrides,
        loaded: state.loaded,
        didRingForCalls: state.didRingForCalls,
        userPreferences: state.userPreferences,
        client: state.client,
        clientConnecting: state.clientConnecting,
      };
    }
    default:
      return state;
  }
}
