import {AppError} from '../../errors';
import {LoginGuard, LoginRefused} from './login-guard';

const wrong = () => Promise.reject(new AppError('api.user.login.invalid_credentials_email_username', 'wrong', 401));
const right = () => Promise.resolve('token');

function setup(opts: ConstructorParameters<typeof LoginGuard>[1] = {}) {
  let now = 1_000_000;
  const clock = {now: () => now};
  const guard = new LoginGuard(clock, opts);
  return {guard, advance: (ms: number) => (now += ms)};
}

async function refusal(p: Promise<unknown>): Promise<LoginRefused> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof LoginRefused)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err;
}

test('after the free failures a name is locked: even the right password is refused, without trying it', async () => {
  const {guard, advance} = setup();
  const who = {loginID: 'Alice', address: '198.51.100.1'};
  for (let i = 0; i < 5; i++) await expect(guard.attempt(who, wrong)).rejects.toThrow('wrong');
  // The sixth failure locks for the base lock (1 s).
  await expect(guard.attempt(who, wrong)).rejects.toThrow('wrong');
  const tried = jest.fn(right);
  const r = await refusal(guard.attempt({loginID: 'alice', address: '203.0.113.7'}, tried));
  expect(r.status).toBe(429);
  expect(r.retryAfterSec).toBe(1);
  expect(r.toJSON()).toEqual({
    id: 'api.user.check_user_login_attempts.too_many.app_error',
    message: 'Too many failed login attempts. Try again in 1 second.',
    status_code: 429,
  });
  expect(tried).not.toHaveBeenCalled();
  advance(1000);
  // Each further failure doubles the lock.
  await expect(guard.attempt(who, wrong)).rejects.toThrow('wrong');
  expect((await refusal(guard.attempt(who, right))).retryAfterSec).toBe(2);
  advance(2000);
  // A success clears the name's failures: five free failures again.
  await expect(guard.attempt(who, right)).resolves.toBe('token');
  for (let i = 0; i < 5; i++) await expect(guard.attempt(who, wrong)).rejects.toThrow('wrong');
  await expect(guard.attempt(who, right)).resolves.toBe('token');
});

test('an address rotating names is locked after its own free failures; other addresses are not', async () => {
  const {guard} = setup({address: {freeFailures: 10}});
  for (let i = 0; i < 11; i++)
    await expect(guard.attempt({loginID: `user${i}`, address: '198.51.100.1'}, wrong)).rejects.toThrow('wrong');
  expect((await refusal(guard.attempt({loginID: 'bob', address: '198.51.100.1'}, right))).status).toBe(429);
  await expect(guard.attempt({loginID: 'bob', address: '198.51.100.2'}, right)).resolves.toBe('token');
  // A success does not clear the address (an attacker with one account could otherwise reset it).
  expect((await refusal(guard.attempt({loginID: 'bob', address: '198.51.100.1'}, right))).status).toBe(429);
});

test('a flood of parallel attempts: at most maxConcurrent hashes at once, the queue is bounded, and the lock stops the rest', async () => {
  const {guard} = setup({maxConcurrent: 2, maxQueued: 20});
  let running = 0;
  let peak = 0;
  let calls = 0;
  const slowWrong = async () => {
    calls++;
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    return wrong();
  };
  const results = await Promise.allSettled(
    Array.from({length: 100}, () => guard.attempt({loginID: 'alice', address: '198.51.100.1'}, slowWrong)),
  );
  const statuses = results.map((r) => (r.status === 'rejected' ? (r.reason as AppError).status : 200));
  expect(peak).toBe(2);
  // 100 - 2 running - 20 queued are refused at once as busy; of the queued, only those before the lock hash.
  expect(statuses.filter((s) => s === 503)).toHaveLength(78);
  expect(calls).toBeLessThanOrEqual(5 + 1 + 2);
  expect(statuses.filter((s) => s === 401)).toHaveLength(calls);
  expect(statuses.filter((s) => s === 429)).toHaveLength(22 - calls);
});

test('other errors (an unknown failure, a database error) do not count as wrong passwords', async () => {
  const {guard} = setup();
  for (let i = 0; i < 10; i++)
    await expect(
      guard.attempt({loginID: 'alice', address: 'a'}, () => Promise.reject(new Error('db down'))),
    ).rejects.toThrow('db down');
  await expect(guard.attempt({loginID: 'alice', address: 'a'}, right)).resolves.toBe('token');
  expect(guard.tracked).toEqual({accounts: 0, addresses: 0});
});
