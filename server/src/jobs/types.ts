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

/** The recorder's environment (reference §8): every input_data key upper-cased, values as text. */
export function recorderEnv(input: RecorderInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input)) env[k.toUpperCase()] = String(v);
  return env;
}
