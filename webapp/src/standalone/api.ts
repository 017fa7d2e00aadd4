// The host page's client for the standalone server's /api/v4 subset (.tmp/standalone-api.md), the way Mattermost's
// Client4 talks to a real server: session cookie plus X-Requested-With.

import {fetchJSON} from '../client/rest';
import type {ChannelInfo, Membership, PostInfo, Profile, TeamInfo} from '../types';

export interface PostList {
  order: string[];
  posts: Record<string, PostInfo>;
}

export interface CommandResponse {
  response_type?: string;
  text?: string;
  goto_location?: string;
}

/** Mattermost's AutocompleteSuggestion: Complete replaces what was typed (without the leading slash). */
export interface CommandSuggestion {
  Complete: string;
  Suggestion: string;
  Hint: string;
  Description: string;
}

export interface ServerConfig {
  PluginSettings: {Plugins: Record<string, Record<string, unknown>>};
  [key: string]: unknown;
}

export const Api = {
  login: (loginID: string, password: string) =>
    fetchJSON<Profile>('POST', '/api/v4/users/login', {login_id: loginID, password}),
  logout: () => fetchJSON<unknown>('POST', '/api/v4/users/logout'),
  me: () => fetchJSON<Profile>('GET', '/api/v4/users/me'),
  users: () => fetchJSON<Profile[]>('GET', '/api/v4/users?page=0&per_page=200'),
  myTeams: () => fetchJSON<TeamInfo[]>('GET', '/api/v4/users/me/teams'),
  myChannels: (teamID: string) => fetchJSON<ChannelInfo[]>('GET', `/api/v4/users/me/teams/${teamID}/channels`),
  myMembers: (teamID: string) => fetchJSON<Membership[]>('GET', `/api/v4/users/me/teams/${teamID}/channels/members`),
  channel: (id: string) => fetchJSON<ChannelInfo>('GET', `/api/v4/channels/${id}`),
  thread: (postID: string) => fetchJSON<PostList>('GET', `/api/v4/posts/${postID}/thread`),
  posts: (channelID: string) => fetchJSON<PostList>('GET', `/api/v4/channels/${channelID}/posts?page=0&per_page=60`),
  createPost: (channelID: string, message: string, rootID = '') =>
    fetchJSON<PostInfo>('POST', '/api/v4/posts', {channel_id: channelID, message, root_id: rootID || undefined}),
  executeCommand: (command: string, channelID: string, teamID: string, rootID = '') =>
    fetchJSON<CommandResponse>('POST', '/api/v4/commands/execute', {
      command,
      channel_id: channelID,
      team_id: teamID,
      root_id: rootID || undefined,
    }),
  commandSuggestions: (teamID: string, userInput: string) =>
    fetchJSON<CommandSuggestion[]>(
      'GET',
      `/api/v4/teams/${encodeURIComponent(teamID)}/commands/autocomplete_suggestions?user_input=${encodeURIComponent(userInput)}`,
    ),
  clientConfig: () => fetchJSON<Record<string, string>>('GET', '/api/v4/config/client?format=old'),
  clientLicense: () => fetchJSON<Record<string, string>>('GET', '/api/v4/license/client?format=old'),
  webappPlugins: () =>
    fetchJSON<Array<{id: string; version: string; webapp?: {bundle_path: string}}>>('GET', '/api/v4/plugins/webapp'),
  getConfig: () => fetchJSON<ServerConfig>('GET', '/api/v4/config'),
  putConfig: (cfg: ServerConfig) => fetchJSON<ServerConfig>('PUT', '/api/v4/config', cfg),
};
