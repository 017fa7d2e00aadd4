// Wire and platform types shared by the plugin bundle and the standalone host page: the calls protocol shapes (from
// @calls/protocol, reference calls-protocol.md §2, §5.3, §7.3) and the subset of the Mattermost webapp plugin API we use.

import type {ComponentType, ReactElement, ReactNode} from 'react';
import type {Store, Reducer, AnyAction} from 'redux';
import type {Channel, ChannelMembership} from '@mattermost/types/channels';
import type {Post} from '@mattermost/types/posts';
import type {Team} from '@mattermost/types/teams';
import type {UserProfile} from '@mattermost/types/users';

import type {CallState, ClientConfig, EmojiData} from '@calls/protocol';

// ---- platform shapes, trimmed to the fields the standalone server sends (.tmp/standalone-api.md) ----

export type Profile = Pick<
  UserProfile,
  | 'id'
  | 'username'
  | 'email'
  | 'first_name'
  | 'last_name'
  | 'nickname'
  | 'roles'
  | 'create_at'
  | 'update_at'
  | 'delete_at'
  | 'locale'
> & {is_bot?: boolean};

export type ChannelInfo = Pick<
  Channel,
  | 'id'
  | 'team_id'
  | 'type'
  | 'name'
  | 'display_name'
  | 'header'
  | 'purpose'
  | 'creator_id'
  | 'create_at'
  | 'update_at'
  | 'delete_at'
  | 'last_post_at'
>;

export type Membership = Pick<
  ChannelMembership,
  'channel_id' | 'user_id' | 'roles' | 'last_viewed_at' | 'msg_count' | 'mention_count'
>;

/** Post type is a plain string: plugin post types (custom_calls) are outside core's union. */
export type PostInfo = Pick<
  Post,
  | 'id'
  | 'create_at'
  | 'update_at'
  | 'edit_at'
  | 'delete_at'
  | 'user_id'
  | 'channel_id'
  | 'root_id'
  | 'message'
  | 'props'
> & {
  type: string;
  /** Attached files (a recording post's video). */
  file_ids?: string[];
  metadata?: {files?: PostFileInfo[]};
};

/** The FileInfo fields a post's attachment preview reads. */
export interface PostFileInfo {
  id: string;
  name?: string;
  mime_type?: string;
  extension?: string;
}

export type TeamInfo = Pick<Team, 'id' | 'name' | 'display_name' | 'type' | 'create_at' | 'delete_at'>;

/** A message on the Mattermost websocket (server → client). */
export interface WebSocketMessage<T = Record<string, unknown>> {
  event: string;
  data: T;
  broadcast: {
    omit_users?: Record<string, boolean> | null;
    user_id?: string;
    channel_id?: string;
    team_id?: string;
    connection_id?: string;
  };
  seq: number;
}

/** The part of Mattermost's redux store this plugin reads (state.entities). */
export interface EntitiesState {
  users: {currentUserId: string; profiles: Record<string, Profile>};
  channels: {
    currentChannelId: string;
    channels: Record<string, ChannelInfo>;
    myMembers: Record<string, Membership>;
  };
  teams: {currentTeamId: string; teams: Record<string, TeamInfo>};
  general: {config: Record<string, string>; license: Record<string, string>};
}

export interface SlashCommandArgs {
  channel_id: string;
  team_id: string;
  root_id?: string;
}

/** What a slash-command hook returns: a (possibly rewritten) command to run, an error, or {} to consume it. */
export type SlashCommandHookResult =
  {message: string; args: SlashCommandArgs} | {error: {message: string}} | Record<string, never>;

export type SlashCommandHook = (message: string, args: SlashCommandArgs) => Promise<SlashCommandHookResult>;

export type WebSocketEventHandler = (msg: WebSocketMessage) => void;

export interface AdminSettingProps {
  id: string;
  label: string;
  helpText: string;
  value: unknown;
  disabled: boolean;
  setByEnv: boolean;
  onChange: (id: string, value: unknown) => void;
  setSaveNeeded?: () => void;
  config?: Record<string, unknown>;
}

/** What Mattermost's System Console gives a plugin's custom section: the section's settings, already rendered. */
export interface AdminSectionProps {
  settingsList?: ReactNode[];
}

export interface PostTypeProps {
  post: PostInfo;
}

/** The Mattermost webapp plugin registry, as far as this plugin uses it (reference webapp.md §1.1). */
export interface PluginRegistry {
  registerReducer(reducer: Reducer): void;
  registerCallButtonAction(
    button: ReactElement,
    dropdownButton: ReactElement,
    action: (channel: ChannelInfo) => void,
    icon?: ReactElement,
    dropdownText?: string,
  ): string;
  registerChannelToastComponent?(component: ComponentType): string;
  registerSidebarChannelLinkLabelComponent?(component: ComponentType<{channel: ChannelInfo}>): string;
  registerPostTypeComponent(type: string, component: ComponentType<PostTypeProps>): string;
  registerGlobalComponent(component: ComponentType): string;
  registerRootComponent?(component: ComponentType): string;
  registerSlashCommandWillBePostedHook(hook: SlashCommandHook): string;
  registerWebSocketEventHandler(event: string, handler: WebSocketEventHandler): void;
  unregisterWebSocketEventHandler?(event: string): void;
  registerReconnectHandler(handler: () => void): void;
  unregisterReconnectHandler(): void;
  registerAdminConsoleCustomSetting?(
    key: string,
    component: ComponentType<AdminSettingProps>,
    opts?: {showTitle?: boolean},
  ): void;
  /**
   * A whole section of the plugin's System Console page (plugin.json marks it `custom: true`): Mattermost shows a
   * custom section only when a component is registered for it, and hands it the section's rendered settings.
   */
  registerAdminConsoleCustomSection?(key: string, component: ComponentType<AdminSectionProps>): void;
  registerTranslations?(getTranslations: (locale: string) => Record<string, string>): void;
  /** A full-page route /{team}/{pluginId}{route}/… (the pop-out window). */
  registerNeedsTeamRoute?(route: string, component: ComponentType): string;
  /** An item of the channel header menu; the action receives the channel id. */
  registerChannelHeaderMenuAction?(text: ReactElement | string, action: (channelID: string) => void): string;
  /** A tab of the user's Settings. */
  registerUserSettings?(settings: PluginUserSettings): void;
  unregisterComponent(id: string): void;
}

/** One section of a plugin's Settings tab: a custom component, or radio options saved through onSubmit. */
export interface PluginUserSettingsSection {
  title: string;
  /** A custom section; it saves its own values. */
  component?: ComponentType;
  settings?: Array<{
    name: string;
    title?: string;
    type: 'radio';
    default: string;
    options: Array<{value: string; text: string; helpText?: string}>;
  }>;
  onSubmit?: (changes: Record<string, string>) => void;
  /** Current values of the radio settings (by name). */
  getValues?: () => Record<string, string>;
}

export interface PluginUserSettings {
  id: string;
  uiName: string;
  icon?: string;
  sections: PluginUserSettingsSection[];
}

/** A message the host's main websocket can send for a plugin (Mattermost's WebSocketClient.sendMessage). */
export interface MainWebSocketClient {
  sendMessage(action: string, data: Record<string, unknown>): void;
}

/** window.ProductApi: what core lends plugins beyond the registry (reference webapp.md §1.1). */
export interface ProductApi {
  selectRhsPost(postID: string): {type: string; data?: unknown} | ((...args: unknown[]) => unknown);
  closeRhs(): {type: string; data?: unknown};
  getRhsSelectedPostId(state: unknown): string;
  getIsRhsOpen(state: unknown): boolean;
  useWebSocketClient(): MainWebSocketClient | null;
}

/** window.WebappUtils: core helpers plugins use (navigation, user settings, notification sounds). */
export interface WebappUtils {
  browserHistory: {push(path: string): void};
  openUserSettings?(opts: {activeTab: string}): void;
  notificationSounds?: {ring(sound: string): void; stopRing(): void};
  /** Core's desktop notification (a thunk to dispatch); it checks the browser permission and the focus itself. */
  sendDesktopNotificationToMe?(
    title: string,
    body: string,
    channel: ChannelInfo,
    teamId: string,
    silent: boolean,
    soundName: string,
    url: string,
  ): unknown;
}

export interface PluginClass {
  initialize(registry: PluginRegistry, store: Store<unknown, AnyAction>): void | Promise<void>;
  uninitialize?(): void;
}

// ---- calls protocol shapes: @calls/protocol's, and what only the webapp needs around them ----

export type {CallJobState, CallState, EmojiData, ICEServerConfig, SessionState, TrackType} from '@calls/protocol';

/** GET /plugins/com.mattermost.calls/config (reference §5.3). */
export type CallsClientConfig = ClientConfig;

export const defaultCallsClientConfig: CallsClientConfig = {
  ICEServers: [],
  ICEServersConfigs: [],
  AllowEnableCalls: true,
  DefaultEnabled: false,
  MaxCallParticipants: 0,
  NeedsTURNCredentials: false,
  AllowScreenSharing: true,
  EnableRecordings: false,
  EnableTranscriptions: false,
  EnableLiveCaptions: false,
  MaxRecordingDuration: 60,
  EnableSimulcast: false,
  EnableRinging: false,
  sku_short_name: '',
  HostControlsAllowed: false,
  EnableAV1: false,
  GroupCallsAllowed: true,
  EnableDCSignaling: false,
  EnableVideo: false,
};

export interface ChannelCallsState {
  channel_id: string;
  enabled?: boolean;
  call?: CallState;
}

export interface VersionInfo {
  version?: string;
  build?: string;
  rtcd_version?: string;
  rtcd_build?: string;
}

export interface Reaction {
  user_id: string;
  session_id: string;
  emoji: EmojiData;
  timestamp: number;
}
