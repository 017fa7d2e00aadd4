// Selectors over the plugin slice and the parts of core's state.entities the plugin reads. Every "am I in a call",
// gating and ordering rule lives here so components stay declarative.

import type {CallsState, SessionUI} from './calls_state';
import type {ChannelInfo, EntitiesState, Profile} from '../types';

export interface GlobalState {
  entities: EntitiesState;
  'plugins-com.mattermost.calls': CallsState;
}

const EMPTY_SESSIONS: Record<string, SessionUI> = {};

export const callsState = (state: GlobalState): CallsState => state['plugins-com.mattermost.calls'];

export const currentUserId = (state: GlobalState): string => state.entities.users.currentUserId;
export const currentUser = (state: GlobalState): Profile | undefined =>
  state.entities.users.profiles[state.entities.users.currentUserId];

/** The current user's notification settings that incoming calls read (Mattermost's user notify_props). */
export interface UserNotifyProps {
  desktop?: string;
  calls_desktop_sound?: string;
  calls_notification_sound?: string;
}

export function userNotifyProps(state: GlobalState): UserNotifyProps {
  return (currentUser(state) as unknown as {notify_props?: UserNotifyProps})?.notify_props || {};
}

/** The current user's notification settings for one channel (their membership's notify_props). */
export function channelNotifyProps(state: GlobalState, channelID: string): {desktop?: string; mark_unread?: string} {
  const member = state.entities.channels.myMembers[channelID] as unknown as
    {notify_props?: {desktop?: string; mark_unread?: string}} | undefined;
  return member?.notify_props || {};
}
export const profiles = (state: GlobalState): Record<string, Profile> => state.entities.users.profiles;
export const currentChannelId = (state: GlobalState): string => state.entities.channels.currentChannelId;
export const getChannel = (state: GlobalState, id: string): ChannelInfo | undefined =>
  state.entities.channels.channels[id];
export const currentChannel = (state: GlobalState): ChannelInfo | undefined =>
  getChannel(state, currentChannelId(state));
export const currentTeamId = (state: GlobalState): string => state.entities.teams.currentTeamId;

export function isSystemAdmin(state: GlobalState): boolean {
  return Boolean(currentUser(state)?.roles?.split(' ').includes('system_admin'));
}

export function isChannelMember(state: GlobalState, channelID: string): boolean {
  return Boolean(state.entities.channels.myMembers[channelID]);
}

export const callsConfig = (state: GlobalState) => callsState(state).callsConfig;

export const clientState = (state: GlobalState) => callsState(state).client;
export const channelIDForCurrentCall = (state: GlobalState): string => callsState(state).client?.channelID || '';
export const isConnecting = (state: GlobalState): boolean => callsState(state).clientConnecting;

export const callInChannel = (state: GlobalState, channelID: string) => callsState(state).calls[channelID];
export const sessionsInChannel = (state: GlobalState, channelID: string): Record<string, SessionUI> =>
  callsState(state).sessions[channelID] || EMPTY_SESSIONS;
export const hostIDInChannel = (state: GlobalState, channelID: string): string =>
  callsState(state).hosts[channelID]?.hostID || '';
export const screenSharingSessionID = (state: GlobalState, channelID: string): string =>
  callsState(state).screenSharingIDs[channelID] || '';

/** The local session (this browser's connection) in the current call. */
export function mySession(state: GlobalState): SessionUI | undefined {
  const client = clientState(state);
  if (!client?.sessionID) {
    return undefined;
  }
  return sessionsInChannel(state, client.channelID)[client.sessionID];
}

export function displayName(p: Profile | undefined, fallback = 'Someone'): string {
  if (!p) {
    return fallback;
  }
  return p.username || [p.first_name, p.last_name].filter(Boolean).join(' ') || fallback;
}

/** True when the channel is explicitly enabled, or not explicitly disabled and DefaultEnabled is on. */
export function callsEnabledInChannel(state: GlobalState, channelID: string): boolean {
  const explicit = callsState(state).channels[channelID]?.enabled;
  if (explicit !== undefined) {
    return explicit;
  }
  return callsConfig(state).DefaultEnabled;
}

export function callsExplicitlyDisabled(state: GlobalState, channelID: string): boolean {
  return callsState(state).channels[channelID]?.enabled === false;
}

export function isDMOrGM(channel: ChannelInfo | undefined): boolean {
  return channel?.type === 'D' || channel?.type === 'G';
}

export function isCallFull(state: GlobalState, channelID: string): boolean {
  const max = callsConfig(state).MaxCallParticipants;
  if (!max) {
    return false;
  }
  return Object.keys(sessionsInChannel(state, channelID)).length >= max;
}

/** The user may host-control (end for everyone, etc.) when they are the call's host or a system admin. */
export function canHostControl(state: GlobalState, channelID: string): boolean {
  return hostIDInChannel(state, channelID) === currentUserId(state) || isSystemAdmin(state);
}

/** DM with a deactivated user: the other member's profile has delete_at set. */
export function isDMWithDeactivatedUser(state: GlobalState, channel: ChannelInfo): boolean {
  if (channel.type !== 'D') {
    return false;
  }
  const me = currentUserId(state);
  const otherID = channel.name.split('__').find((id) => id !== me) || me;
  const other = profiles(state)[otherID];
  return Boolean(other && other.delete_at > 0);
}

export type CallButtonState =
  'hidden' | 'start' | 'join' | 'connecting' | 'full' | 'archived' | 'deactivated' | 'in_call';

/** What the channel's call button shows (reference webapp.md §2.1). */
export function callButtonState(state: GlobalState, channel: ChannelInfo | undefined): CallButtonState {
  if (!channel) {
    return 'hidden';
  }
  if (!isChannelMember(state, channel.id)) {
    return 'hidden';
  }
  const hasCall =
    Boolean(callInChannel(state, channel.id)) || Object.keys(sessionsInChannel(state, channel.id)).length > 0;
  if (callsExplicitlyDisabled(state, channel.id) && !hasCall) {
    return 'hidden';
  }
  if (!isDMOrGM(channel) && !callsConfig(state).GroupCallsAllowed) {
    return 'hidden';
  }
  const client = clientState(state);
  if (client && client.channelID === channel.id) {
    return client.connected ? 'in_call' : 'connecting';
  }
  if (channel.delete_at > 0) {
    return 'archived';
  }
  if (isDMWithDeactivatedUser(state, channel)) {
    return 'deactivated';
  }
  if (hasCall) {
    return isCallFull(state, channel.id) ? 'full' : 'join';
  }
  return 'start';
}

/**
 * Participants in display order: presenter first, then raised hands in raise order, then unmuted users, then recent
 * reactions, then alphabetical by display name (reference webapp.md §2.2).
 */
export function sortedSessions(
  sessions: SessionUI[],
  presenterID: string,
  users: Record<string, Profile>,
): SessionUI[] {
  const rank = (s: SessionUI) => {
    if (s.session_id === presenterID) {
      return 0;
    }
    if (s.raised_hand > 0) {
      return 1;
    }
    if (s.unmuted) {
      return 2;
    }
    if (s.reaction) {
      return 3;
    }
    return 4;
  };
  return [...sessions].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== rb) {
      return ra - rb;
    }
    if (ra === 1 && a.raised_hand !== b.raised_hand) {
      return a.raised_hand - b.raised_hand;
    }
    if (ra === 3 && a.reaction && b.reaction && a.reaction.timestamp !== b.reaction.timestamp) {
      return b.reaction.timestamp - a.reaction.timestamp;
    }
    const na = displayName(users[a.user_id], a.user_id).toLowerCase();
    const nb = displayName(users[b.user_id], b.user_id).toLowerCase();
    if (na !== nb) {
      return na < nb ? -1 : 1;
    }
    return a.session_id < b.session_id ? -1 : 1;
  });
}

/** Sessions speaking right now, for "X is talking…". */
export function speakingSessions(state: GlobalState, channelID: string): SessionUI[] {
  return Object.values(sessionsInChannel(state, channelID)).filter((s) => s.voice);
}

/** The channel's path in the webapp (/{team}/channels/{name}); DMs and GMs use the current team. */
export function channelURL(state: GlobalState, channel: ChannelInfo): string {
  const teamID = channel.team_id || state.entities.teams.currentTeamId;
  const team = state.entities.teams.teams[teamID];
  return `/${team?.name || ''}/channels/${channel.name}`;
}
