// Jest global setup: one throwaway PostgreSQL server for the whole run, shared through MM_CALLS_TEST_PG_URL
// (each test file makes its own database on it). Without PostgreSQL installed the run goes on and only
// the tests that need it fail, with requirePgUrl()'s message.

import {PG_URL_ENV, findPgBinDir, startPostgres, sweepStalePostgres, type PgServer} from './postgres';

/** Where global-teardown finds the server: Jest runs both hooks in the same process. */
export const SERVER_KEY = '__mmCallsTestPostgres';

export default async function globalSetup(): Promise<void> {
  if (process.env[PG_URL_ENV]) return;
  const binDir = findPgBinDir();
  if (!binDir) {
    process.stderr.write(`[test] no PostgreSQL found under /usr/lib/postgresql; tests that need it will fail\n`);
    return;
  }
  sweepStalePostgres();
  const server: PgServer = await startPostgres({binDir});
  process.env[PG_URL_ENV] = server.url;
  (globalThis as Record<string, unknown>)[SERVER_KEY] = server;
}
