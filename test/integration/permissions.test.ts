// Who may start, join, read and end calls, and toggle them per channel, over the real server.
import {api, login, WsTestClient} from '../support/calls-client';
import {type World, useSeededServer} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(30_000);

const P = '/plugins/com.mattermost.calls';

describe('permissions', () => {
  let srv: TestServer;
  let w: World;
  // Test mode (DefaultEnabled false), the upstream default.
  const {connect, track} = useSeededServer({}, (s, world) => {
    srv = s;
    w = world;
  });

  test('a non-member of a private channel cannot join, read its call, or end it', async () => {
    const admin = await connect('admin');
    await admin.join(w.channels.priv);
    const dave = await connect('dave');
    await expect(dave.join(w.channels.priv)).rejects.toThrow('forbidden');
    expect(dave.received('error')[0].data.id).toBe('app.calls.join.forbidden');
    // dave never hears about the call.
    expect(dave.received('call_start')).toHaveLength(0);
    expect(dave.received('user_joined')).toHaveLength(0);

    for (const path of [`${P}/${w.channels.priv}`, `${P}/calls/${w.channels.priv}/active`]) {
      const r = await api(srv.url, w.users.dave.token, 'GET', path);
      expect(r.status).toBe(403);
      expect(r.body.id).toBe('api.context.permissions.app_error');
    }
    const end = await api(srv.url, w.users.dave.token, 'POST', `${P}/calls/${w.channels.priv}/end`);
    expect(end.status).toBe(403);
    const channels = await api(srv.url, w.users.dave.token, 'GET', `${P}/channels`);
    expect(channels.body.map((c: {channel_id: string}) => c.channel_id)).not.toContain(w.channels.priv);
    // dave also cannot ask for the state over the websocket.
    dave.send('call_state', {channelID: w.channels.priv});
    const err = await dave.waitFor('error', (e) => e.data.id === 'app.calls.call_state.forbidden');
    expect(err.data.connID).toBeUndefined();
    // A member can.
    const alice = await api(srv.url, w.users.alice.token, 'GET', `${P}/calls/${w.channels.priv}/active`);
    expect(alice.body).toEqual({active: true});
    admin.send('leave');
  });

  test('test mode stops non-admins from starting a call but lets them join one', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const alice = await connect('alice');
    await expect(alice.join(ch)).rejects.toThrow('insufficient permissions');
    const admin = await connect('admin');
    await admin.join(ch);
    // Admins starting in test mode get told why others cannot.
    await admin.waitFor('ephemeral_message');
    const bob = await connect('bob');
    await bob.join(ch);
  });

  test('an explicitly enabled channel lets anyone start; a disabled channel refuses starts', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    // In test mode only admins may toggle.
    const byAlice = await api(srv.url, w.users.alice.token, 'POST', `${P}/${ch}`, {enabled: true});
    expect(byAlice.status).toBe(403);
    const watcher = await connect('bob');
    const enable = await api(srv.url, w.users.admin.token, 'POST', `${P}/${ch}`, {enabled: true});
    expect(enable.status).toBe(200);
    expect(enable.body).toEqual({channel_id: ch, enabled: true});
    const ev = await watcher.waitFor('channel_enable_voice');
    expect(ev.data).toEqual({channelID: ch});
    const got = await api(srv.url, w.users.alice.token, 'GET', `${P}/${ch}`);
    expect(got.body).toEqual({channel_id: ch, enabled: true});

    const alice = await connect('alice');
    await alice.join(ch);
    alice.send('leave');
    await sleep(300);

    await api(srv.url, w.users.admin.token, 'POST', `${P}/${ch}`, {enabled: false});
    await watcher.waitFor('channel_disable_voice');
    const alice2 = await connect('alice');
    await expect(alice2.join(ch)).rejects.toThrow('calls are disabled in the channel');
    const admin = await connect('admin');
    await expect(admin.join(ch)).rejects.toThrow('calls are disabled in the channel');
  });

  test('with DefaultEnabled, channel admins and DM members may toggle; plain members may not', async () => {
    await srv.app.config.save({DefaultEnabled: true});
    try {
      const ch = await w.newChannel(['alice', 'bob']);
      expect((await api(srv.url, w.users.alice.token, 'POST', `${P}/${ch}`, {enabled: false})).status).toBe(403);
      expect((await api(srv.url, w.users.alice.token, 'POST', `${P}/${w.channels.dm}`, {enabled: true})).status).toBe(
        200,
      );
      expect((await api(srv.url, w.users.carol.token, 'POST', `${P}/${w.channels.dm}`, {enabled: true})).status).toBe(
        403,
      );
    } finally {
      await srv.app.config.save({DefaultEnabled: false});
    }
  });

  /** A new channel of alice and bob, calls enabled, both in its call. */
  async function aliceAndBobInACall() {
    const ch = await w.newChannel(['alice', 'bob']);
    await api(srv.url, w.users.admin.token, 'POST', `${P}/${ch}`, {enabled: true});
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.join(ch);
    await bob.join(ch);
    return {ch, alice, bob};
  }

  test('calls cannot be joined in an archived channel', async () => {
    const ch = await w.newChannel(['alice']);
    await api(srv.url, w.users.admin.token, 'POST', `${P}/${ch}`, {enabled: true});
    const del = await api(srv.url, w.users.admin.token, 'DELETE', `/api/v4/channels/${ch}`);
    expect(del.status).toBe(200);
    const alice = await connect('alice');
    await expect(alice.join(ch)).rejects.toThrow('cannot join call in archived channel');
  });

  test('a user removed from the channel is taken out of its call', async () => {
    const {ch, alice, bob} = await aliceAndBobInACall();
    const r = await api(
      srv.url,
      w.users.admin.token,
      'DELETE',
      `/api/v4/channels/${ch}/members/${w.users.bob.user.id}`,
    );
    expect(r.status).toBe(200);
    await bob.waitFor('user_removed', (e) => e.data.channel_id === ch);
    await alice.waitFor('user_left', (e) => e.data.session_id === bob.connID);
    // bob gets his own user_left with the channel id although he is no longer a member.
    const own = await bob.waitFor('user_left', (e) => e.data.session_id === bob.connID);
    expect(own.data.channelID).toBe(ch);
  });

  test('a deactivated user is taken out of their call at once and cannot log in again', async () => {
    const username = `erin${Date.now()}`;
    expect(
      (await api(srv.url, w.users.admin.token, 'POST', '/api/v4/users', {username, password: 'erin-pw'})).status,
    ).toBe(201);
    const erin = await login(srv.url, username, 'erin-pw');
    const ch = await w.newChannel(['alice', erin.user.id]);
    await api(srv.url, w.users.admin.token, 'POST', `${P}/${ch}`, {enabled: true});
    const alice = await connect('alice');
    const e = new WsTestClient(srv.url, erin.token);
    track(e);
    await e.connect();
    await alice.join(ch);
    await e.join(ch);
    // Only the user or a system admin may deactivate.
    expect((await api(srv.url, w.users.alice.token, 'DELETE', `/api/v4/users/${erin.user.id}`)).status).toBe(403);
    expect((await api(srv.url, w.users.admin.token, 'DELETE', `/api/v4/users/${erin.user.id}`)).status).toBe(200);
    // Well before the websocket's login re-check (10 s) would notice.
    await alice.waitFor('user_left', (ev) => ev.data.session_id === e.connID, 3000);
    await expect(login(srv.url, username, 'erin-pw')).rejects.toThrow('401');
  });

  test('archiving a channel ends its call for everyone', async () => {
    const {ch, alice, bob} = await aliceAndBobInACall();
    expect((await api(srv.url, w.users.admin.token, 'DELETE', `/api/v4/channels/${ch}`)).status).toBe(200);
    await Promise.all([alice, bob].map((c) => c.waitFor('call_end', (e) => e.data.channelID === ch)));
    // Not just told: the call is over on the server, without waiting for the clients to leave.
    await waitFor(async () => (await srv.app.calls.getActiveCall(ch)) === null, 3000, 'the call to end');
  });

  test('only system admins read /env and /stats; everyone reads /config without secrets', async () => {
    await srv.app.config.save({TURNStaticAuthSecret: 'sekrit'});
    expect((await api(srv.url, w.users.alice.token, 'GET', `${P}/env`)).status).toBe(403);
    expect((await api(srv.url, w.users.alice.token, 'GET', `${P}/stats`)).status).toBe(403);
    const cfg = await api(srv.url, w.users.alice.token, 'GET', `${P}/config`);
    expect(cfg.status).toBe(200);
    expect(JSON.stringify(cfg.body)).not.toContain('sekrit');
    expect(cfg.body.TURNStaticAuthSecret).toBeUndefined();
    const adminCfg = await api(srv.url, w.users.admin.token, 'GET', `${P}/config`);
    // Admins see that it is set, as Mattermost shows secrets, not the secret itself.
    expect(adminCfg.body.TURNStaticAuthSecret).toBe('*'.repeat(32));
    await srv.app.config.save({TURNStaticAuthSecret: ''});
  });

  test('every plugin route but /version needs a login', async () => {
    expect((await fetch(`${srv.url}${P}/version`)).status).toBe(200);
    for (const [method, path] of [
      ['GET', `${P}/config`],
      ['GET', `${P}/channels`],
      ['GET', `${P}/${w.channels.town}`],
      ['POST', `${P}/calls/${w.channels.town}/end`],
      ['GET', `${P}/turn-credentials`],
      ['GET', `${P}/stats`],
    ] as const) {
      const res = await fetch(`${srv.url}${path}`, {method});
      expect(res.status).toBe(401);
      expect((await res.json()).id).toBe('api.context.session_expired.app_error');
    }
    const bad = await api(srv.url, 'not-a-token', 'GET', `${P}/config`);
    expect(bad.status).toBe(401);
  });

  test('cookie-authenticated writes need the X-Requested-With header (CSRF)', async () => {
    const cookie = `MMAUTHTOKEN=${w.users.admin.token}`;
    const ch = w.channels.offTopic;
    const without = await fetch(`${srv.url}${P}/${ch}`, {
      method: 'POST',
      headers: {Cookie: cookie, 'Content-Type': 'application/json'},
      body: '{"enabled":true}',
    });
    expect(without.status).toBe(401);
    const withHeader = await fetch(`${srv.url}${P}/${ch}`, {
      method: 'POST',
      headers: {Cookie: cookie, 'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest'},
      body: '{"enabled":true}',
    });
    expect(withHeader.status).toBe(200);
  });
});
