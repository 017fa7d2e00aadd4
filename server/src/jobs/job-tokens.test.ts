import type {AuthSession, Platform} from '../platform/types';
import type {KVRepository} from '../store/types';
import {acceptJobTokens, JobTokens} from './job-tokens';

class MemoryKV implements KVRepository {
  readonly rows = new Map<string, string>();
  async get(key: string) {
    return this.rows.get(key) ?? null;
  }
  async set(key: string, value: string) {
    this.rows.set(key, value);
  }
  async setIfAbsent(key: string, value: string) {
    if (this.rows.has(key)) return false;
    this.rows.set(key, value);
    return true;
  }
  async delete(key: string) {
    this.rows.delete(key);
  }
}

function setup() {
  const kv = new MemoryKV();
  const clock = {t: 1_000_000, now: () => clock.t};
  return {kv, clock, tokens: new JobTokens(kv, clock)};
}

test('a job token has the shape the recorder accepts and authenticates as the bot until it expires', async () => {
  const {kv, clock, tokens} = setup();
  const token = await tokens.issue('job1', 'bot-user', clock.t + 60_000);
  expect(token).toMatch(/^[a-z0-9]{26}$/);
  expect(await tokens.authenticate(token)).toEqual({userID: 'bot-user', token});
  // Stored hashed: the token itself is nowhere in the store.
  expect([...kv.rows.keys(), ...kv.rows.values()].join(' ')).not.toContain(token);
  clock.t += 60_000;
  expect(await tokens.authenticate(token)).toBeNull();
  expect(kv.rows.size).toBe(0);
});

test('tokens are unique, revocable, and nothing else authenticates', async () => {
  const {clock, tokens} = setup();
  const a = await tokens.issue('job1', 'bot', clock.t + 60_000);
  const b = await tokens.issue('job2', 'bot', clock.t + 60_000);
  expect(a).not.toBe(b);
  await tokens.revoke(a);
  expect(await tokens.authenticate(a)).toBeNull();
  expect(await tokens.authenticate(b)).not.toBeNull();
  // A token of the right shape that was never issued, another shape, a near miss.
  expect(await tokens.authenticate('zzjob' + 'a'.repeat(21))).toBeNull();
  expect(await tokens.authenticate('')).toBeNull();
  expect(await tokens.authenticate(b.slice(0, 25) + (b[25] === 'a' ? 'b' : 'a'))).toBeNull();
  expect(await tokens.authenticate(b.toUpperCase())).toBeNull();
});

test('the platform accepts job tokens beside its own', async () => {
  const {clock, tokens} = setup();
  const own: AuthSession = {userID: 'alice', token: 'alice-token'};
  const platform = {
    authenticateToken: async (t: string) => (t === 'alice-token' ? own : null),
  } as unknown as Platform;
  acceptJobTokens(platform, tokens);
  const job = await tokens.issue('job1', 'bot', clock.t + 1000);
  expect(await platform.authenticateToken('alice-token')).toEqual(own);
  expect(await platform.authenticateToken(job)).toEqual({userID: 'bot', token: job});
  expect(await platform.authenticateToken('nobody')).toBeNull();
});
