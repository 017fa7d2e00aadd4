// Recording jobs in the call domain (reference calls-protocol §8.2, rtcd-offloader §7.4): start and stop
// by the host, the calls_jobs row and its call_job_state events, the runner that runs the recorder, the
// bot's join and its status reports, the start watchdog, the maximum duration, the ends that follow the
// call or the bot, and the jobs a crash left behind. Every change runs under the call's lock.
import type {CallLock} from '../calls/lock';
import type {CallsPublisher} from '../calls/publish';
import {jobState} from '../calls/state';
import type {Clock} from '../clock';
import type {ConfigService} from '../config/service';
import {AppError, badRequest, forbidden} from '../errors';
import {newId} from '../ids';
import type {Logger} from '../log';
import type {Platform} from '../platform/types';
import type {Call, CallJob, Store} from '../store';
import type {CallJobState} from '../protocol';
import type {JobTokens} from './job-tokens';
import {QUALITY_PROFILES, recorderOverrides} from './quality';
import type {JobRunner} from './types';

export const START_TIMEOUT_ERR = 'failed to start recording job: timed out waiting for bot to join call';
export const DEFAULT_START_TIMEOUT_MS = 60_000;

export interface RecordingJobsDeps {
  store: Store;
  platform: Platform;
  config: ConfigService;
  lock: CallLock;
  publisher: CallsPublisher;
  clock: Clock;
  logger: Logger;
  runner: JobRunner;
  /** Each recorder gets its own token for its job (never the platform's bot token). */
  tokens: JobTokens;
  /** The URL the recorder reaches this server at (input site_url). */
  siteURL: () => string;
  env: NodeJS.ProcessEnv;
}

/** How long a recorder may take to upload its file after its recording ended. */
const UPLOAD_WINDOW_MS = 60 * 60_000;

/** MM_CALLS_RECORDING_START_TIMEOUT_MS / MM_CALLS_RECORDING_MAX_DURATION_MS: shorter waits (tests). */
function msFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new Error(`invalid ${name}: "${raw.slice(0, 32)}" is not a number of milliseconds`);
  return Number(raw);
}

export class RecordingJobs {
  readonly #d: RecordingJobsDeps;
  readonly #log: Logger;
  readonly #startTimeoutMs: number;
  readonly #maxDurationMs: number | undefined;
  /** Watchdog and max-duration timers by CallJob id. */
  readonly #timers = new Map<string, NodeJS.Timeout[]>();
  /** CallJob ids by the runner's job id, for its `failed` events. */
  readonly #byRunnerID = new Map<string, {jobID: string; channelID: string}>();
  #botID: Promise<string> | null = null;
  #closed = false;

  constructor(d: RecordingJobsDeps) {
    this.#d = d;
    this.#log = d.logger.child({module: 'recording'});
    this.#startTimeoutMs = msFromEnv(d.env, 'MM_CALLS_RECORDING_START_TIMEOUT_MS') ?? DEFAULT_START_TIMEOUT_MS;
    this.#maxDurationMs = msFromEnv(d.env, 'MM_CALLS_RECORDING_MAX_DURATION_MS');
    d.runner.on('failed', (runnerID, reason) => void this.#runnerFailed(runnerID, reason));
  }

  botUserID(): Promise<string> {
    this.#botID ??= this.#d.platform.botUserID();
    return this.#botID;
  }

  // ------------------------------------------------------------------ host: start and stop

  /** POST /calls/{channel}/recording/start (the caller checked read_channel). */
  async start(userID: string, channelID: string): Promise<CallJobState> {
    const d = this.#d;
    const cfg = d.config.get();
    if (!d.platform.license().enterprise)
      throw forbidden('app.calls.recording.license', 'Recordings are not allowed by your license');
    if (!cfg.EnableRecordings) throw forbidden('app.calls.recording.disabled', 'Recordings are not enabled');
    const {call, job} = await d.lock.withLock(channelID, async () => {
      const call = await this.#hostCall(userID, channelID);
      const active = (await d.store.calls.getActiveJobs(call.id)).find((j) => j.type === 'recording');
      if (active) throw forbidden('app.calls.recording.already_in_progress', 'recording already in progress');
      const job: CallJob = {
        id: newId(),
        callId: call.id,
        type: 'recording',
        creatorId: userID,
        initAt: d.clock.now(),
        startAt: 0,
        endAt: 0,
        props: {},
      };
      await d.store.calls.createJob(job);
      this.#emit(call, job);
      return {call, job};
    });

    let runnerID: string;
    let token = '';
    try {
      const maxMinutes = cfg.MaxRecordingDuration;
      // Valid while the job may run (its start, its maximum duration) and then upload its file.
      const expiresAt = job.initAt + this.#startTimeoutMs + maxMinutes * 60_000 + UPLOAD_WINDOW_MS;
      token = await d.tokens.issue(job.id, await this.botUserID(), expiresAt);
      ({jobID: runnerID} = await d.runner.start({
        type: 'recording',
        // As upstream (reference §7.3): the runner's own deadline, a backstop counted from the process start.
        maxDurationSec: maxMinutes * 60,
        inputData: {
          ...recorderOverrides(d.env),
          ...QUALITY_PROFILES[cfg.RecordingQuality],
          site_url: d.siteURL(),
          call_id: channelID,
          post_id: call.postId,
          recording_id: job.id,
          auth_token: token,
        },
      }));
    } catch (err) {
      await d.tokens.revoke(token).catch(() => undefined);
      const reason = `failed to create recording job: ${(err as Error).message}`;
      this.#log.error({err: (err as Error).message, jobID: job.id, channelID}, 'starting the recorder failed');
      await d.lock.withLock(channelID, () => this.#end(call, job.id, reason));
      throw new AppError('app.calls.recording.start_failed', 'failed to start recording job', 500);
    }

    return d.lock.withLock(channelID, async () => {
      const fresh = await d.store.calls.getJob(job.id);
      if (!fresh) throw new AppError('app.calls.recording.job_lost', 'recording job not found', 500);
      fresh.props.job_id = runnerID;
      await d.store.calls.updateJob(fresh);
      this.#byRunnerID.set(runnerID, {jobID: job.id, channelID});
      if (fresh.endAt > 0) {
        // Stopped (or the call ended) while the runner was starting: nothing must keep running.
        await d.runner.kill(runnerID).catch(() => undefined);
        return jobState(fresh);
      }
      await this.#setCallPostRecording(call, job.id, {});
      this.#arm(fresh, channelID);
      this.#emit(call, fresh);
      this.#log.info({jobID: job.id, runnerID, channelID, callID: call.id}, 'recording job started');
      return jobState(fresh);
    });
  }

  /** POST /calls/{channel}/recording/stop. */
  async stop(userID: string, channelID: string): Promise<CallJobState> {
    const d = this.#d;
    if (!d.config.get().EnableRecordings) throw forbidden('app.calls.recording.disabled', 'Recordings are not enabled');
    return d.lock.withLock(channelID, async () => {
      const call = await this.#hostCall(userID, channelID);
      const job = (await d.store.calls.getActiveJobs(call.id)).find((j) => j.type === 'recording');
      if (!job) throw forbidden('app.calls.recording.not_in_progress', 'no recording in progress');
      const ended = await this.#end(call, job.id, '');
      this.#log.info({jobID: job.id, channelID, by: userID}, 'recording stopped by the host');
      return jobState(ended!);
    });
  }

  async #hostCall(userID: string, channelID: string): Promise<Call> {
    const d = this.#d;
    const call = await d.store.calls.getActiveCallByChannel(channelID);
    if (!call) throw forbidden('app.calls.no_call_ongoing', 'no call ongoing');
    if (call.props.hosts?.[0] !== userID && !(await d.platform.isSystemAdmin(userID)))
      throw forbidden('app.calls.recording.no_permissions', 'no permissions to record');
    return call;
  }

  // ------------------------------------------------------------------ the bot

  /** Under the call lock: a join with jobID from the bot is for a recording job of this call not yet started. */
  async acceptBotJoin(call: Call, jobID: string, connID: string): Promise<void> {
    const job = await this.#d.store.calls.getJob(jobID);
    if (!job || job.callId !== call.id || job.type !== 'recording' || job.endAt > 0 || job.startAt > 0)
      throw forbidden('app.calls.join.bot_job_invalid', 'no recording job to join for');
    if (job.props.bot_conn_id) throw forbidden('app.calls.join.bot_already_joined', 'the recorder already joined');
    job.props.bot_conn_id = connID;
    await this.#d.store.calls.updateJob(job);
    this.#log.info({jobID, connID, callID: call.id}, 'recorder joined the call');
  }

  /** Under the call lock: the bot's session left; a job it was recording and that has not ended ends now. */
  async botLeft(call: Call, sessionID: string): Promise<void> {
    for (const job of await this.#d.store.calls.getActiveJobs(call.id)) {
      if (job.props.bot_conn_id !== sessionID) continue;
      this.#log.info({jobID: job.id, sessionID}, 'recorder left the call: job ended');
      await this.#end(call, job.id, '');
    }
  }

  /** Under the call lock, after the call ended and its jobs got end_at: tell the bot and the channel. */
  callEnded(call: Call, jobs: CallJob[]): void {
    for (const job of jobs) {
      this.#clearTimers(job.id);
      void this.botUserID().then((bot) => this.#d.publisher.toUser('job_stop', {job_id: job.id}, bot));
      this.#emit(call, job);
    }
  }

  /** POST /bot/calls/{channel}/jobs/{job}/status (reference §8.2 steps 5 and 9). */
  async status(channelID: string, jobID: string, status: 'started' | 'failed', err: string): Promise<void> {
    const d = this.#d;
    await d.lock.withLock(channelID, async () => {
      const call = await d.store.calls.getActiveCallByChannel(channelID);
      if (!call) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      const job = await d.store.calls.getJob(jobID);
      if (!job || job.callId !== call.id || job.type !== 'recording')
        throw badRequest('app.calls.bot.job_not_found', 'job not found');
      if (status === 'failed') {
        await this.#end(call, job.id, err || 'recording job failed');
        return;
      }
      if (job.endAt > 0) throw badRequest('app.calls.bot.job_ended', 'job has ended');
      if (job.startAt > 0) throw badRequest('app.calls.bot.job_started', 'job has already started');
      job.startAt = d.clock.now();
      await d.store.calls.updateJob(job);
      this.#arm(job, channelID);
      this.#emit(call, job);
      this.#log.info({jobID, channelID}, 'recording started');
    });
  }

  // ------------------------------------------------------------------ ends

  /**
   * Under the call lock: ends the job (end_at, optionally err), tells the bot to stop and the channel the
   * state. Idempotent; a failure reported after the end still records its err. Returns the job.
   */
  async #end(call: Call, jobID: string, err: string): Promise<CallJob | null> {
    const d = this.#d;
    const job = await d.store.calls.getJob(jobID);
    if (!job) return null;
    this.#clearTimers(job.id);
    const wasRunning = job.endAt === 0;
    if (!wasRunning && (!err || job.props.err)) return job;
    if (wasRunning) job.endAt = d.clock.now();
    if (err) job.props.err = err;
    await d.store.calls.updateJob(job);
    if (wasRunning) d.publisher.toUser('job_stop', {job_id: job.id}, await this.botUserID());
    this.#emit(call, job);
    if (err) this.#log.warn({jobID, callID: call.id, err}, 'recording job ended with an error');
    return job;
  }

  async #endLater(channelID: string, jobID: string, err: string, why: string): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#d.lock.withLock(channelID, async () => {
        const job = await this.#d.store.calls.getJob(jobID);
        const call = job ? await this.#d.store.calls.getCall(job.callId) : null;
        if (!job || !call || job.endAt > 0) return;
        if (why === 'watchdog' && job.startAt > 0) return;
        this.#log.warn({jobID, channelID, why}, 'recording job ended by the server');
        await this.#end(call, jobID, err);
      });
    } catch (e) {
      this.#log.error({err: (e as Error).message, jobID, why}, 'ending a recording job failed');
    }
  }

  async #runnerFailed(runnerID: string, reason: string): Promise<void> {
    const ref = this.#byRunnerID.get(runnerID);
    this.#byRunnerID.delete(runnerID);
    if (!ref) return;
    try {
      await this.#d.lock.withLock(ref.channelID, async () => {
        const job = await this.#d.store.calls.getJob(ref.jobID);
        const call = job ? await this.#d.store.calls.getCall(job.callId) : null;
        if (!job || !call) return;
        this.#log.warn({jobID: job.id, runnerID, reason}, 'recorder process failed');
        await this.#end(call, job.id, reason);
      });
    } catch (e) {
      this.#log.error({err: (e as Error).message, runnerID}, 'recording a runner failure failed');
    }
  }

  // ------------------------------------------------------------------ timers and restart

  /**
   * The start watchdog (from the job's init_at) and the maximum duration, counted from start_at as the REC badge's
   * time is: a slow recorder start must not eat into the recording. A restart re-arms both from the stored times.
   */
  #arm(job: CallJob, channelID: string): void {
    this.#clearTimers(job.id);
    const now = this.#d.clock.now();
    const timers: NodeJS.Timeout[] = [];
    if (job.startAt === 0) {
      const wait = job.initAt + this.#startTimeoutMs - now;
      timers.push(setTimeout(() => void this.#endLater(channelID, job.id, START_TIMEOUT_ERR, 'watchdog'), wait));
    } else {
      const maxMs = this.#maxDurationMs ?? this.#d.config.get().MaxRecordingDuration * 60_000;
      const wait = Math.min(2 ** 31 - 1, job.startAt + maxMs - now);
      timers.push(setTimeout(() => void this.#endLater(channelID, job.id, '', 'max duration'), Math.max(0, wait)));
    }
    for (const t of timers) t.unref();
    this.#timers.set(job.id, timers);
  }

  #clearTimers(jobID: string): void {
    for (const t of this.#timers.get(jobID) ?? []) clearTimeout(t);
    this.#timers.delete(jobID);
  }

  /**
   * At start (after the calls were resumed): the recording jobs of calls that no longer go on are ended
   * with an err; those of calls that go on get their watchdog and maximum duration back.
   */
  async resumeAtStart(): Promise<void> {
    const d = this.#d;
    const active = new Map((await d.store.calls.listActiveCalls()).map((c) => [c.id, c]));
    for (const job of await this.#jobsLeftRunning()) {
      const call = active.get(job.callId) ?? (await d.store.calls.getCall(job.callId));
      if (!call) {
        job.endAt = d.clock.now();
        job.props.err = 'recording ended: its call no longer exists';
        await d.store.calls.updateJob(job);
        continue;
      }
      await d.lock
        .withLock(call.channelId, async () => {
          if (active.has(call.id)) this.#arm(job, call.channelId);
          else await this.#end(call, job.id, 'recording ended: the server restarted after its call ended');
        })
        .catch((err) => this.#log.warn({err: (err as Error).message, jobID: job.id}, 'resuming a job failed'));
    }
  }

  /** Jobs with end_at 0 (the store lists them per call; calls that ended are looked at too). */
  async #jobsLeftRunning(): Promise<CallJob[]> {
    const rows = await this.#d.store.db
      .selectFrom('calls_jobs')
      .select('id')
      .where('endat', '=', 0)
      .where('type', '=', 'recording')
      .execute();
    const jobs: CallJob[] = [];
    for (const r of rows) {
      const j = await this.#d.store.calls.getJob(r.id);
      if (j) jobs.push(j);
    }
    return jobs;
  }

  close(): void {
    this.#closed = true;
    for (const id of [...this.#timers.keys()]) this.#clearTimers(id);
  }

  // ------------------------------------------------------------------ events and the call post

  #emit(call: Call, job: CallJob): void {
    this.#d.publisher.toChannel('call_job_state', {callID: call.channelId, jobState: jobState(job)}, call.channelId);
  }

  /** Updates recordings[jobID] on the call post (reference §7.4). */
  async #setCallPostRecording(call: Call, jobID: string, value: Record<string, string>): Promise<void> {
    await setCallPostRecording(this.#d.platform, call.postId, jobID, value, this.#log);
  }
}

export async function setCallPostRecording(
  platform: Platform,
  postID: string,
  jobID: string,
  value: Record<string, string>,
  log: Logger,
): Promise<void> {
  try {
    const post = postID ? await platform.getPost(postID) : null;
    if (!post) return;
    const recordings = {...(post.props.recordings as Record<string, Record<string, string>> | undefined)};
    recordings[jobID] = {...recordings[jobID], ...value};
    await platform.updatePost({...post, props: {...post.props, recordings}});
  } catch (err) {
    log.warn({err: (err as Error).message, postID, jobID}, 'updating the call post recordings failed');
  }
}
