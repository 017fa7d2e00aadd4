// Starting, joining, switching and leaving calls (reference webapp.md §2.1, §3.2): the gating rules, the double-click
// guard, the switch-call modal, and wiring a new CallsClient's events to the store.

import {CallsClient, CallsClientError, type CallsClientOptions} from './client/calls_client';
import {clientLogger} from './client/log';
import {clearCallsClient, getCallsClient, ownCallsClient, setCallsClient} from './client/current';
import {Rest, basename} from './client/rest';
import {callsWebSocketURL} from './client/websocket';
import {MOS_THRESHOLD} from './client/rtc_monitor';
import {closePopOut, isPopOutWindow, openPopOut} from './popout';
import {isInsideMattermost} from './host';
import {playSound} from './sounds';
import {showCallError, showGenericError} from './state/actions';
import {onJoiningCall} from './state/ringing';
import {action} from './state/action_types';
import {
  callInChannel,
  callsConfig,
  callsEnabledInChannel,
  callsExplicitlyDisabled,
  callsState,
  getChannel,
  isCallFull,
  isDMOrGM,
  isSystemAdmin,
  sessionsInChannel,
} from './state/selectors';
import type {StoreLike} from './state/store_like';
import {handleWebSocketEvent} from './state/ws_events';
import {hasDCSignalingLockSupport} from './utils/version';
import type {ICEServerConfig} from './types';

export const DEGRADED_QUALITY_SUPPRESS_MS = 20000;

export class CallsDisabledError extends Error {
  constructor() {
    super('Calls are disabled in this channel.');
    this.name = 'CallsDisabledError';
  }
}

export interface JoinOptions {
  title?: string;
  threadID?: string;
}

function hasCall(store: StoreLike, channelID: string): boolean {
  return (
    Boolean(callInChannel(store.getState(), channelID)) ||
    Object.keys(sessionsInChannel(store.getState(), channelID)).length > 0
  );
}

/**
 * The entry point of every "start/join call" action. Joining an existing call is always allowed; starting one needs
 * calls enabled in the channel (explicitly or by DefaultEnabled), or a system admin in test mode.
 */
export async function joinCall(store: StoreLike, channelID: string, opts: JoinOptions = {}): Promise<void> {
  const state = store.getState();
  const cs = callsState(state);
  if (cs.clientConnecting) {
    return;
  }
  const current = getCallsClient();
  if (current) {
    if (current.channelID !== channelID) {
      store.dispatch(action('SHOW_SWITCH_CALL_MODAL', {targetID: channelID}));
    }
    return;
  }
  const channel = getChannel(state, channelID);
  const cfg = callsConfig(state);
  if (!hasCall(store, channelID)) {
    if (callsExplicitlyDisabled(state, channelID)) {
      throw new CallsDisabledError();
    }
    if (channel && !isDMOrGM(channel) && !cfg.GroupCallsAllowed) {
      showGenericError(store, 'Unable to start call', 'Calls in channels are not allowed by your license.');
      return;
    }
    if (!callsEnabledInChannel(state, channelID) && !isSystemAdmin(state)) {
      showGenericError(
        store,
        'Calls is not currently enabled',
        'Calls are currently running in test mode and only system admins can start them. Reach out directly to your system admin for assistance.',
      );
      return;
    }
  } else if (isCallFull(state, channelID)) {
    showGenericError(
      store,
      'Unable to join call',
      `This call is at its maximum capacity of ${cfg.MaxCallParticipants} participants.`,
    );
    return;
  }
  await connectCall(store, channelID, opts);
}

/** The STUN and TURN servers a call gets (TURN with fresh credentials when the server hands them out). */
export async function iceServers(store: StoreLike): Promise<RTCIceServer[]> {
  const cfg = callsConfig(store.getState());
  const list: ICEServerConfig[] = [...(cfg.ICEServersConfigs || [])];
  if (cfg.NeedsTURNCredentials) {
    try {
      list.push(...(await Rest.getTURNCredentials()));
    } catch (err) {
      console.warn('calls: fetching TURN credentials failed', err);
    }
  }
  return list.map((s) => ({urls: s.urls, username: s.username, credential: s.credential}));
}

/** What a new call connection is made with: the websocket under the subpath, ICE servers, the experimental flags. */
export async function clientOptions(
  store: StoreLike,
  channelID: string,
  opts: JoinOptions = {},
): Promise<CallsClientOptions> {
  const cfg = callsConfig(store.getState());
  return {
    channelID,
    title: opts.title,
    threadID: opts.threadID,
    wsURL: callsWebSocketURL(basename(), isInsideMattermost(store.getState())),
    iceServers: await iceServers(store),
    dcSignaling: cfg.EnableDCSignaling,
    dcLocking: hasDCSignalingLockSupport(callsState(store.getState()).versionInfo),
    simulcast: cfg.EnableSimulcast,
    // Video calls are DMs only (reference webapp.md §2.19).
    video: Boolean(cfg.EnableVideo) && getChannel(store.getState(), channelID)?.type === 'D',
    logger: clientLogger,
  };
}

/**
 * A "Join call" button on an existing call (channel toast, call post, incoming-call notice): joins it, or, when
 * the user is already in a call, asks first with the switch modal. connectCall shows its own errors.
 */
export function joinOrOfferSwitch(store: StoreLike, channelID: string): void {
  if (getCallsClient()) {
    store.dispatch(action('SHOW_SWITCH_CALL_MODAL', {targetID: channelID}));
    return;
  }
  connectCall(store, channelID).catch(() => undefined);
}

/** Connects to the call in the channel, skipping the gating (used after the switch modal and by joinCall). */
export async function connectCall(store: StoreLike, channelID: string, opts: JoinOptions = {}): Promise<void> {
  const starting = !hasCall(store, channelID);
  onJoiningCall(store, channelID);
  store.dispatch(action('CLIENT_CONNECTING', {channelID, starting}));
  let client: CallsClient;
  try {
    client = new CallsClient(await clientOptions(store, channelID, opts));
  } catch (err) {
    store.dispatch(action('CLIENT_DISCONNECTED', {channelID}));
    showCallError(store, 'generic', channelID, (err as Error).message);
    return;
  }
  setCallsClient(client);
  wireClient(store, client);
  try {
    await client.init();
  } catch (err) {
    client.disconnect(new CallsClientError('generic', (err as Error).message));
  }
}

/**
 * A new MOS estimate (every 10 s): below 3.5 the "degraded call quality" banner shows, and it hides when quality
 * recovers. After the user dismisses it, it stays hidden for 20 s (reference webapp.md §2.12).
 */
export function onCallQuality(store: StoreLike, mos: number, now = Date.now()): void {
  store.dispatch(action('CLIENT_MOS', {mos}));
  const alert = callsState(store.getState()).alerts.degradedCallQuality;
  if (mos < MOS_THRESHOLD) {
    const suppressed = Boolean(alert?.dismissedAt) && now - (alert?.dismissedAt || 0) <= DEGRADED_QUALITY_SUPPRESS_MS;
    if (!alert?.show && !suppressed) {
      store.dispatch(action('ALERT_SHOW', {kind: 'degradedCallQuality'}));
    }
  } else if (alert?.show) {
    store.dispatch(action('ALERT_HIDE', {kind: 'degradedCallQuality', dismissed: false, at: now}));
  }
}

function wireClient(store: StoreLike, client: CallsClient): void {
  const channelID = client.channelID;
  const own = () => ({channelID, userID: store.getState().entities.users.currentUserId, sessionID: client.sessionID});
  client.on('joined', (sessionID) => {
    store.dispatch(action('CLIENT_CONNECTED', {channelID, sessionID, connected: false}));
  });
  let connectedOnce = false;
  client.on('connect', () => {
    store.dispatch(action('CLIENT_CONNECTED', {channelID, sessionID: client.sessionID, connected: true}));
    // In DMs and GMs the conversation is the point of the call: start unmuted (only at the first connection,
    // not when the media connection is made again).
    if (!connectedOnce && isDMOrGM(getChannel(store.getState(), channelID)) && client.hasAudioInput) {
      client.unmute().catch(() => undefined);
    }
    connectedOnce = true;
  });
  client.on('rtcReconnecting', () => {
    store.dispatch(
      action('CLIENT_CONNECTED', {channelID, sessionID: client.sessionID, connected: false, reconnecting: true}),
    );
  });
  client.on('rtcUnavailable', (reason) => {
    store.dispatch(action('CLIENT_MEDIA_UNAVAILABLE', {channelID, reason}));
  });
  client.on('mute', () => store.dispatch(action('USER_MUTED', own())));
  client.on('unmute', () => store.dispatch(action('USER_UNMUTED', own())));
  client.on('raise_hand', () => store.dispatch(action('USER_RAISE_HAND', {...own(), raisedHand: Date.now()})));
  client.on('lower_hand', () => store.dispatch(action('USER_LOWER_HAND', own())));
  client.on('audioError', (kind) => {
    store.dispatch(
      action('ALERT_SHOW', {kind: kind === 'permission' ? 'missingAudioInputPermissions' : 'missingAudioInput'}),
    );
  });
  client.on('initaudio', () => {
    const at = Date.now();
    store.dispatch(action('ALERT_HIDE', {kind: 'missingAudioInput', dismissed: false, at}));
    store.dispatch(action('ALERT_HIDE', {kind: 'missingAudioInputPermissions', dismissed: false, at}));
  });
  client.on('screenError', () => store.dispatch(action('ALERT_SHOW', {kind: 'missingScreenPermissions'})));
  client.on('videoError', (kind) =>
    store.dispatch(
      action('ALERT_SHOW', {kind: kind === 'permission' ? 'missingVideoInputPermissions' : 'missingVideoInput'}),
    ),
  );
  client.on('devicefallback', (kind, label) => {
    store.dispatch(
      action('ALERT_SHOW', {
        kind: kind === 'audioinput' ? 'audioInputDeviceFallback' : 'audioOutputDeviceFallback',
        label,
      }),
    );
  });
  client.on('mos', (mos) => onCallQuality(store, mos));
  client.on('wsEvent', (msg) => handleWebSocketEvent(store, msg));
  client.on('close', (err) => {
    clearCallsClient(client);
    closePopOut();
    playSound('leave_self');
    store.dispatch(action('CLIENT_DISCONNECTED', {channelID}));
    if (err) {
      showCallError(store, err.kind, channelID, err.message);
    }
  });
}

/** Leaves the current call (idempotent); from the pop-out it leaves the opener's call. */
export function leaveCall(): void {
  getCallsClient()?.disconnect();
}

/**
 * "Open in new window": the pop-out, or the in-page expanded view when the browser blocks the pop-out. The team
 * name goes in the pop-out's URL: the channel's team, or the current one for DMs and GMs.
 */
export function expandCall(store: StoreLike, channelID: string): void {
  const state = store.getState();
  const channel = getChannel(state, channelID);
  const teams = state.entities.teams;
  const team = teams.teams[channel?.team_id || ''] || teams.teams[teams.currentTeamId];
  if (!openPopOut(team?.name || '', channelID)) {
    store.dispatch(action('SHOW_EXPANDED_VIEW', {}));
  }
}

/** Messages between the pop-out and its opener (same origin only). */
export interface OpenerMessage {
  type: 'calls_switch_call';
  channelID: string;
}

/** In the opener: runs what the pop-out asks for. Returns a function that stops listening. */
export function listenToPopOut(store: StoreLike): () => void {
  const onMessage = (e: MessageEvent) => {
    const msg = e.data as Partial<OpenerMessage> | null;
    if (
      e.origin !== window.location.origin ||
      !msg ||
      msg.type !== 'calls_switch_call' ||
      typeof msg.channelID !== 'string'
    ) {
      return;
    }
    switchCall(store, msg.channelID).catch((err) => console.error('calls: switching call failed', err));
  };
  window.addEventListener('message', onMessage);
  return () => window.removeEventListener('message', onMessage);
}

/** Ends the call for everyone (host or admin). */
export async function endCallForEveryone(store: StoreLike, channelID: string): Promise<void> {
  try {
    await Rest.endCall(channelID);
  } catch (err) {
    showGenericError(store, 'Unable to end call', (err as Error).message);
  }
}

/** "Leave and join new call" in the switch modal. */
export async function switchCall(store: StoreLike, targetID: string): Promise<void> {
  store.dispatch(action('HIDE_SWITCH_CALL_MODAL', {}));
  if (isPopOutWindow() && !ownCallsClient()) {
    // The call lives in the opener: it leaves and joins there, and this window closes with the old call.
    const msg: OpenerMessage = {type: 'calls_switch_call', channelID: targetID};
    (window.opener as Window | null)?.postMessage(msg, window.location.origin);
    return;
  }
  const current = getCallsClient();
  if (current) {
    current.disconnect();
  }
  await connectCall(store, targetID);
}
