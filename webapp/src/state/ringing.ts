// Incoming call notifications in DMs and GMs (reference webapp.md §2.11): a card per call the user is not in, rung at
// most once per call and never while in a call or while another call rings; Ignore dismisses it on every client
// (dismiss-notification → user_dismissed_notification), and it goes away when the call ends or the user joins.
import {notifyIncomingCall} from './desktop_notification';
import {action} from './action_types';
import type {IncomingCall} from './calls_state';
import {
  callsConfig,
  callsState,
  channelNotifyProps,
  currentUserId,
  getChannel,
  isDMOrGM,
  userNotifyProps,
  type GlobalState,
} from './selectors';
import type {StoreLike} from './store_like';
import {ownCallsClient} from '../client/current';
import {Rest} from '../client/rest';
import {ringSound, stopRingSound} from '../host';

/** How long a call rings, and how recent a call found at load must be to still ring. */
export const RING_MS = 30000;

const stopTimers = new Map<string, ReturnType<typeof setTimeout>>();

function inAnyCall(state: GlobalState): boolean {
  return Boolean(ownCallsClient()) || Boolean(callsState(state).client) || callsState(state).clientConnecting;
}

/**
 * A DM/GM call started (or was found at load) that the user is not in: show its card, and ring when allowed.
 * Returns true when a card was added.
 */
export function incomingCallOnChannel(
  store: StoreLike,
  call: {channelID: string; callID: string; callerID: string; startAt: number},
  opts: {ring: boolean},
): boolean {
  const state = store.getState();
  const channel = getChannel(state, call.channelID);
  const cs = callsState(state);
  if (!callsConfig(state).EnableRinging || !channel || !isDMOrGM(channel) || !call.callID) {
    return false;
  }
  if (
    call.callerID === currentUserId(state) ||
    cs.client?.channelID === call.channelID ||
    cs.dismissedCalls[call.callID] ||
    cs.incomingCalls.some((c) => c.callID === call.callID)
  ) {
    return false;
  }
  const incoming: IncomingCall = {...call, type: channel.type === 'D' ? 'DM' : 'GM'};
  store.dispatch(action('INCOMING_CALL_ADD', incoming));
  if (opts.ring) {
    ringForCall(store, call.callID);
    notifyIncomingCall(store, incoming);
  }
  return true;
}

export function ringForCall(store: StoreLike, callID: string): void {
  const state = store.getState();
  const cs = callsState(state);
  const props = userNotifyProps(state);
  const incoming = cs.incomingCalls.find((c) => c.callID === callID);
  if (!incoming || cs.didRingForCalls[callID] || Object.keys(cs.ringingForCalls).length > 0 || inAnyCall(state)) {
    return;
  }
  // Call sounds off, desktop notifications off, or the channel muted (mark_unread "mention"): no ring.
  if (
    props.calls_desktop_sound === 'false' ||
    props.desktop === 'none' ||
    channelNotifyProps(state, incoming.channelID).mark_unread === 'mention'
  ) {
    return;
  }
  store.dispatch(action('RINGING_START', {callID}));
  ringSound(props.calls_notification_sound || 'Calm');
  stopTimers.set(
    callID,
    setTimeout(() => stopRingingForCall(store, callID), RING_MS),
  );
}

/** Stops the ring of this call (or of any call), leaving its card. */
export function stopRingingForCall(store: StoreLike, callID?: string): void {
  const ringing = Object.keys(callsState(store.getState()).ringingForCalls);
  const ids = callID ? ringing.filter((id) => id === callID) : ringing;
  for (const id of ids) {
    clearTimeout(stopTimers.get(id));
    stopTimers.delete(id);
    store.dispatch(action('RINGING_STOP', {callID: id}));
  }
  if (ids.length) {
    stopRingSound();
  }
}

export function removeIncomingCall(store: StoreLike, callID: string): void {
  stopRingingForCall(store, callID);
  store.dispatch(action('INCOMING_CALL_REMOVE', {callID}));
}

/** Ignore: this card goes away here at once, on the user's other clients through user_dismissed_notification. */
export async function dismissIncomingCall(store: StoreLike, call: IncomingCall): Promise<void> {
  stopRingingForCall(store, call.callID);
  store.dispatch(action('DISMISS_CALL', {callID: call.callID}));
  await Rest.dismissNotification(call.channelID);
}

/** Joining any call silences the ring; joining this channel's call also removes its card. */
export function onJoiningCall(store: StoreLike, channelID: string): void {
  stopRingingForCall(store);
  for (const c of callsState(store.getState()).incomingCalls) {
    if (c.channelID === channelID) {
      removeIncomingCall(store, c.callID);
    }
  }
}

/** Clicking anywhere in the page silences the ring (the card stays), as Mattermost does. */
export function stopRingingOnClick(store: StoreLike): () => void {
  const onClick = () => {
    if (Object.keys(callsState(store.getState()).ringingForCalls).length) {
      stopRingingForCall(store);
    }
  };
  document.addEventListener('click', onClick, true);
  return () => document.removeEventListener('click', onClick, true);
}
