// Domain rows and the store's repository interface. The implementation (kysely over SQLite or
// PostgreSQL) lives beside this file; callers only see these types.

/** calls.props (reference §7.1). */
export interface CallProps {
  hosts?: string[] | null;
  rtcd_host?: string;
  screen_sharing_session_id?: string;
  /** The MediaStream id announced by the sharer's screen_on (ours; lets the SFU classify tracks). */
  screen_stream_id?: string;
  dismissed_notification?: Record<string, boolean>;
  /** Unix seconds. */
  screen_start_at?: number;
  node_id?: string;
  /** ms: since when no node may run the call's media (single handler without a handler); cleared on takeover. */
  media_unavailable_at?: number;
  participants?: Record<string, Record<string, never>>;
  host_locked_user_id?: string;
  /** sessionID → unix seconds. */
  video_start_at?: Record<string, number>;
}

export interface CallStats {
  screen_duration: number;
  video_duration: number;
  has_used_video: boolean;
  has_used_screen_share: boolean;
}

export interface Call {
  id: string;
  channelId: string;
  /** ms */
  startAt: number;
  endAt: number;
  createAt: number;
  deleteAt: number;
  title: string;
  postId: string;
  threadId: string;
  ownerId: string;
  /** Filled only when the call ends. */
  participants: string[];
  stats: CallStats;
  props: CallProps;
}

export interface CallSession {
  /** The original websocket connection id. */
  id: string;
  callId: string;
  userId: string;
  /** ms */
  joinAt: number;
  unmuted: boolean;
  /** ms timestamp when raised, 0 when lowered. */
  raisedHand: number;
  video: boolean;
}

export interface CallsChannel {
  channelId: string;
  enabled: boolean;
  props: Record<string, unknown>;
}

export type CallJobType = 'recording' | 'transcribing' | 'captioning';

export interface CallJob {
  id: string;
  callId: string;
  type: CallJobType;
  creatorId: string;
  initAt: number;
  startAt: number;
  endAt: number;
  props: {job_id?: string; bot_conn_id?: string; err?: string};
}

/** GET /stats (reference §4.2, server/public/stats.go). */
export interface CallsStats {
  total_calls: number;
  total_active_calls: number;
  total_active_sessions: number;
  calls_by_day: Record<string, number>;
  calls_by_month: Record<string, number>;
  calls_by_channel_type: Record<string, number>;
  avg_duration: number;
  avg_participants: number;
  avg_video_duration: number;
  total_video_duration: number;
  total_video_calls: number;
  total_screen_share_calls: number;
  recording_jobs_by_day: Record<string, number>;
  recording_jobs_by_month: Record<string, number>;
}

export interface CallsRepository {
  createCall(call: Call): Promise<void>;
  /** Overwrites every column of the row with this id. */
  updateCall(call: Call): Promise<void>;
  getCall(id: string): Promise<Call | null>;
  /** Active = endAt 0, startAt > 0, deleteAt 0; the newest startAt wins. */
  getActiveCallByChannel(channelId: string): Promise<Call | null>;
  listActiveCalls(): Promise<Call[]>;

  createSession(session: CallSession): Promise<void>;
  updateSession(session: CallSession): Promise<void>;
  getSession(id: string): Promise<CallSession | null>;
  /** Ordered by joinAt, then id. */
  getSessions(callId: string): Promise<CallSession[]>;
  deleteSession(id: string): Promise<void>;
  /** Deletes the sessions with these ids (missing ones are ignored). */
  deleteSessions(ids: readonly string[]): Promise<void>;
  deleteSessionsByCall(callId: string): Promise<void>;

  getChannel(channelId: string): Promise<CallsChannel | null>;
  upsertChannel(channel: CallsChannel): Promise<void>;
  listChannels(): Promise<CallsChannel[]>;

  createJob(job: CallJob): Promise<void>;
  updateJob(job: CallJob): Promise<void>;
  getJob(id: string): Promise<CallJob | null>;
  /** endAt = 0, ordered newest initAt first. */
  getActiveJobs(callId: string): Promise<CallJob[]>;

  /**
   * Usage statistics. `channelTypes` maps channel id → 'O' | 'P' | 'D' | 'G' for the channels of
   * past calls (the store does not know channel types; the platform does).
   */
  getStats(channelType: (channelId: string) => Promise<string | undefined>): Promise<CallsStats>;
}

/** Small key-value storage: saved settings, standalone seeds, cluster singletons. */
export interface KVRepository {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  /** Sets only if absent; true when it was set. */
  setIfAbsent(key: string, value: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

export type StoreEngine = 'sqlite' | 'postgres';
