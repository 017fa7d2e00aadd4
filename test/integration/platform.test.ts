// The standalone platform: login, the websocket's framing, auth and resume, posts and live post events,
// and the System Console's config endpoints.
import WebSocket from 'ws';
import {api, login, WsTestClient} from '../support/calls-client';
import {seededWorld, type World} from '../support/fixtures';
import {startTestServer, type TestServer} from '../support/server';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(30_000);

describe('standalone platform', () => {
  let srv: TestServer;
  let w: World;

  beforeAll(async () => {
    srv = await startTestServer({env: {MM_CALLS_DEFAULT_ENABLED: 'true'}, wsAuthRecheckMs: 300});
    w = await seededWorld(srv);
  });
  afterAll(async () => {
    await srv.stop();
  });

  test('login sets the token header and cookies; a wrong password is refused', async () => {
    const res = await fetch(`${srv.url}/api/v4/users/login`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({login_id: 'alice', password: 'alice'}),
    });
    expect(res.status).toBe(200);
    const token = res.headers.get('token');
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    const cookies = res.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('MMAUTHTOKEN='))).toContain('HttpOnly');
    expect(cookies.some((c) => c.startsWith('MMUSERID='))).toBe(true);
    const user = await res.json();
    expect(user.username).toBe('alice');
    expect(user.password_hash).toBeUndefined();
    const me = await fetch(`${srv.url}/api/v4/users/me`, {headers: {Cookie: `MMAUTHTOKEN=${token}`}});
    expect((await me.json()).id).toBe(user.id);
    const bad = await fetch(`${srv.url}/api/v4/users/login`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({login_id: 'alice', password: 'nope'}),
    });
    expect(bad.status).toBe(401);
    expect((await bad.json()).id).toBe('api.user.login.invalid_credentials_email_username');
  });

  test('the seeded world: public, private, DM and GM channels with the right members', async () => {
    const chans = (await api(srv.url, w.users.alice.token, 'GET', `/api/v4/users/me/teams/${w.teamID}/channels`)).body;
    const types = chans.map((c: {type: string}) => c.type).sort();
    expect(types).toEqual(expect.arrayContaining(['O', 'P', 'D', 'G']));
    const dm = chans.find((c: {type: string}) => c.type === 'D');
    expect(dm.display_name).toBe('bob');
    const daveChans = (await api(srv.url, w.users.dave.token, 'GET', `/api/v4/users/me/teams/${w.teamID}/channels`))
      .body;
    expect(daveChans.map((c: {name: string}) => c.name)).not.toContain('private-room');
  });

  test('websocket: hello, ping reply, authentication_challenge, and replies to requests', async () => {
    const c = new WsTestClient(srv.url, w.users.bob.token);
    const hello = await c.connect({challenge: true});
    expect(hello.seq).toBe(0);
    expect(hello.data.connection_id).toMatch(/^[a-z0-9]{26}$/);
    const pong = await c.ping();
    expect(pong).toEqual(expect.objectContaining({status: 'OK', data: expect.objectContaining({text: 'pong'})}));
    await c.close();
  });

  test('websocket: resume with connection_id + sequence_number replays missed events and keeps the id', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const bob = new WsTestClient(srv.url, w.users.bob.token);
    await bob.connect();
    const first = bob.connID;
    await bob.drop();
    // Events published while bob's socket is down...
    await api(srv.url, w.users.alice.token, 'POST', '/api/v4/posts', {channel_id: ch, message: 'while you were away'});
    await sleep(200);
    const seqBefore = bob.nextSeq;
    await bob.connect({connectionID: first, sequenceNumber: seqBefore});
    expect(bob.connID).toBe(first);
    // ...arrive on resume, in order, with consecutive sequence numbers.
    const posted = await bob.waitFor('posted');
    expect(JSON.parse(String(posted.data.post)).message).toBe('while you were away');
    expect(posted.seq).toBe(seqBefore);
    // A sequence number the server no longer has gives a fresh connection.
    await bob.drop();
    await bob.connect({connectionID: first, sequenceNumber: 99999});
    expect(bob.connID).not.toBe(first);
    await bob.close();
  });

  test('posts: members post and everyone in the channel gets `posted`; non-members are refused', async () => {
    const ch = await w.newChannel(['alice', 'bob'], 'P');
    const bob = new WsTestClient(srv.url, w.users.bob.token);
    await bob.connect();
    const dave = new WsTestClient(srv.url, w.users.dave.token);
    await dave.connect();
    const r = await api(srv.url, w.users.alice.token, 'POST', '/api/v4/posts', {channel_id: ch, message: 'hello'});
    expect(r.status).toBe(201);
    const ev = await bob.waitFor('posted');
    expect(ev.data.channel_id).toBe(ch);
    expect(JSON.parse(String(ev.data.post))).toEqual(
      expect.objectContaining({id: r.body.id, message: 'hello', user_id: w.users.alice.user.id}),
    );
    const denied = await api(srv.url, w.users.dave.token, 'POST', '/api/v4/posts', {channel_id: ch, message: 'sneaky'});
    expect(denied.status).toBe(403);
    const list = await api(srv.url, w.users.bob.token, 'GET', `/api/v4/channels/${ch}/posts`);
    expect(list.body.order[0]).toBe(r.body.id);
    await sleep(100);
    expect(dave.received('posted')).toHaveLength(0);
    await bob.close();
    await dave.close();
  });

  test('threads: replies carry root_id, GET /posts/{id}/thread returns root and replies; a reply to a reply is refused', async () => {
    const ch = await w.newChannel(['alice', 'bob'], 'P');
    const root = await api(srv.url, w.users.alice.token, 'POST', '/api/v4/posts', {channel_id: ch, message: 'root'});
    const other = await api(srv.url, w.users.alice.token, 'POST', '/api/v4/posts', {
      channel_id: ch,
      message: 'not in the thread',
    });
    const r1 = await api(srv.url, w.users.bob.token, 'POST', '/api/v4/posts', {
      channel_id: ch,
      message: 'first reply',
      root_id: root.body.id,
    });
    expect(r1.status).toBe(201);
    expect(r1.body.root_id).toBe(root.body.id);
    const r2 = await api(srv.url, w.users.alice.token, 'POST', '/api/v4/posts', {
      channel_id: ch,
      message: 'second reply',
      root_id: root.body.id,
    });
    const nested = await api(srv.url, w.users.alice.token, 'POST', '/api/v4/posts', {
      channel_id: ch,
      message: 'nested',
      root_id: r1.body.id,
    });
    expect(nested.status).toBe(400);

    for (const id of [root.body.id, r2.body.id]) {
      const t = await api(srv.url, w.users.bob.token, 'GET', `/api/v4/posts/${id}/thread`);
      expect(t.status).toBe(200);
      expect([...t.body.order].sort()).toEqual([root.body.id, r1.body.id, r2.body.id].sort());
      expect(t.body.posts[r2.body.id].message).toBe('second reply');
      expect(t.body.order).not.toContain(other.body.id);
    }
    const denied = await api(srv.url, w.users.dave.token, 'GET', `/api/v4/posts/${root.body.id}/thread`);
    expect(denied.status).toBe(403);
    const missing = await api(srv.url, w.users.bob.token, 'GET', `/api/v4/posts/${'x'.repeat(26)}/thread`);
    expect(missing.status).toBe(404);
  });

  test('System Console config: GET shows lower-cased keys; PUT validates and names the bad setting', async () => {
    const get = await api(srv.url, w.users.admin.token, 'GET', '/api/v4/config');
    const plugin = get.body.PluginSettings.Plugins['com.mattermost.calls'];
    expect(plugin.udpserverport).toBe(8443);
    expect(plugin.icehostoverride).toBe('');
    const bad = await api(srv.url, w.users.admin.token, 'PUT', '/api/v4/config', {
      PluginSettings: {Plugins: {'com.mattermost.calls': {maxrecordingduration: 5}}},
    });
    expect(bad.status).toBe(400);
    expect(bad.body.id).toBe('app.calls.config.invalid');
    expect(bad.body.message).toContain('MaxRecordingDuration');
    const ok = await api(srv.url, w.users.admin.token, 'PUT', '/api/v4/config', {
      PluginSettings: {Plugins: {'com.mattermost.calls': {allowscreensharing: false}}},
    });
    expect(ok.status).toBe(200);
    expect(
      (await api(srv.url, w.users.alice.token, 'GET', '/plugins/com.mattermost.calls/config')).body.AllowScreenSharing,
    ).toBe(false);
    await api(srv.url, w.users.admin.token, 'PUT', '/api/v4/config', {
      PluginSettings: {Plugins: {'com.mattermost.calls': {allowscreensharing: true}}},
    });
    expect((await api(srv.url, w.users.alice.token, 'GET', '/api/v4/config')).status).toBe(403);
  });

  test('a logged-out token stops working, also on open websockets', async () => {
    const u = await login(srv.url, 'carol');
    const ws = new WsTestClient(srv.url, u.token);
    await ws.connect();
    expect((await api(srv.url, u.token, 'POST', '/api/v4/users/logout')).status).toBe(200);
    expect((await api(srv.url, u.token, 'GET', '/api/v4/users/me')).status).toBe(401);
    // The open socket re-validates its login and is closed.
    await waitFor(() => !ws.isOpen, 3000, 'socket closed after logout');
    const refused = new WebSocket(ws.wsURL);
    await new Promise((r) => refused.on('open', r));
    refused.send(JSON.stringify({action: 'authentication_challenge', seq: 1, data: {token: u.token}}));
    const code = await new Promise<number>((r) => refused.on('close', r));
    expect(code).toBe(4401);
  });
});
