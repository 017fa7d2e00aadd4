// Actions that need more than one dispatch or a REST call: loading config and channel call states, loading a call
// snapshot with its missing profiles, and the "a session left / the call ended" rules (reference webapp.md §3.2).

import {action} from './action_types';
import {channelEventMark, channelsTouchedSince} from './channel_event_clock';
import type {CallErrorKind, HostNotice} from './calls_state';
import {RECEIVED_PROFILES_LIST} from './action_types';
import {parseJobState} from './recording';
import {incomingCallOnChannel, RING_MS, stopRingingForCall} from './ringing';
import {callsState, channelIDForCurrentCall, isSystemAdmin, profiles, sessionsInChannel} from './selectors';
import type {StoreLike} from './store_like';
import {Rest} from '../client/rest';
import {ownCallsClient} from '../client/current';
import type {CallState} from '../types';

export const JOINED_NOTICE_MS = 5000;
export const REACTION_MS = 10000;
export const HOST_NOTICE_MS = 5000;

const inflightProfiles = new Set<string>();

/** Fetches the profiles of these users that the store does not have yet. */
export async function loadProfilesIfMissing(store: StoreLike, userIDs: string[]): Promise<void> {
  const known = profiles(store.getState());
  const missing = [...new Set(userIDs)].filter((id) => id && !known[id] && !inflightProfiles.has(id));
  if (!missing.length) {
    return;
  }
  missing.forEach((id) => inflightProfiles.add(id));
  try {
    const list = await Rest.getProfilesByIds(missing);
    store.dispatch({type: RECEIVED_PROFILES_LIST, data: list});
  } catch (err) {
    console.warn('calls: loading profiles failed', err);
  } finally {
    missing.forEach((id) => inflightProfiles.delete(id));
  }
}

export function loadCallState(store: StoreLike, channelID: string, call: CallState): void {
  const recording = call.recording ? parseJobState(call.recording) : null;
  store.dispatch(action('CALL_STATE', {channelID, call: {...call, recording: recording || undefined}}));
  const me = store.getState().entities.users.currentUserId;
  if (call.dismissed_notification?.[me]) {
    store.dispatch(action('DISMISS_CALL', {callID: call.id}));
  }
  loadProfilesIfMissing(
    store,
    call.sessions.map((s) => s.user_id),
  ).catch(() => undefined);
}

export async function loadCallsConfig(store: StoreLike): Promise<void> {
  const cfg = await Rest.getConfig();
  store.dispatch(action('RECEIVED_CALLS_CONFIG', cfg));
}

export async function loadVersionInfo(store: StoreLike): Promise<void> {
  try {
    store.dispatch(action('RECEIVED_VERSION_INFO', await Rest.getVersion()));
  } catch (err) {
    console.warn('calls: loading version failed', err);
  }
}

export async function loadEnvOverrides(store: StoreLike): Promise<void> {
  if (!isSystemAdmin(store.getState())) {
    return;
  }
  try {
    store.dispatch(action('RECEIVED_ENV_OVERRIDES', await Rest.getEnv()));
  } catch (err) {
    console.warn('calls: loading env overrides failed', err);
  }
}

/**
 * Loads every channel's calls state. The current call is skipped: its state comes only from websocket events (and a
 * call_state request), which avoids racing with them. A channel that an event touched while the request was out keeps
 * the event's newer state, and the list is fetched again (at most twice) so that it is not left out.
 */
export async function loadChannels(store: StoreLike, retries = 2): Promise<void> {
  const mark = channelEventMark();
  const list = await Rest.getChannels();
  const raced = channelsTouchedSince(mark);
  const current = channelIDForCurrentCall(store.getState());
  const withCall = new Set<string>();
  for (const ch of list) {
    if (raced.has(ch.channel_id)) {
      continue;
    }
    if (typeof ch.enabled === 'boolean') {
      store.dispatch(action('RECEIVED_CHANNEL_STATE', {channelID: ch.channel_id, enabled: ch.enabled}));
    }
    if (ch.call && ch.channel_id !== current) {
      withCall.add(ch.channel_id);
      loadCallState(store, ch.channel_id, ch.call);
      // A DM/GM call in progress still gets its card after a reload; it rings only while it is new.
      incomingCallOnChannel(
        store,
        {channelID: ch.channel_id, callID: ch.call.id, callerID: ch.call.owner_id, startAt: ch.call.start_at},
        {ring: Date.now() - ch.call.start_at < RING_MS},
      );
    }
  }
  // Calls that ended while we were not listening.
  for (const channelID of Object.keys(callsState(store.getState()).calls)) {
    if (channelID !== current && !withCall.has(channelID) && !raced.has(channelID)) {
      store.dispatch(action('CALL_END', {channelID}));
    }
  }
  if (raced.size > 0 && retries > 0) {
    await loadChannels(store, retries - 1);
  }
}

export function showCallError(store: StoreLike, kind: CallErrorKind, channelID: string, message?: string): void {
  store.dispatch(action('SHOW_CALL_ERROR_MODAL', {kind, channelID, message}));
}

export function showGenericError(store: StoreLike, title: string, message: string): void {
  store.dispatch(action('SHOW_GENERIC_ERROR_MODAL', {title, message}));
}

/** The call is over: drop the local connection if it was ours, then its state. */
export function callEnd(store: StoreLike, channelID: string): void {
  const client = ownCallsClient();
  if (client && client.channelID === channelID) {
    client.disconnect();
  }
  for (const c of callsState(store.getState()).incomingCalls.filter((x) => x.channelID === channelID)) {
    stopRingingForCall(store, c.callID);
  }
  store.dispatch(action('CALL_END', {channelID}));
}

/** A session left; a call with no sessions left has ended (the server sends no call_end for that). */
export function userLeft(store: StoreLike, channelID: string, userID: string, sessionID: string): void {
  store.dispatch(action('USER_LEFT', {channelID, userID, sessionID}));
  const remaining = Object.keys(sessionsInChannel(store.getState(), channelID)).length;
  if (remaining === 0) {
    callEnd(store, channelID);
  }
}

let noticeSeq = 0;

export function addHostNotice(store: StoreLike, notice: Omit<HostNotice, 'id'>): void {
  const id = `notice-${++noticeSeq}`;
  store.dispatch(action('HOST_NOTICE_ADD', {...notice, id}));
  setTimeout(() => store.dispatch(action('HOST_NOTICE_REMOVE', {id})), HOST_NOTICE_MS);
}
