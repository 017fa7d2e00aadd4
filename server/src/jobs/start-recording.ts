// Starts recording at server start when a job runner is available: the runner (a job service that is down
// does not keep the server from starting), the job tokens the recorder logs in with, RecordingJobs, and the
// bot account. Null when no runner is available.
import type {Logger} from '../log';
import {acceptJobTokens, JobTokens} from './job-tokens';
import {RecordingJobs, type RecordingJobsDeps} from './recording-jobs';
import {type RunnerContext, selectJobRunner} from './select-runner';
import type {JobRunner} from './types';

export interface StartRecordingDeps extends Omit<RecordingJobsDeps, 'runner' | 'tokens' | 'siteURL'> {
  logger: Logger;
  runnerContext: RunnerContext;
  /** Replaces selectJobRunner (tests). */
  jobRunner?: (ctx: RunnerContext) => JobRunner | null;
  /** The server's public site URL and its loopback URL. */
  siteURL: () => string;
  loopbackURL: () => string;
  /** Registers a teardown step (run in reverse order at close). */
  onClose: (fn: () => Promise<void>) => void;
}

export async function startRecording(d: StartRecordingDeps): Promise<RecordingJobs | null> {
  const {runnerContext, jobRunner, loopbackURL, onClose, ...deps} = d;
  const runner = jobRunner ? jobRunner(runnerContext) : selectJobRunner(runnerContext);
  if (!runner) return null;
  // A job service that is down at start must not keep calls from starting: the runner retries on the
  // first recording.
  await runner
    .init()
    .catch((err: unknown) =>
      d.logger.error({err: (err as Error).message, runner: runner.kind}, 'job runner not ready; retrying on first use'),
    );
  onClose(() => runner.close());
  const tokens = new JobTokens(d.store.kv, d.clock);
  acceptJobTokens(d.platform, tokens);
  const recording = new RecordingJobs({
    ...deps,
    tokens,
    runner,
    // A recorder on this machine reaches the server on loopback; one of a job service, at the public URL
    // (or MM_CALLS_RECORDER_SITE_URL, which recorderOverrides passes as site_url).
    siteURL: () => (runner.kind === 'in-process' ? loopbackURL() : d.siteURL()),
  });
  onClose(async () => recording.close());
  // The bot account and its token exist from the start, as upstream ensures them on activation.
  await d.platform.botToken();
  return recording;
}
