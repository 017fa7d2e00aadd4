// HTTP access to the plugin's REST API (reference calls-protocol.md §4.2) and the few core /api/v4 routes the
// plugin needs. Uses the session cookie like Mattermost's Client4, honours window.basename for subpath installs.

import type {CheckVerdict, ClientCheckResult} from '@calls/protocol';

import {restPrefix} from '../manifest';
import type {CheckAnswer} from './connectivity_check';
import type {CallJobState, CallsClientConfig, ChannelCallsState, ICEServerConfig, Profile, VersionInfo} from '../types';

export class RestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly id = '',
  ) {
    super(message);
    this.name = 'RestError';
  }
}

declare global {
  interface Window {
    basename?: string;
  }
}

export function basename(): string {
  const b = typeof window === 'undefined' ? '' : window.basename || '';
  return b.endsWith('/') ? b.slice(0, -1) : b;
}

function readCookie(name: string): string {
  if (typeof document === 'undefined') {
    return '';
  }
  const m = document.cookie
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${name}=`));
  return m ? decodeURIComponent(m.slice(name.length + 1)) : '';
}

export async function fetchJSON<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {'X-Requested-With': 'XMLHttpRequest'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const csrf = readCookie('MMCSRF');
  if (csrf && method !== 'GET') {
    headers['X-CSRF-Token'] = csrf;
  }
  const res = await fetch(`${basename()}${path}`, {
    method,
    headers,
    credentials: 'include',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const obj = (json && typeof json === 'object' ? json : {}) as {message?: string; id?: string; error?: string};
    throw new RestError(res.status, obj.message || obj.error || text || res.statusText, obj.id || '');
  }
  return json as T;
}

const plugin = (path: string) => `${restPrefix}${path}`;

export const Rest = {
  getConfig: () => fetchJSON<CallsClientConfig>('GET', plugin('/config')),
  getEnv: () => fetchJSON<Record<string, string>>('GET', plugin('/env')),
  getVersion: () => fetchJSON<VersionInfo>('GET', plugin('/version')),
  getChannels: () => fetchJSON<ChannelCallsState[]>('GET', plugin('/channels')),
  getTURNCredentials: () => fetchJSON<ICEServerConfig[]>('GET', plugin('/turn-credentials')),
  setChannelEnabled: (channelID: string, enabled: boolean) =>
    fetchJSON<ChannelCallsState>('POST', plugin(`/${channelID}`), {enabled}),
  endCall: (channelID: string) => fetchJSON<unknown>('POST', plugin(`/calls/${channelID}/host/end`)),
  hostMake: (channelID: string, newHostID: string) =>
    fetchJSON<unknown>('POST', plugin(`/calls/${channelID}/host/make`), {new_host_id: newHostID}),
  hostMute: (channelID: string, sessionID: string) =>
    fetchJSON<unknown>('POST', plugin(`/calls/${channelID}/host/mute`), {session_id: sessionID}),
  hostScreenOff: (channelID: string, sessionID: string) =>
    fetchJSON<unknown>('POST', plugin(`/calls/${channelID}/host/screen-off`), {session_id: sessionID}),
  hostLowerHand: (channelID: string, sessionID: string) =>
    fetchJSON<unknown>('POST', plugin(`/calls/${channelID}/host/lower-hand`), {session_id: sessionID}),
  hostRemove: (channelID: string, sessionID: string) =>
    fetchJSON<unknown>('POST', plugin(`/calls/${channelID}/host/remove`), {session_id: sessionID}),
  hostMuteOthers: (channelID: string) => fetchJSON<unknown>('POST', plugin(`/calls/${channelID}/host/mute-others`)),
  recording: (channelID: string, act: 'start' | 'stop') =>
    fetchJSON<CallJobState>('POST', plugin(`/calls/${channelID}/recording/${act}`)),
  dismissNotification: (channelID: string) =>
    fetchJSON<unknown>('POST', plugin(`/calls/${channelID}/dismiss-notification`)),
  /** `/call logs`: the server posts them to the user's DM with the calls bot. */
  uploadLogs: (logs: string, channelID: string, teamID: string) =>
    fetchJSON<unknown>('POST', plugin('/logs/upload'), {logs, channel_id: channelID, team_id: teamID}),
  /** Connectivity check: a check session's answer to an offer, and the browser's result for the admin page. */
  connectivityCheck: (offer: RTCSessionDescriptionInit) =>
    fetchJSON<CheckAnswer>('POST', plugin('/connectivity/check'), {offer}),
  postConnectivityResult: (result: ClientCheckResult & {user_agent?: string}) =>
    fetchJSON<{verdict: CheckVerdict}>('POST', plugin('/connectivity/results'), result),
  getConnectivityReport: <T>() => fetchJSON<T>('GET', plugin('/connectivity')),
  getProfilesByIds: (ids: string[]) => fetchJSON<Profile[]>('POST', '/api/v4/users/ids', ids),
};
