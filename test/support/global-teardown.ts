// Jest global teardown: stops the PostgreSQL server that global-setup started (if it started one).

import {SERVER_KEY} from './global-setup';
import {PG_URL_ENV, type PgServer} from './postgres';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as Record<string, unknown>;
  const server = holder[SERVER_KEY] as PgServer | undefined;
  if (!server) return;
  delete holder[SERVER_KEY];
  if (process.env[PG_URL_ENV] === server.url) delete process.env[PG_URL_ENV];
  await server.stop();
}
