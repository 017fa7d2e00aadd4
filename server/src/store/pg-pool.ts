// Error handling every PostgreSQL pool needs. pg-pool listens for errors only on idle connections: one the
// server cuts while it is checked out (a PostgreSQL restart during a held advisory lock or between the
// queries of a transaction) emits 'error' with no listener, which ends the process. With this the holder
// sees the failure on its next query instead, and the pool drops the connection when it is released.
import type pg from 'pg';

/** Reports errors of idle and checked-out connections alike to `onError`; returns the pool. */
export function watchPoolErrors(pool: pg.Pool, onError: (err: Error) => void): pg.Pool {
  const checkedOut = new WeakSet<pg.PoolClient>();
  pool.on('error', onError); // idle connections (the pool's own listener re-emits here)
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_err, client) => checkedOut.delete(client));
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      if (checkedOut.has(client)) onError(err);
    });
  });
  return pool;
}
