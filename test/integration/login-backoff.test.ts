// Password guessing on POST /api/v4/users/login, as an attacker would try it: one account, many
// accounts from one address, and a parallel flood. Clients are told apart by X-Forwarded-For, which the
// server trusts here (MM_CALLS_TRUSTED_PROXY_IP_HEADER) as it would behind a reverse proxy.
import {startTestServer, type TestServer} from '../support/server';
import {sleep} from '../support/wait';

jest.setTimeout(60_000);

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({
    env: {MM_CALLS_TRUSTED_PROXY_IP_HEADER: 'X-Forwarded-For'},
    loginGuard: {address: {freeFailures: 8}},
  });
});
afterAll(async () => {
  await srv.stop();
});

async function tryLogin(loginID: string, password: string, from: string) {
  const res = await fetch(`${srv.url}/api/v4/users/login`, {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-Forwarded-For': from},
    body: JSON.stringify({login_id: loginID, password}),
  });
  return {status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json()};
}

test('after five wrong passwords an account is locked, even for the right password, with Retry-After; then it recovers', async () => {
  for (let i = 0; i < 6; i++) expect((await tryLogin('alice', `guess-${i}`, '198.51.100.1')).status).toBe(401);
  // Locked for 1 s, whichever address asks: the right password is refused too.
  const locked = await tryLogin('alice', 'alice', '203.0.113.50');
  expect(locked.status).toBe(429);
  expect(locked.retryAfter).toBe('1');
  expect(locked.body).toEqual({
    id: 'api.user.check_user_login_attempts.too_many.app_error',
    message: 'Too many failed login attempts. Try again in 1 second.',
    status_code: 429,
  });
  await sleep(1100);
  expect((await tryLogin('alice', 'alice', '203.0.113.50')).status).toBe(200);
  // The success cleared the account: a typo is just a 401 again.
  expect((await tryLogin('alice', 'typo', '203.0.113.50')).status).toBe(401);
  expect((await tryLogin('alice', 'alice', '203.0.113.50')).status).toBe(200);
});

test('an unknown name is locked the same way (the answer does not tell which names exist)', async () => {
  const seen = [];
  for (let i = 0; i < 7; i++) seen.push((await tryLogin('nobody-here', `guess-${i}`, '198.51.100.2')).status);
  expect(seen).toEqual([401, 401, 401, 401, 401, 401, 429]);
});

test('an address trying many names is locked for every name; other addresses are not', async () => {
  for (let i = 0; i < 9; i++) expect((await tryLogin(`user-${i}`, 'password', '198.51.100.3')).status).toBe(401);
  const r = await tryLogin('bob', 'bob', '198.51.100.3');
  expect(r.status).toBe(429);
  expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
  expect((await tryLogin('bob', 'bob', '198.51.100.4')).status).toBe(200);
});

test('a parallel flood of 150 guesses hashes only a handful of them; the account stays locked after it', async () => {
  const results = await Promise.all(
    Array.from({length: 150}, (_, i) => tryLogin('carol', `guess-${i}`, `198.51.${100 + (i % 50)}.${i}`)),
  );
  const count = (s: number) => results.filter((r) => r.status === s).length;
  // 5 free failures, plus those already hashing (2 at once) when the lock came in.
  expect(count(401)).toBeGreaterThanOrEqual(6);
  expect(count(401)).toBeLessThanOrEqual(8);
  expect(count(429) + count(503)).toBe(150 - count(401));
  for (const r of results.filter((x) => x.status === 503)) expect(r.body.id).toBe('api.user.login.busy.app_error');
  expect((await tryLogin('carol', 'carol', '203.0.113.60')).status).toBe(429);
});
