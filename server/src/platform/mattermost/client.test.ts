// The REST client's edges without a server: Retry-After as Mattermost's limiter (and RFC 9110) sends it, and
// an unreachable Mattermost as a clear 503 that names neither the token nor the URL's credentials.
import {silentLogger} from '../../log';
import {MattermostClient, retryAfterMs, UNREACHABLE_ID} from './client';

test('Retry-After in seconds, as an HTTP date, or missing', () => {
  expect(retryAfterMs('2')).toBe(2000);
  expect(retryAfterMs('0.5')).toBe(500);
  expect(retryAfterMs(null)).toBe(1000);
  expect(retryAfterMs('soon')).toBe(1000);
  const inFive = new Date(Date.now() + 5000).toUTCString();
  expect(retryAfterMs(inFive)).toBeGreaterThan(3000);
  expect(retryAfterMs(inFive)).toBeLessThanOrEqual(5000);
});

test('an unreachable Mattermost is a 503 with a stable id; the token is nowhere in it', async () => {
  const token = 'abcdefghijklmnopqrstuvwxyz';
  // Port 9 on loopback: nothing listens (connection refused).
  const client = new MattermostClient({baseURL: 'http://127.0.0.1:9', token, logger: silentLogger()});
  const err = await client.json('GET', '/users/me').catch((e: unknown) => e);
  expect(err).toMatchObject({id: UNREACHABLE_ID, status: 503});
  expect(JSON.stringify(err)).not.toContain(token);
  expect(JSON.stringify((err as {details?: unknown}).details)).not.toContain(token);
});
