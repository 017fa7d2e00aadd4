// The job service's jobs, in `<store.data_source>/jobs.sqlite` beside the credentials, so a restarted
// service still knows them (upstream finds its containers again through Docker's labels). A row lives
// from POST /jobs until the job exits 0, is deleted, or passes the failed-jobs retention.
import type Database from 'better-sqlite3';
import {openPrivateSqlite} from '../../service-kit/private-sqlite';
import type {JobType} from '../types';

/** A job as the API shows it (reference §7.2: the JobConfig fields flattened, then id, start_at, stop_at). */
export interface WireJob {
  type: JobType;
  max_duration_sec: number;
  runner: string;
  input_data?: Record<string, string | number | boolean>;
  id: string;
  start_at: number;
  stop_at?: number;
}

export interface JobRow {
  id: string;
  clientID: string;
  type: JobType;
  runner: string;
  maxDurationSec: number;
  inputData: Record<string, string | number | boolean>;
  startAt: number;
  /** 0 while running. */
  stopAt: number;
  pid: number;
  /** The process's start time (from /proc), so a reused pid is not mistaken for the job's. */
  pidStart: string;
  /** null while running, or when the service did not see the exit (it was down). */
  exitCode: number | null;
}

interface DbRow {
  id: string;
  client_id: string;
  type: string;
  runner: string;
  max_duration_sec: number;
  input_data: string;
  start_at: number;
  stop_at: number;
  pid: number;
  pid_start: string;
  exit_code: number | null;
}

export function toWire(j: JobRow): WireJob {
  // Field order as upstream's struct: the config first, then id, start_at, stop_at (omitempty).
  return {
    type: j.type,
    max_duration_sec: j.maxDurationSec,
    runner: j.runner,
    ...(Object.keys(j.inputData).length > 0 ? {input_data: j.inputData} : {}),
    id: j.id,
    start_at: j.startAt,
    ...(j.stopAt ? {stop_at: j.stopAt} : {}),
  };
}

const JOBS_TABLE = `CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, client_id TEXT NOT NULL, type TEXT NOT NULL, runner TEXT NOT NULL,
  max_duration_sec INTEGER NOT NULL, input_data TEXT NOT NULL, start_at INTEGER NOT NULL,
  stop_at INTEGER NOT NULL DEFAULT 0, pid INTEGER NOT NULL, pid_start TEXT NOT NULL, exit_code INTEGER)`;

export class JobStore {
  readonly #db: Database.Database;

  /** Opens (creating) `<dir>/jobs.sqlite`; input_data holds the bot's token: readable by this user only. */
  constructor(dir: string) {
    this.#db = openPrivateSqlite(dir, 'jobs.sqlite', JOBS_TABLE);
  }

  insert(j: JobRow): void {
    this.#db
      .prepare(
        `INSERT INTO jobs (id, client_id, type, runner, max_duration_sec, input_data, start_at, stop_at, pid, pid_start, exit_code)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        j.id,
        j.clientID,
        j.type,
        j.runner,
        j.maxDurationSec,
        JSON.stringify(j.inputData),
        j.startAt,
        j.stopAt,
        j.pid,
        j.pidStart,
        j.exitCode,
      );
  }

  get(id: string): JobRow | undefined {
    const r = this.#db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as DbRow | undefined;
    return r && fromDb(r);
  }

  running(): JobRow[] {
    return (this.#db.prepare('SELECT * FROM jobs WHERE stop_at = 0').all() as DbRow[]).map(fromDb);
  }

  runningCount(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM jobs WHERE stop_at = 0').get() as {n: number}).n;
  }

  markStopped(id: string, stopAt: number, exitCode: number | null): void {
    this.#db
      .prepare('UPDATE jobs SET stop_at = ?, exit_code = ? WHERE id = ? AND stop_at = 0')
      .run(stopAt, exitCode, id);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM jobs WHERE id = ?').run(id);
  }

  /** Ids of stopped jobs that stopped before `before`. */
  stoppedBefore(before: number): string[] {
    return (
      this.#db.prepare('SELECT id FROM jobs WHERE stop_at > 0 AND stop_at < ?').all(before) as Array<{id: string}>
    ).map((r) => r.id);
  }

  close(): void {
    this.#db.close();
  }
}

function fromDb(r: DbRow): JobRow {
  let inputData: Record<string, string | number | boolean> = {};
  try {
    inputData = JSON.parse(r.input_data) as Record<string, string | number | boolean>;
  } catch {
    inputData = {};
  }
  return {
    id: r.id,
    clientID: r.client_id,
    type: r.type as JobType,
    runner: r.runner,
    maxDurationSec: r.max_duration_sec,
    inputData,
    startAt: r.start_at,
    stopAt: r.stop_at,
    pid: r.pid,
    pidStart: r.pid_start,
    exitCode: r.exit_code,
  };
}
