// Server → client websocket events (reference calls-protocol.md §2.2): names, wire names and the `data` of
// each, and the call state object (§7.3) they carry. Channel-scoped events also get `channelID` in `data`,
// added by the publisher, so it is not part of the payloads below unless the server sets it itself.
import {CALLS_PREFIX} from './names';

/**
 * The calls broadcasts a client handles on the host's main websocket (reference webapp.md §3.3): the webapp
 * registers a handler for each of these (the suffix after custom_com.mattermost.calls_).
 */
export const CALLS_MAIN_SOCKET_EVENT_NAMES = [
  'channel_enable_voice',
  'channel_disable_voice',
  'call_start',
  'call_end',
  'call_state',
  'user_joined',
  'user_left',
  'user_muted',
  'user_unmuted',
  'user_voice_on',
  'user_voice_off',
  'user_screen_on',
  'user_screen_off',
  'user_video_on',
  'user_video_off',
  'user_raise_hand',
  'user_unraise_hand',
  'user_reacted',
  'call_host_changed',
  'call_job_state',
  'user_dismissed_notification',
  'host_mute',
  'host_screen_off',
  'host_lower_hand',
  'host_removed',
  // Ours (not upstream's): an admin saved the plugin settings; clients refetch GET /config.
  'config_changed',
] as const;

/** Every calls event the server publishes: the main-socket broadcasts, plus those to one call connection or bot. */
export const CALLS_EVENT_NAMES = [
  ...CALLS_MAIN_SOCKET_EVENT_NAMES,
  'join',
  'error',
  'signal',
  'job_stop',
  'caption',
  'rtc_reconnect',
  'rtc_unavailable',
] as const;
export type CallsEvent = (typeof CALLS_EVENT_NAMES)[number];

/** The wire name of a calls event: `custom_com.mattermost.calls_<suffix>`. */
export function eventName(event: CallsEvent): string {
  return CALLS_PREFIX + event;
}

/** The suffix of a calls event's wire name, or null when it is not a calls event. */
export function eventSuffix(wireName: string): string | null {
  return wireName.startsWith(CALLS_PREFIX) ? wireName.slice(CALLS_PREFIX.length) : null;
}

export interface SessionState {
  session_id: string;
  user_id: string;
  unmuted: boolean;
  raised_hand: number;
  video: boolean;
}

export interface CallJobState {
  type: string;
  init_at: number;
  start_at: number;
  end_at: number;
  err?: string;
}

/** The `call` object of call_state (a JSON string there) and GET /channels (reference §7.3). */
export interface CallState {
  id: string;
  start_at: number;
  sessions: SessionState[];
  thread_id: string;
  post_id: string;
  screen_sharing_session_id: string;
  owner_id: string;
  host_id: string;
  recording?: CallJobState;
  transcription?: CallJobState;
  live_captions?: CallJobState;
  dismissed_notification?: Record<string, boolean>;
}

export interface EmojiData {
  name: string;
  unified: string;
  skin?: string;
  literal?: string;
}

type UserSession = {userID: string; session_id: string};
/** rtc_reconnect / rtc_unavailable: the session's media moves (or has nowhere to go). */
type MediaNotice = {channelID: string; call_id: string; session_id: string; reason: string};

/** `data` of each event, as the server sends it. */
export interface EventPayloads {
  join: {connID: string};
  /** `id` is a stable error id; `connID` is present when the session cannot go on (a failed join). */
  error: {data: string; id: string; connID?: string};
  /** `data` is JSON text: an uncompressed session description, or {type: 'candidate', candidate}. */
  signal: {data: string; connID: string};
  /** `call` is the CallState as JSON text. */
  call_state: {channel_id: string; channelID?: string; call: string};
  call_start: {
    id: string;
    channelID: string;
    start_at: number;
    thread_id: string;
    post_id: string;
    owner_id: string;
    host_id: string;
  };
  call_end: Record<string, never>;
  user_joined: {user_id: string; session_id: string};
  user_left: {user_id: string; session_id: string};
  user_muted: UserSession;
  user_unmuted: UserSession;
  user_voice_on: UserSession;
  user_voice_off: UserSession;
  user_screen_on: UserSession;
  /** Empty when the sharing session left the call. */
  user_screen_off: UserSession | Record<string, never>;
  user_video_on: UserSession;
  user_video_off: UserSession;
  user_raise_hand: UserSession & {raised_hand: number};
  user_unraise_hand: UserSession & {raised_hand: number};
  user_reacted: {user_id: string; session_id: string; timestamp: number; emoji: Required<EmojiData>};
  call_host_changed: {hostID: string; call_id: string};
  /** `callID` is the channel id (upstream's naming). */
  call_job_state: {callID: string; jobState: CallJobState};
  user_dismissed_notification: {userID: string; callID: string};
  job_stop: {job_id: string};
  caption: {channel_id: string; user_id: string; session_id: string; text: string};
  host_mute: {channel_id: string; session_id: string};
  host_screen_off: {channel_id: string; session_id: string};
  host_lower_hand: {call_id: string; channel_id: string; session_id: string; host_id: string};
  host_removed: {call_id: string; channel_id: string; session_id: string; user_id: string};
  channel_enable_voice: Record<string, never>;
  channel_disable_voice: Record<string, never>;
  rtc_reconnect: MediaNotice;
  rtc_unavailable: MediaNotice;
  config_changed: Record<string, never>;
}
export type EventPayload<E extends CallsEvent> = EventPayloads[E];
