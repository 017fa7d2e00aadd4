// Pure functions over a call's persisted state: the host rule, the client-facing call state, and the
// screen and video time counted when a share stops.
import type {Call, CallJob, CallSession} from '../store/types';

/**
 * Host rule (reference §7.2): the locked host if still in the call; else the current host if still in;
 * else the user of the earliest-joined session. Bots are never host. "" when nobody is left.
 */
export function computeHost(call: Call, sessions: CallSession[], botUserID = ''): string {
  const inCall = new Set(sessions.filter((s) => s.userId !== botUserID).map((s) => s.userId));
  const locked = call.props.host_locked_user_id;
  if (locked && inCall.has(locked)) return locked;
  const current = call.props.hosts?.[0];
  if (current && inCall.has(current)) return current;
  const first = [...sessions]
    .filter((s) => s.userId !== botUserID)
    .sort((a, b) => a.joinAt - b.joinAt || (a.id < b.id ? -1 : 1))[0];
  return first ? first.userId : '';
}

/** The call state clients get (protocol/events.ts), by the names this module has always used. */
import type {
  CallJobState as ClientJobState,
  CallState as ClientCallState,
  SessionState as ClientSessionState,
} from '../protocol';
export type {ClientJobState, ClientCallState, ClientSessionState};

export function jobState(job: CallJob): ClientJobState {
  const s: ClientJobState = {type: job.type, init_at: job.initAt, start_at: job.startAt, end_at: job.endAt};
  if (job.props.err) s.err = job.props.err;
  return s;
}

/** The `call` object of call_state, /channels and /{channel_id} (reference §7.3). */
export function clientCallState(
  call: Call,
  sessions: CallSession[],
  jobs: CallJob[],
  forUserID: string,
  botUserID = '',
): ClientCallState {
  const state: ClientCallState = {
    id: call.id,
    start_at: call.startAt,
    sessions: sessions
      .filter((s) => s.userId !== botUserID)
      .map((s) => ({
        session_id: s.id,
        user_id: s.userId,
        unmuted: s.unmuted,
        raised_hand: s.raisedHand,
        video: s.video,
      })),
    thread_id: call.threadId,
    post_id: call.postId,
    screen_sharing_session_id: call.props.screen_sharing_session_id ?? '',
    owner_id: call.ownerId,
    host_id: call.props.hosts?.[0] ?? '',
  };
  for (const job of jobs) {
    if (job.type === 'recording' && !state.recording) state.recording = jobState(job);
    if (job.type === 'transcribing' && !state.transcription) state.transcription = jobState(job);
    if (job.type === 'captioning' && !state.live_captions) state.live_captions = jobState(job);
  }
  if (call.props.dismissed_notification?.[forUserID]) state.dismissed_notification = {[forUserID]: true};
  return state;
}

export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

/** The screen share stops: its time is added to the call's stats and the sharer cleared. */
export function stopScreenShare(call: Call, now: number): void {
  if (call.props.screen_start_at)
    call.stats.screen_duration += Math.max(0, unixSeconds(now) - call.props.screen_start_at);
  call.props.screen_sharing_session_id = '';
  call.props.screen_stream_id = '';
  call.props.screen_start_at = 0;
}

/** A session's video stops: its time is added to the call's stats. */
export function stopVideo(call: Call, sessionID: string, now: number): void {
  const started = call.props.video_start_at?.[sessionID];
  if (started) call.stats.video_duration += Math.max(0, unixSeconds(now) - started);
  if (call.props.video_start_at) {
    const {[sessionID]: _gone, ...rest} = call.props.video_start_at;
    call.props.video_start_at = rest;
  }
}
