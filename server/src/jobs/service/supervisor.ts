// Runs each job as a child process of our recorder (no Docker): its own process group, env from the
// job's input_data, DATA_DIR a directory of its own, stderr straight into a file (so the job survives a
// crash of the service and its log with it). Upstream's lifecycle (reference §7.4): SIGTERM at
// max_duration_sec then SIGKILL after a grace; exit 0 → record and directory deleted; otherwise kept
// until the failed-jobs retention. After a restart, jobs whose process is still there are watched
// again, and those whose process is gone are marked stopped.
import {spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {Logger} from '../../log';
import {recorderEnv, type JobType, type RecorderInput} from '../types';
import type {JobRow, JobStore} from './job-store';

export interface SupervisorOptions {
  store: JobStore;
  /** `<store.data_source>/jobs`: one directory per job. */
  jobsDir: string;
  recorderCommand: string;
  maxConcurrentJobs: number;
  /** Dev mode lifts the concurrency limit, as upstream. */
  unlimited: boolean;
  stopGraceMs: number;
  /** 0 keeps failed jobs forever. */
  retentionMs: number;
  /** How often stopped jobs are checked against the retention, and adopted processes for their exit. */
  sweepMs?: number;
  /** Variables of the service's own environment that must not reach a job (its secrets). */
  privateEnv: readonly string[];
  logger: Logger;
}

export interface NewJob {
  clientID: string;
  type: JobType;
  runner: string;
  maxDurationSec: number;
  inputData: Record<string, string | number | boolean>;
}

export class JobLimitError extends Error {}
export class JobStartError extends Error {}

interface Live {
  pid: number;
  deadline?: NodeJS.Timeout;
  kill?: NodeJS.Timeout;
  exited: Promise<void>;
  /** Adopted after a restart: not our child, so its exit is polled. */
  adopted: boolean;
}

export class JobSupervisor {
  readonly #o: SupervisorOptions;
  readonly #log: Logger;
  readonly #live = new Map<string, Live>();
  readonly #sweep: NodeJS.Timeout;
  #draining = false;

  constructor(o: SupervisorOptions) {
    this.#o = o;
    this.#log = o.logger.child({module: 'jobs'});
    fs.mkdirSync(o.jobsDir, {recursive: true, mode: 0o700});
    this.#recover();
    this.#sweep = setInterval(() => this.#sweepOnce(), o.sweepMs ?? 60_000);
    this.#sweep.unref();
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Starts a job; throws JobLimitError when max_concurrent_jobs are running, JobStartError when it cannot start. */
  create(job: NewJob): JobRow {
    if (this.#draining) throw new JobLimitError('the service is shutting down');
    if (!this.#o.unlimited && this.#o.store.runningCount() >= this.#o.maxConcurrentJobs)
      throw new JobLimitError('max concurrent jobs reached');
    const id = randomBytes(13).toString('hex');
    const dir = path.join(this.#o.jobsDir, id);
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir, {recursive: true, mode: 0o700});
    const stderr = fs.openSync(path.join(dir, 'stderr.log'), 'a', 0o600);
    const [cmd, ...args] = this.#o.recorderCommand.trim().split(/\s+/);
    let child;
    try {
      child = spawn(cmd === 'node' ? process.execPath : cmd, args, {
        env: this.#env(job.inputData, dataDir),
        stdio: ['ignore', 'ignore', stderr],
        detached: true,
      });
    } finally {
      fs.closeSync(stderr);
    }
    child.on('error', () => {}); // a spawn failure shows as a missing pid below
    if (child.pid === undefined) {
      fs.rmSync(dir, {recursive: true, force: true});
      throw new JobStartError('cannot start the recorder');
    }
    const row: JobRow = {
      ...job,
      id,
      startAt: Date.now(),
      stopAt: 0,
      pid: child.pid,
      pidStart: processStart(child.pid),
      exitCode: null,
    };
    this.#o.store.insert(row);
    const exited = new Promise<void>((resolve) =>
      child.on('exit', (code, signal) => {
        this.#finished(id, code ?? (signal ? 128 : -1));
        resolve();
      }),
    );
    this.#watch(id, {pid: child.pid, exited, adopted: false}, row.startAt + row.maxDurationSec * 1000);
    this.#log.info(
      {jobID: id, pid: child.pid, maxDurationSec: row.maxDurationSec, clientID: job.clientID},
      'job started',
    );
    return row;
  }

  /** The job's stderr (the last `maxBytes`), or null when it has none. */
  logs(id: string, maxBytes = 16 * 1024 * 1024): Buffer | null {
    const file = path.join(this.#o.jobsDir, id, 'stderr.log');
    let fd;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return null;
    }
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, maxBytes);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Removes a stopped job's record and directory. */
  remove(id: string): void {
    this.#o.store.delete(id);
    fs.rmSync(path.join(this.#o.jobsDir, id), {recursive: true, force: true});
  }

  /** Stops taking jobs, SIGTERMs the running ones and waits for them (SIGKILL after the grace). */
  async drain(): Promise<void> {
    this.#draining = true;
    const waits = [...this.#live.entries()].map(([id, live]) => {
      this.#stop(id, live, 'service shutting down');
      return live.exited;
    });
    await Promise.all(waits);
  }

  /** Stops the timers; with `killJobs` (tests, a second signal) the running jobs are killed first. */
  async close(killJobs = false): Promise<void> {
    clearInterval(this.#sweep);
    this.#draining = true;
    if (killJobs) {
      for (const live of this.#live.values()) signalGroup(live.pid, 'SIGKILL');
      await Promise.all([...this.#live.values()].map((l) => l.exited));
    }
    for (const live of this.#live.values()) {
      clearTimeout(live.deadline);
      clearTimeout(live.kill);
    }
  }

  #env(input: Record<string, string | number | boolean>, dataDir: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {...process.env};
    for (const k of this.#o.privateEnv) delete env[k];
    // Only the recorder's own variables (RECORDER_VARIABLES): no NODE_OPTIONS, PATH … from a client.
    Object.assign(env, recorderEnv(input as RecorderInput));
    env.DATA_DIR = dataDir;
    return env;
  }

  #watch(id: string, live: Live, deadlineAt: number): void {
    this.#live.set(id, live);
    const inMs = Math.max(0, deadlineAt - Date.now());
    // setTimeout holds at most ~24.8 days; max_duration_sec is capped below that by the API.
    live.deadline = setTimeout(() => this.#stop(id, live, 'max duration reached'), Math.min(inMs, 2 ** 31 - 1));
    live.deadline.unref();
  }

  #stop(id: string, live: Live, why: string): void {
    if (live.kill) return;
    this.#log.info({jobID: id, why}, 'stopping job');
    try {
      process.kill(live.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    live.kill = setTimeout(() => {
      this.#log.warn({jobID: id, graceMs: this.#o.stopGraceMs}, 'job did not stop within the grace: killed');
      signalGroup(live.pid, 'SIGKILL');
    }, this.#o.stopGraceMs);
    live.kill.unref();
  }

  #finished(id: string, exitCode: number | null): void {
    const live = this.#live.get(id);
    if (live) {
      clearTimeout(live.deadline);
      clearTimeout(live.kill);
      this.#live.delete(id);
    }
    // The recorder may have left helpers (ffmpeg) in its group.
    if (live) signalGroup(live.pid, 'SIGKILL');
    if (exitCode === 0) {
      this.remove(id);
      this.#log.info({jobID: id}, 'job done: removed');
      return;
    }
    this.#o.store.markStopped(id, Date.now(), exitCode);
    this.#log.warn({jobID: id, exitCode}, 'job failed: kept until the retention passes');
  }

  /** After a restart: watch the jobs whose process survived, mark the others stopped. */
  #recover(): void {
    for (const job of this.#o.store.running()) {
      if (alive(job.pid) && processStart(job.pid) === job.pidStart) {
        let resolve!: () => void;
        const exited = new Promise<void>((r) => (resolve = r));
        const live: Live = {pid: job.pid, exited, adopted: true};
        const poll = setInterval(() => {
          if (alive(job.pid)) return;
          clearInterval(poll);
          // Not our child: its exit code is unknown, so it is kept like a failed job.
          this.#finished(job.id, null);
          resolve();
        }, 500);
        poll.unref();
        this.#watch(job.id, live, job.startAt + job.maxDurationSec * 1000);
        this.#log.info({jobID: job.id, pid: job.pid}, 'job still running after a restart: watched again');
      } else {
        this.#o.store.markStopped(job.id, Date.now(), null);
        this.#log.warn({jobID: job.id}, 'job ended while the service was down: marked stopped');
      }
    }
    this.#sweepOnce();
  }

  #sweepOnce(): void {
    if (this.#o.retentionMs <= 0) return;
    for (const id of this.#o.store.stoppedBefore(Date.now() - this.#o.retentionMs)) {
      this.remove(id);
      this.#log.info({jobID: id}, 'failed job removed: retention passed');
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or '' where there is no /proc. */
function processStart(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // the group is gone
  }
}
