// One hostile user cannot starve the rest (issue 10): websocket connection caps per user and per
// address (behind a trusted proxy header) close the extra socket with code 4429 and the limit's id;
// sessions of one user in one call are capped; a user's joins share one rate limit across all their
// sockets, so a join storm is refused with app.calls.limit.joins_per_second, creates no call post per
// join, and another user logs in and joins meanwhile. Real server, recording RTC double.
import {encode} from '@msgpack/msgpack';
import WebSocket from 'ws';
import {api, CALLS, login, type LoggedIn, WsTestClient} from '../support/calls-client';
import {seededWorld, type World} from '../support/fixtures';
import {startTestServer, type TestServer} from '../support/server';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(60_000);

const LIMIT_CLOSE = 4429;

interface RawSocket {
  ws: WebSocket;
  /** Resolves with hello (authenticated), a FAIL reply to a ping (admitted, unauthenticated) or the close. */
  outcome: Promise<
    {kind: 'hello'; connID: string} | {kind: 'admitted'} | {kind: 'closed'; code: number; reason: string}
  >;
}

/** A socket from a given client address (X-Forwarded-For, trusted by the server), with a token or none. */
function rawSocket(url: string, opts: {token?: string; address?: string}): RawSocket {
  const headers: Record<string, string> = {};
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  // What nginx sends: whatever the client put there (forged here), then the address it saw.
  if (opts.address) headers['X-Forwarded-For'] = `203.0.113.77, ${opts.address}`;
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/api/v4/websocket', {headers});
  const outcome = new Promise<Awaited<RawSocket['outcome']>>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('close', (code, reason) => resolve({kind: 'closed', code, reason: reason.toString()}));
    ws.on('open', () => {
      if (!opts.token) ws.send(JSON.stringify({action: 'ping', seq: 1}));
    });
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as {
        event?: string;
        data?: Record<string, unknown>;
        seq_reply?: number;
        status?: string;
      };
      if (msg.event === 'hello') resolve({kind: 'hello', connID: String(msg.data?.connection_id)});
      // Only an admitted socket gets this far: a refused one is closed before any frame is read.
      else if (msg.seq_reply === 1 && msg.status === 'FAIL') resolve({kind: 'admitted'});
    });
  });
  return {ws, outcome};
}

async function closeAll(socks: RawSocket[]): Promise<void> {
  await Promise.all(
    socks.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.ws.readyState === WebSocket.CLOSED) return resolve();
          s.ws.once('close', () => resolve());
          s.ws.terminate();
        }),
    ),
  );
}

let userCounter = 0;

/** A fresh user (so each test has its own per-user budgets), logged in. */
async function newUser(srv: TestServer, w: World): Promise<LoggedIn> {
  const username = `abuse${process.pid}u${++userCounter}`;
  const r = await api(srv.url, w.users.admin.token, 'POST', '/api/v4/users', {username, password: 'secret-pw'});
  if (r.status !== 201) throw new Error(`create user: ${r.status} ${JSON.stringify(r.body)}`);
  return login(srv.url, username, 'secret-pw');
}

async function callPosts(srv: TestServer, token: string, channelID: string): Promise<number> {
  const r = await api(srv.url, token, 'GET', `/api/v4/channels/${channelID}/posts?per_page=200`);
  return Object.values(r.body.posts as Record<string, {type: string}>).filter((p) => p.type === 'custom_calls').length;
}

describe('abuse limits (documented defaults for users and calls, small address caps behind a trusted proxy header)', () => {
  let srv: TestServer;
  let w: World;
  const open: RawSocket[] = [];
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    srv = await startTestServer({
      env: {
        MM_CALLS_DEFAULT_ENABLED: 'true',
        MM_CALLS_TRUSTED_PROXY_IP_HEADER: 'X-Forwarded-For',
        MM_CALLS_WS_MAX_CONNECTIONS_PER_IP: '25',
        MM_CALLS_WS_MAX_UNAUTHENTICATED_PER_IP: '5',
        MM_CALLS_WS_MAX_UNAUTHENTICATED: '12',
      },
    });
    w = await seededWorld(srv);
  });
  afterEach(async () => {
    await closeAll(open.splice(0));
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await srv?.stop();
  });

  const socket = (opts: {token?: string; address?: string}) => {
    const s = rawSocket(srv.url, opts);
    open.push(s);
    return s;
  };
  const client = async (token: string) => {
    const c = new WsTestClient(srv.url, token);
    await c.connect();
    clients.push(c);
    return c;
  };

  test("a user's 21st socket is closed with 4429 app.calls.limit.ws_connections_per_user; closing one lets a new one in", async () => {
    const u = await newUser(srv, w);
    const first = Array.from({length: 20}, (_, i) => socket({token: u.token, address: `192.0.2.${i}`}));
    for (const s of first) expect((await s.outcome).kind).toBe('hello');
    const extra = await socket({token: u.token, address: '192.0.2.100'}).outcome;
    expect(extra).toEqual({
      kind: 'closed',
      code: LIMIT_CLOSE,
      reason: expect.stringMatching(
        /^app\.calls\.limit\.ws_connections_per_user: too many connections for this user \(at most 20\)/,
      ),
    });
    // Another user is not affected.
    expect((await socket({token: w.users.bob.token, address: '192.0.2.101'}).outcome).kind).toBe('hello');
    await closeAll([first[0]]);
    await waitFor(
      async () => (await socket({token: u.token, address: '192.0.2.102'}).outcome).kind === 'hello',
      5000,
      'a socket admitted again',
    );
  });

  test('the 26th socket from one client address (X-Forwarded-For) is closed with app.calls.limit.ws_connections_per_ip; other addresses connect', async () => {
    const users = await Promise.all([newUser(srv, w), newUser(srv, w)]);
    const socks = Array.from({length: 25}, (_, i) => socket({token: users[i % 2].token, address: '203.0.113.7'}));
    for (const s of socks) expect((await s.outcome).kind).toBe('hello');
    const extra = await socket({token: users[0].token, address: '203.0.113.7'}).outcome;
    expect(extra).toMatchObject({
      kind: 'closed',
      code: LIMIT_CLOSE,
      reason: expect.stringMatching(/^app\.calls\.limit\.ws_connections_per_ip: /),
    });
    expect((await socket({token: users[0].token, address: '203.0.113.8'}).outcome).kind).toBe('hello');
  });

  test('unauthenticated sockets are capped per address (app.calls.limit.ws_unauthenticated_per_ip) and in total (app.calls.limit.ws_unauthenticated); authenticated ones still connect', async () => {
    const a = Array.from({length: 5}, () => socket({address: '198.51.100.1'}));
    for (const s of a) expect((await s.outcome).kind).toBe('admitted');
    expect(await socket({address: '198.51.100.1'}).outcome).toMatchObject({
      kind: 'closed',
      code: LIMIT_CLOSE,
      reason: expect.stringMatching(/^app\.calls\.limit\.ws_unauthenticated_per_ip: /),
    });
    const b = Array.from({length: 5}, () => socket({address: '198.51.100.2'}));
    const c = Array.from({length: 2}, () => socket({address: '198.51.100.3'}));
    for (const s of [...b, ...c]) expect((await s.outcome).kind).toBe('admitted');
    // Twelve sockets wait for authentication: the thirteenth is refused, whatever its address.
    expect(await socket({address: '198.51.100.4'}).outcome).toMatchObject({
      kind: 'closed',
      code: LIMIT_CLOSE,
      reason: expect.stringMatching(/^app\.calls\.limit\.ws_unauthenticated: /),
    });
    const u = await newUser(srv, w);
    expect((await socket({token: u.token, address: '198.51.100.4'}).outcome).kind).toBe('hello');
    // A waiting socket that authenticates frees its place.
    a[0].ws.send(JSON.stringify({action: 'authentication_challenge', seq: 2, data: {token: u.token}}));
    await waitFor(
      async () => (await socket({address: '198.51.100.1'}).outcome).kind === 'admitted',
      5000,
      'an unauthenticated socket admitted again',
    );
  });

  test('a user joins one call from at most 8 sessions: the 9th join gets the error event app.calls.limit.sessions_per_user', async () => {
    const u = await newUser(srv, w);
    const ch = await w.newChannel([u.user.id, 'bob']);
    const sessions = await Promise.all(Array.from({length: 9}, () => client(u.token)));
    for (const s of sessions.slice(0, 8)) await s.join(ch);
    const ninth = sessions[8];
    ninth.send('join', {channelID: ch});
    const err = await ninth.waitFor('error', (e) => e.data.connID === ninth.connID);
    expect(err.data).toEqual({
      id: 'app.calls.limit.sessions_per_user',
      data: expect.stringContaining('already in this call from 8 places'),
      connID: ninth.connID,
    });
    // Other users still join that call.
    const bob = await client(w.users.bob.token);
    await bob.join(ch);
    // Leaving one session makes room again.
    sessions[0].send('leave');
    await bob.waitFor('user_left', (e) => e.data.session_id === sessions[0].connID);
    await ninth.join(ch);
  });

  test('a join storm over 20 sockets gets app.calls.limit.* errors while another user logs in and joins', async () => {
    const stormer = await newUser(srv, w);
    const stormChannel = await w.newChannel([stormer.user.id]);
    const otherChannel = await w.newChannel(['carol']);
    const socks = await Promise.all(Array.from({length: 20}, () => client(stormer.token)));
    // 20 sockets × 4 rounds of join + leave, each as soon as the server answers the previous: 80 joins
    // (160 actions: within the per-user action burst of 200, past which actions are dropped unanswered).
    const storm = Promise.all(
      socks.map(async (s) => {
        for (let round = 0; round < 4; round++) {
          const since = s.events.length;
          s.send('join', {channelID: stormChannel});
          await s.waitFor(
            '',
            (e) => (e.event === CALLS + 'join' || e.event === CALLS + 'error') && e.data.connID === s.connID,
            20_000,
            since,
          );
          s.send('leave');
        }
      }),
    );
    // Meanwhile, another user logs in and joins a call of their own.
    const carol = await login(srv.url, 'carol');
    const c = await client(carol.token);
    await c.join(otherChannel);
    await storm;

    const errors = socks.flatMap((s) => s.received('error')).map((e) => String(e.data.id));
    const accepted = socks.flatMap((s) => s.received('join')).length;
    expect(accepted + errors.length).toBe(80);
    expect(errors).toContain('app.calls.limit.joins_per_second');
    // Only the documented limits refused joins (a burst can also reach the 8-sessions cap).
    expect(new Set(errors.filter((id) => id !== 'app.calls.limit.sessions_per_user'))).toEqual(
      new Set(['app.calls.limit.joins_per_second']),
    );
    // A burst of 10, then about one a second: most of the storm is refused.
    expect(accepted).toBeLessThan(40);
  });

  test('a join/leave storm does not create a call post per join', async () => {
    const stormer = await newUser(srv, w);
    const ch = await w.newChannel([stormer.user.id]);
    const socks = await Promise.all(Array.from({length: 3}, () => client(stormer.token)));
    const rounds = 30;
    const started = Date.now();
    let accepted = 0;
    // One after another, so that every accepted join starts a new call (the previous one has ended).
    for (let i = 0; i < rounds; i++) {
      const s = socks[i % socks.length];
      const since = s.events.length;
      s.send('join', {channelID: ch});
      const ev = await s.waitFor(
        '',
        (e) => (e.event === CALLS + 'join' || e.event === CALLS + 'error') && e.data.connID === s.connID,
        10_000,
        since,
      );
      if (ev.event === CALLS + 'error') {
        expect(ev.data.id).toBe('app.calls.limit.joins_per_second');
        continue;
      }
      accepted++;
      s.send('leave');
      await s.waitFor('user_left', (e) => e.data.session_id === s.connID, 10_000, since);
    }
    const seconds = (Date.now() - started) / 1000;
    const posts = await callPosts(srv, w.users.admin.token, ch);
    expect(posts).toBe(accepted);
    // The burst of 10 and one join per second after it, not one post per attempt.
    expect(posts).toBeLessThan(rounds);
    expect(posts).toBeLessThanOrEqual(10 + Math.ceil(seconds));
  });

  test('calls actions are rate limited per user across connections, not only per connection', async () => {
    const u = await newUser(srv, w);
    const ch = await w.newChannel([u.user.id, 'bob']);
    const bob = await client(w.users.bob.token);
    await bob.join(ch);
    const socks = await Promise.all(Array.from({length: 5}, () => client(u.token)));
    for (const s of socks) await s.join(ch);
    const started = Date.now();
    // 100 each: within every connection's own burst (100), 500 together.
    for (const s of socks) {
      for (let i = 0; i < 100; i++)
        s.sendRaw(Buffer.from(encode({action: CALLS + 'raise_hand', seq: 1000 + i, data: {}})));
    }
    // Once the buckets have refilled a little, a call_state request on each connection runs after everything it queued.
    await sleep(1100);
    await Promise.all(
      socks.map(async (s) => {
        const since = s.events.length;
        s.send('call_state', {channelID: ch});
        // The user's 300 queued past the burst drain at 20 a second: 15 s on an idle machine.
        await s.waitFor('call_state', (e) => e.data.channel_id === ch, 45_000, since);
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const mine = new Set(socks.map((s) => s.connID));
    const hands = bob.received('user_raise_hand').filter((e) => mine.has(String(e.data.session_id))).length;
    // The user's burst (200) and 20 a second after it.
    expect(hands).toBeGreaterThan(0);
    expect(hands).toBeLessThanOrEqual(200 + 20 * Math.ceil(seconds));
    expect(hands).toBeLessThan(500);
  }, 90_000);
});
