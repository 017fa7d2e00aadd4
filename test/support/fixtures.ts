// The seeded world of a test server, logged in: users with tokens and the seeded channels by name.
import {api, login, type LoggedIn, WsTestClient} from './calls-client';
import type {TestServer} from './server';

export interface World {
  users: Record<'admin' | 'alice' | 'bob' | 'carol' | 'dave', LoggedIn>;
  teamID: string;
  channels: {town: string; offTopic: string; priv: string; dm: string; gm: string};
  /** A fresh public channel with the given members (the creator is admin), for test isolation. */
  newChannel(members: string[], type?: 'O' | 'P'): Promise<string>;
  /** Opens a websocket for a user. */
  connect(user: keyof World['users']): Promise<WsTestClient>;
}

let counter = 0;

export async function seededWorld(srv: TestServer): Promise<World> {
  const names = ['admin', 'alice', 'bob', 'carol', 'dave'] as const;
  const users = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await login(srv.url, n)]))) as World['users'];
  const admin = users.admin.token;
  const teams = await api(srv.url, admin, 'GET', '/api/v4/users/me/teams');
  const teamID = teams.body[0].id as string;
  const chans = (await api(srv.url, users.alice.token, 'GET', `/api/v4/users/me/teams/${teamID}/channels`)).body as {id: string; name: string; type: string}[];
  const byName = (n: string) => chans.find((c) => c.name === n)!.id;
  const channels = {
    town: byName('town-square'), offTopic: byName('off-topic'), priv: byName('private-room'),
    dm: chans.find((c) => c.type === 'D')!.id, gm: chans.find((c) => c.type === 'G')!.id,
  };
  const clients: WsTestClient[] = [];
  return {
    users, teamID, channels,
    async newChannel(members, type = 'O') {
      const res = await api(srv.url, admin, 'POST', '/api/v4/channels', {team_id: teamID, name: `test-${process.pid}-${++counter}`, display_name: `Test ${counter}`, type});
      if (res.status !== 201) throw new Error(`create channel: ${res.status} ${JSON.stringify(res.body)}`);
      for (const m of members) {
        const uid = users[m as keyof World['users']]?.user.id ?? m;
        const r = await api(srv.url, admin, 'POST', `/api/v4/channels/${res.body.id}/members`, {user_id: uid});
        if (r.status !== 201) throw new Error(`add member: ${r.status} ${JSON.stringify(r.body)}`);
      }
      return res.body.id as string;
    },
    async connect(user) {
      const c = new WsTestClient(srv.url, users[user].token);
      await c.connect();
      clients.push(c);
      return c;
    },
  };
}

/** Parses the `call` JSON string of a call_state event. */
export function callOf(ev: {data: Record<string, unknown>}): {id: string; sessions: {session_id: string; user_id: string; unmuted: boolean; raised_hand: number; video: boolean}[]; host_id: string; owner_id: string; post_id: string; thread_id: string; start_at: number; screen_sharing_session_id: string} {
  return JSON.parse(String(ev.data.call));
}
