// Recording in the webapp (reference webapp.md §2.9, calls-protocol.md §8.2): what a job state means, who may start
// and stop, the start/stop requests, and the banners' dismissal, which is remembered per browser so the widget and
// the pop-out (two windows, two stores) agree and a re-opened pop-out does not show it again.
import {action} from './action_types';
import type {RecordingState} from './calls_state';
import {callsConfig, callsState, currentUserId, hostIDInChannel, type GlobalState} from './selectors';
import type {StoreLike} from './store_like';
import {Rest, RestError} from '../client/rest';
import type {CallJobState} from '../types';

export type RecordingPhase = 'none' | 'starting' | 'recording' | 'stopped' | 'failed';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const ts = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** A job state from the wire, with numbers where numbers belong; null when it is not one. */
export function parseJobState(raw: unknown): CallJobState | null {
  if (!raw || typeof raw !== 'object') {
    return null;
  }
  const j = raw as Record<string, unknown>;
  const job: CallJobState = {
    type: str(j.type) || 'recording',
    init_at: ts(j.init_at),
    start_at: ts(j.start_at),
    end_at: ts(j.end_at),
  };
  const err = str(j.err).slice(0, 1000);
  if (err) {
    job.err = err;
  }
  return job;
}

/**
 * init_at>0 and start_at=0: starting; start_at>0 and end_at=0: recording; end_at>0: stopped; an err: failed
 * (calls-protocol.md §8.2).
 */
export function recordingPhase(rec: RecordingState | undefined): RecordingPhase {
  if (!rec) {
    return 'none';
  }
  if (rec.err) {
    return 'failed';
  }
  if (rec.end_at > 0) {
    return 'stopped';
  }
  if (rec.start_at > 0) {
    return 'recording';
  }
  return rec.init_at > 0 ? 'starting' : 'none';
}

/** The recording is "on" for the start/stop toggle: asked for and not ended. */
export function isRecordingOn(rec: RecordingState | undefined): boolean {
  const phase = recordingPhase(rec);
  return phase === 'starting' || phase === 'recording';
}

export const recordingIn = (state: GlobalState, channelID: string): RecordingState | undefined =>
  callsState(state).recordings[channelID];

/** Recording start/stop is the host's (not an admin's: the server refuses anyone else), with recordings enabled. */
export function canRecord(state: GlobalState, channelID: string): boolean {
  return callsConfig(state).EnableRecordings && hostIDInChannel(state, channelID) === currentUserId(state);
}

/** The latest server-side moment the banners depend on; a dismissal older than it no longer hides them. */
export function recordingPromptEpoch(rec: RecordingState | undefined, hostChangeAt = 0): number {
  if (!rec) {
    return 0;
  }
  return Math.max(rec.init_at, rec.start_at, rec.end_at, rec.error_at || 0, hostChangeAt);
}

/** What a failed start/stop request says to the user: the server's message, or why there is none. */
export function recordingErrorMessage(err: unknown): string {
  if (err instanceof RestError) {
    if (err.status === 404 && err.id === 'api.context.404.app_error') {
      // The server has no recording routes (an older server): its "page not found" would only puzzle the user.
      return 'Recording is not available on this server.';
    }
    return err.message;
  }
  return (err as Error)?.message || String(err);
}

/** Starts the recording; a refusal becomes the recording's error (the banner says it), and is rethrown. */
export async function startRecording(store: StoreLike, channelID: string): Promise<void> {
  try {
    await Rest.recording(channelID, 'start');
  } catch (err) {
    const now = Date.now();
    store.dispatch(
      action('CALL_RECORDING_STATE', {
        channelID,
        jobState: {
          type: 'recording',
          init_at: 0,
          start_at: 0,
          end_at: 0,
          err: recordingErrorMessage(err),
          error_at: now,
        },
      }),
    );
    throw err;
  }
}

export async function stopRecording(store: StoreLike, channelID: string): Promise<void> {
  await Rest.recording(channelID, 'stop');
}

/** The host's toggle (button, menu, shortcut): start now, or ask "Stop recording?" first. */
export function toggleRecording(store: StoreLike, channelID: string): void {
  if (isRecordingOn(recordingIn(store.getState(), channelID))) {
    store.dispatch(action('SHOW_STOP_RECORDING_MODAL', {channelID}));
    return;
  }
  startRecording(store, channelID).catch(() => undefined);
}

// ---- the banners' dismissal, shared by this browser's windows ----

const STORAGE_KEY = 'calls_recording_prompt_dismissed_at';

function readAll(): Record<string, number> {
  try {
    const v = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, number>) : {};
  } catch {
    return {};
  }
}

/** When the user last dismissed this channel's recording banner, in this browser (any window). */
export function storedPromptDismissedAt(channelID: string): number {
  const v = readAll()[channelID];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** Dismisses the banner of the recording as it is now; a later start, stop, error or host change shows it again. */
export function dismissRecordingPrompt(store: StoreLike, channelID: string): void {
  const state = store.getState();
  const epoch = recordingPromptEpoch(recordingIn(state, channelID), callsState(state).hosts[channelID]?.hostChangeAt);
  const dismissedAt = epoch + 1;
  store.dispatch(action('RECORDING_PROMPT_DISMISSED', {channelID, dismissedAt}));
  try {
    // Only the latest channels: the map stays small.
    const all = Object.entries({...readAll(), [channelID]: dismissedAt}).slice(-20);
    window.localStorage.setItem(STORAGE_KEY, JSON.stringify(Object.fromEntries(all)));
  } catch {
    // Storage full or denied: this window still remembers.
  }
}

/** Calls back when another window of this browser dismisses a banner (the storage event fires only there). */
export function onStoredPromptDismissals(cb: () => void): () => void {
  const onStorage = (e: StorageEvent) => {
    if (e.key === STORAGE_KEY) {
      cb();
    }
  };
  window.addEventListener('storage', onStorage);
  return () => window.removeEventListener('storage', onStorage);
}
