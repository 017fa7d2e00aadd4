// The default JobRunner: each recording runs the recorder program (`node build/recorder.mjs`) as a child
// process of this server, with the recorder environment of reference §8 plus DATA_DIR and the server's own
// loopback SITE_URL. The child gets an IPC channel that this process never uses: it closes when the server
// dies, even by kill -9, and the recorder then finishes and uploads on its own (its "parent is gone" signal).
import {type ChildProcess, spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {TypedEmitter} from '../events';
import {newId} from '../ids';
import type {Logger} from '../log';
import {type JobRunner, type JobRunnerEvents, type JobSpec, recorderEnv} from './types';

/** How long a job may run past its maximum duration before it is killed (the recorder's upload time). */
const MAX_DURATION_GRACE_MS = 5 * 60_000;
/** After SIGTERM at close, how long before SIGKILL. */
const CLOSE_KILL_MS = 3000;
/** The last stderr lines kept for a failure's reason. */
const STDERR_TAIL = 20;

export interface InProcessRunnerOptions {
  /** The program and its first arguments (default: this node binary running build/recorder.mjs). */
  command?: string[];
  /** Jobs' work directories go under <dataDir>/recordings/<job id>. */
  dataDir: string;
  /** The server's own loopback URL (the recorder joins and uploads through it). */
  siteURL: () => string;
  logger: Logger;
  /** Variables passed on from this process (PATH, HOME, FFMPEG_PATH…); the job's own env is added on top. */
  baseEnv?: NodeJS.ProcessEnv;
}

interface Running {
  child: ChildProcess;
  killed: boolean;
  stderr: string[];
  deadline: NodeJS.Timeout;
}

/**
 * The recorder program run directly, not through build/recorder.mjs (a launcher process would cost ~40 MB per
 * recording): compiled when this server is (server/dist, built with it), else with tsx (resolved here: the child
 * runs in its job directory). Its IPC channel is this server's.
 */
export const DEFAULT_RECORDER_COMMAND = recorderCommand(process.env.MM_CALLS_IN_PROCESS_RECORDER_NODE_ARGS);

/**
 * `--single-threaded`: V8 runs GC and compilation on the main thread instead of helper threads; for a process this
 * lightly loaded that is cheaper in all (their wake-ups and hand-offs cost more than the work). `nodeArgs` (the
 * server operator's MM_CALLS_IN_PROCESS_RECORDER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=DIR`) go to node too.
 */
export function recorderCommand(nodeArgs = ''): string[] {
  const extra = ['--single-threaded', ...nodeArgs.split(' ').filter(Boolean)];
  return path.extname(__filename) === '.js'
    ? [process.execPath, ...extra, path.resolve(__dirname, 'recorder', 'main.js')]
    : [
        process.execPath,
        ...extra,
        '--import',
        pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href,
        path.resolve(__dirname, 'recorder', 'main.ts'),
      ];
}

export class InProcessRunner extends TypedEmitter<JobRunnerEvents> implements JobRunner {
  readonly kind = 'in-process' as const;
  readonly #opts: InProcessRunnerOptions;
  readonly #log: Logger;
  readonly #jobs = new Map<string, Running>();
  #closed = false;

  constructor(opts: InProcessRunnerOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger.child({module: 'in-process-runner'});
  }

  async init(): Promise<void> {}

  async start(spec: JobSpec): Promise<{jobID: string}> {
    if (this.#closed) throw new Error('the job runner is closed');
    const jobID = newId();
    const dataDir = path.join(this.#opts.dataDir, 'recordings', spec.inputData.recording_id);
    fs.mkdirSync(dataDir, {recursive: true});
    const [cmd, ...args] = this.#opts.command ?? DEFAULT_RECORDER_COMMAND;
    const base = this.#opts.baseEnv ?? process.env;
    const env: NodeJS.ProcessEnv = {
      PATH: base.PATH,
      HOME: base.HOME,
      ...(base.FFMPEG_PATH ? {FFMPEG_PATH: base.FFMPEG_PATH} : {}),
      // Only the recorder's own variables from MM_CALLS_RECORDER_<X> / input_data (no NODE_OPTIONS, LD_PRELOAD …).
      ...recorderEnv(spec.inputData),
      SITE_URL: this.#opts.siteURL(),
      DATA_DIR: dataDir,
    };
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], cwd: dataDir});
    const run: Running = {
      child,
      killed: false,
      stderr: [],
      deadline: setTimeout(
        () => {
          this.#log.warn({jobID}, 'recorder ran past its maximum duration: killed');
          void this.kill(jobID);
        },
        Math.min(2 ** 31 - 1, spec.maxDurationSec * 1000 + MAX_DURATION_GRACE_MS),
      ),
    };
    run.deadline.unref();
    this.#jobs.set(jobID, run);
    let pending = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        run.stderr.push(line.slice(0, 2000));
        if (run.stderr.length > STDERR_TAIL) run.stderr.shift();
        // The recorder logs pino JSON; its lines are kept as text under one key, never re-parsed.
        this.#log.debug({jobID, recorder: line.slice(0, 2000)}, 'recorder log');
      }
    });
    child.on('error', (err) => this.#exited(jobID, run, null, null, err.message));
    child.on('exit', (code, signal) => this.#exited(jobID, run, code, signal));
    this.#log.info({jobID, pid: child.pid, recordingID: spec.inputData.recording_id}, 'recorder started');
    return {jobID};
  }

  #exited(jobID: string, run: Running, code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    if (this.#jobs.get(jobID) !== run) return;
    this.#jobs.delete(jobID);
    clearTimeout(run.deadline);
    if (code === 0 && !error) {
      this.#log.info({jobID}, 'recorder exited');
      return;
    }
    const how = error ? `could not start: ${error}` : signal ? `killed by ${signal}` : `exited with code ${code}`;
    const reason = `recording job failed: recorder ${how}`;
    this.#log.warn({jobID, code, signal, stderr: run.stderr.slice(-5)}, 'recorder failed');
    if (!run.killed) this.emit('failed', jobID, reason);
  }

  async kill(jobID: string): Promise<void> {
    const run = this.#jobs.get(jobID);
    if (!run) return;
    run.killed = true;
    run.child.kill('SIGTERM');
    const t = setTimeout(() => run.child.kill('SIGKILL'), CLOSE_KILL_MS);
    t.unref();
    run.child.once('exit', () => clearTimeout(t));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const exits = [...this.#jobs.entries()].map(
      ([id, run]) =>
        new Promise<void>((resolve) => {
          if (run.child.exitCode !== null || run.child.signalCode !== null) return resolve();
          run.child.once('exit', () => resolve());
          void this.kill(id);
        }),
    );
    await Promise.all(exits);
  }
}
