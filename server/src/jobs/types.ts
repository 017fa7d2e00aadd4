// The contract between the call domain's recording jobs and whatever runs the recorder: a child process
// of this server (the default), our own job service, or an upstream calls-offloader. The recorder's input
// is the calls-offloader job config of reference rtcd-offloader §7.2–7.3; the recorder reads it as the
// environment variables of §8 (input_data keys upper-cased).
import type {TypedEmitter} from '../events';

export type JobType = 'recording' | 'transcribing';

/** input_data of a recording job, with the keys the plugin sends (reference §7.3). */
export interface RecorderInput {
  site_url: string;
  /** The channel id (calls are keyed by channel on the wire). */
  call_id: string;
  /** The call's thread post id. */
  post_id: string;
  /** The CallJob id (26 chars). */
  recording_id: string;
  /** The Calls bot's token: the recorder's websocket and bot API credentials. */
  auth_token: string;
  width: number;
  height: number;
  /** kbps */
  video_rate: number;
  /** kbps */
  audio_rate: number;
  frame_rate: number;
  video_preset: string;
  output_format: string;
  /** MM_CALLS_RECORDER_<X> overrides, as `<x>`. */
  [extra: string]: string | number;
}

/** A job to run: the body of calls-offloader's POST /jobs, in our names. */
export interface JobSpec {
  type: JobType;
  maxDurationSec: number;
  inputData: RecorderInput;
}

export interface JobRunnerEvents {
  /**
   * A job's process ended without the recorder reporting it (crashed, killed, could not start): the
   * reason is for the job's `err`. Runners that cannot see their jobs (an upstream offloader) never emit it.
   */
  failed: [jobID: string, reason: string];
}

export interface JobRunner extends TypedEmitter<JobRunnerEvents> {
  readonly kind: 'in-process' | 'job-service';
  /** Prepares the runner (a job service: version check, registration, POST /jobs/init). */
  init(): Promise<void>;
  /** Starts a job; the id is what the call job keeps in props.job_id. */
  start(spec: JobSpec): Promise<{jobID: string}>;
  /** Ends a job's process now if this runner can (a job that never started, shutdown); idempotent. */
  kill(jobID: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The only variables a recorder process takes from a job's input_data, on every runner: those calls-recorder's
 * container entrypoint passes on (reference §8) and our upload tuning. input_data itself carries every
 * MM_CALLS_RECORDER_<X> (upstream's rule, for an upstream offloader), but anything else reaching a process
 * (NODE_OPTIONS, LD_PRELOAD, PATH, FFMPEG_PATH …) would run code of someone's choice in it, where upstream
 * has a container around it. DATA_DIR and FFMPEG_PATH are the runner's own, never input's.
 */
export const RECORDER_VARIABLES: ReadonlySet<string> = new Set([
  'SITE_URL',
  'AUTH_TOKEN',
  'CALL_ID',
  'POST_ID',
  'RECORDING_ID',
  'WIDTH',
  'HEIGHT',
  'VIDEO_RATE',
  'AUDIO_RATE',
  'FRAME_RATE',
  'VIDEO_PRESET',
  'OUTPUT_FORMAT',
  'DEV_MODE',
  'UPLOAD_ATTEMPTS',
  'UPLOAD_BACKOFF_MS',
]);

/** The recorder's environment from input_data (reference §8): keys upper-cased, values as text, RECORDER_VARIABLES only. */
export function recorderEnv(input: RecorderInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) {
    const name = k.toUpperCase();
    if (RECORDER_VARIABLES.has(name)) env[name] = String(v);
  }
  return env;
}
