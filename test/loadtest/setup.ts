// Users and channels for a load test, through the real REST API as a system admin: one channel per
// call, C×U users (created once, reused by later runs against the same server), each logged in.
import {api, login as restLogin} from '../support/rest';

export interface LoadUserAccount {
  userID: string;
  username: string;
  token: string;
}

export interface LoadWorld {
  /** users[call][i] */
  calls: {channelID: string; users: LoadUserAccount[]}[];
}

const USER_PASSWORD = 'loadtest-password';

export async function login(url: string, username: string, password: string): Promise<{token: string; userID: string}> {
  const {token, user} = await restLogin(url, username, password);
  return {token, userID: user.id};
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker));
  return out;
}

export async function setupWorld(
  url: string,
  admin: {username: string; password: string},
  calls: number,
  usersPerCall: number,
  onProgress?: (done: number, total: number) => void,
): Promise<LoadWorld> {
  const {token: adminToken} = await login(url, admin.username, admin.password);
  const teams = await api(url, adminToken, 'GET', '/api/v4/users/me/teams');
  const teamID = (teams.body as {id: string}[])[0]?.id;
  if (!teamID) throw new Error('the admin belongs to no team');
  const total = calls * usersPerCall;
  let done = 0;
  const accounts = await pool(
    Array.from({length: total}, (_, i) => i),
    8,
    async (i) => {
      const username = `lt-user-${i}`;
      const created = await api(url, adminToken, 'POST', '/api/v4/users', {
        username,
        password: USER_PASSWORD,
        first_name: 'Load',
        last_name: `User ${i}`,
      });
      if (created.status !== 201 && !JSON.stringify(created.body).includes('exists')) {
        throw new Error(`creating ${username}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
      }
      const {token, userID} = await login(url, username, USER_PASSWORD);
      onProgress?.(++done, total);
      return {userID, username, token};
    },
  );
  const tag = Date.now().toString(36);
  const world: LoadWorld = {calls: []};
  for (let c = 0; c < calls; c++) {
    const ch = await api(url, adminToken, 'POST', '/api/v4/channels', {
      team_id: teamID,
      name: `lt-${tag}-${c}`,
      display_name: `Load ${tag} ${c}`,
      type: 'O',
    });
    if (ch.status !== 201) throw new Error(`creating a channel: HTTP ${ch.status} ${JSON.stringify(ch.body)}`);
    const channelID = (ch.body as {id: string}).id;
    const users = accounts.slice(c * usersPerCall, (c + 1) * usersPerCall);
    await pool(users, 8, async (u) => {
      const r = await api(url, adminToken, 'POST', `/api/v4/channels/${channelID}/members`, {user_id: u.userID});
      if (r.status !== 201)
        throw new Error(`adding ${u.username} to a channel: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    });
    world.calls.push({channelID, users});
  }
  return world;
}
