// The seeded world of a test server, logged in: users with tokens and the seeded channels by name.
import {api, login, type LoggedIn, WsTestClient} from './calls-client';
import {startTestServer, type TestServer, type TestServerOptions} from './server';

export interface World {
  users: Record<'admin' | 'alice' | 'bob' | 'carol' | 'dave', LoggedIn>;
  teamID: string;
  channels: {town: string; offTopic: string; priv: string; dm: string; gm: string};
  /** A fresh public channel with the given members (the creator is admin), for test isolation. */
  newChannel(members: string[], type?: 'O' | 'P'): Promise<string>;
  /** Opens a websocket for a user. */
  connect(user: keyof World['users']): Promise<WsTestClient>;
  /** Opens a websocket for each user and joins them to the channel's call, in this order. */
  joinAll(channelID: string, ...users: (keyof World['users'])[]): Promise<WsTestClient[]>;
  /** Closes every websocket connect() opened. */
  closeClients(): Promise<void>;
}

let counter = 0;

export async function seededWorld(srv: TestServer): Promise<World> {
  const names = ['admin', 'alice', 'bob', 'carol', 'dave'] as const;
  const users = Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await login(srv.url, n)])),
  ) as World['users'];
  const admin = users.admin.token;
  const teams = await api(srv.url, admin, 'GET', '/api/v4/users/me/teams');
  const teamID = teams.body[0].id as string;
  const chans = (await api(srv.url, users.alice.token, 'GET', `/api/v4/users/me/teams/${teamID}/channels`)).body as {
    id: string;
    name: string;
    type: string;
  }[];
  const byName = (n: string) => chans.find((c) => c.name === n)!.id;
  const channels = {
    town: byName('town-square'),
    offTopic: byName('off-topic'),
    priv: byName('private-room'),
    dm: chans.find((c) => c.type === 'D')!.id,
    gm: chans.find((c) => c.type === 'G')!.id,
  };
  const clients: WsTestClient[] = [];
  const connect = async (user: keyof World['users']) => {
    const c = new WsTestClient(srv.url, users[user].token);
    await c.connect();
    clients.push(c);
    return c;
  };
  return {
    users,
    teamID,
    channels,
    async newChannel(members, type = 'O') {
      const res = await api(srv.url, admin, 'POST', '/api/v4/channels', {
        team_id: teamID,
        name: `test-${process.pid}-${++counter}`,
        display_name: `Test ${counter}`,
        type,
      });
      if (res.status !== 201) throw new Error(`create channel: ${res.status} ${JSON.stringify(res.body)}`);
      for (const m of members) {
        const uid = users[m as keyof World['users']]?.user.id ?? m;
        const r = await api(srv.url, admin, 'POST', `/api/v4/channels/${res.body.id}/members`, {user_id: uid});
        if (r.status !== 201) throw new Error(`add member: ${r.status} ${JSON.stringify(r.body)}`);
      }
      return res.body.id as string;
    },
    connect,
    async joinAll(channelID, ...names) {
      const list: WsTestClient[] = [];
      for (const n of names) list.push(await connect(n));
      for (const c of list) await c.join(channelID);
      return list;
    },
    async closeClients() {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    },
  };
}

/**
 * A test file's server: started with `opts` and seeded before the file (or before each test with
 * `perTest`), handed to `ready` for the file's own setup, stopped with every websocket after. The
 * returned connect() opens a websocket that is closed after the test that opened it (track() does the
 * same for one the test opened itself).
 */
export function useSeededServer(
  opts: TestServerOptions & {perTest?: boolean},
  ready: (srv: TestServer, w: World) => void | Promise<void>,
): {connect(user: keyof World['users']): Promise<WsTestClient>; track(c: WsTestClient): WsTestClient} {
  const {perTest, ...serverOpts} = opts;
  let srv: TestServer | undefined;
  let w: World | undefined;
  const open: WsTestClient[] = [];
  (perTest ? beforeEach : beforeAll)(async () => {
    srv = await startTestServer(serverOpts);
    w = await seededWorld(srv);
    await ready(srv, w);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  (perTest ? afterEach : afterAll)(async () => {
    await w?.closeClients();
    await srv?.stop();
  });
  return {
    async connect(user) {
      const c = new WsTestClient(srv!.url, w!.users[user].token);
      await c.connect();
      open.push(c);
      return c;
    },
    track(c) {
      open.push(c);
      return c;
    },
  };
}

/** The members of useCallChannel's channel. */
type Member = 'alice' | 'bob' | 'carol';

/** A server, its seeded world and a channel with a call in it, and the websocket of each user in that call. */
export type CallChannel<J extends Member> = {srv: TestServer; w: World; ch: string} & Record<J, WsTestClient>;

/**
 * A seeded server (calls on in every channel unless `opts.env` says otherwise) with a fresh channel of alice,
 * bob and carol whose call `joiners` join, in that order; `beforeJoin` runs for the file's own setup once the
 * channel is there. The fields are filled in before the first test (each test with `perTest`): read them in
 * tests and hooks, not when the file is loaded.
 */
export function useCallChannel<J extends Member>(
  opts: TestServerOptions & {perTest?: boolean},
  joiners: J[],
  beforeJoin?: (c: CallChannel<J>) => void | Promise<void>,
): CallChannel<J> {
  const c = {} as CallChannel<J>;
  useSeededServer({...opts, env: {MM_CALLS_DEFAULT_ENABLED: 'true', ...opts.env}}, async (srv, w) => {
    Object.assign(c, {srv, w, ch: await w.newChannel(['alice', 'bob', 'carol'])});
    await beforeJoin?.(c);
    const clients = await w.joinAll(c.ch, ...joiners);
    joiners.forEach((name, i) => (c[name] = clients[i] as CallChannel<J>[J]));
  });
  return c;
}

/** Parses the `call` JSON string of a call_state event. */
export function callOf(ev: {data: Record<string, unknown>}): {
  id: string;
  sessions: {session_id: string; user_id: string; unmuted: boolean; raised_hand: number; video: boolean}[];
  host_id: string;
  owner_id: string;
  post_id: string;
  thread_id: string;
  start_at: number;
  screen_sharing_session_id: string;
} {
  return JSON.parse(String(ev.data.call));
}
