// Text PostgreSQL cannot store, from a client, on both stores: a NUL character (refused in text and jsonb)
// and an unpaired surrogate (refused in jsonb). Wherever one reached a query the answer was a 500 (found by
// the fuzz suite: a `%00` path parameter, a `reconnect` with a NUL in its ids, a `screen_on` stream id with
// either). It is refused where it enters, with the usual errors.
import {api, CALLS, type WsTestClient} from '../support/calls-client';
import {seededWorld, type World} from '../support/fixtures';
import {engines, startTestServer, type TestServer} from '../support/server';
import {waitFor} from '../support/wait';

jest.setTimeout(30_000);

describe.each(engines())('unstorable text on %s', (engine) => {
  let srv: TestServer;
  let w: World;
  let ch: string;
  let bob: WsTestClient;

  beforeAll(async () => {
    srv = await startTestServer({engine, env: {MM_CALLS_DEFAULT_ENABLED: 'true'}});
    w = await seededWorld(srv);
    ch = await w.newChannel(['alice', 'bob']);
    bob = await w.connect('bob');
    await bob.join(ch);
  });
  afterAll(async () => {
    await bob?.close();
    await srv?.stop();
  });

  test('HTTP: in a path parameter, a query, a JSON body or a login cookie', async () => {
    const alice = w.users.alice.token;
    const admin = w.users.admin.token;
    const cases: [string, string, string, unknown, number][] = [
      [alice, 'GET', `/api/v4/teams/${w.teamID}/channels/name/%00`, undefined, 400],
      [alice, 'GET', '/api/v4/teams/%00/channels/name/town-square', undefined, 400],
      [alice, 'GET', '/api/v4/users/me/teams/%00/channels', undefined, 400],
      [alice, 'GET', `/api/v4/channels/${ch}/posts?page=%00`, undefined, 400],
      [alice, 'POST', '/api/v4/posts', {channel_id: ch, message: 'a\u0000b'}, 400],
      [alice, 'POST', '/api/v4/posts', `{"channel_id":"${ch}","message":"\\udc00 alone"}`, 400],
      [alice, 'POST', '/api/v4/users/login', {login_id: 'alice\u0000', password: 'alice'}, 400],
      // Stored in a jsonb column: the unpaired surrogate was the 500 here.
      [admin, 'POST', `/plugins/com.mattermost.calls/${ch}`, {enabled: true, props: {'k\u0000': 1}}, 400],
      [admin, 'POST', `/plugins/com.mattermost.calls/${ch}`, '{"enabled":true,"props":{"k":"\\ud800"}}', 400],
    ];
    for (const [tok, method, path, body, status] of cases) {
      const r = await api(srv.url, tok, method, path, body);
      expect({path, body, status: r.status}).toEqual({path, body, status});
      expect(r.body.id).toMatch(/^api\.context\./);
    }
    const cookie = await fetch(`${srv.url}/api/v4/users/me`, {headers: {Cookie: 'MMAUTHTOKEN=%00abc'}});
    expect(cookie.status).toBe(401);
  });

  test('websocket: in a frame, or in the JSON text inside an action', async () => {
    const before = bob.replies.length;
    bob.sendRaw({
      action: CALLS + 'reconnect',
      seq: 4242,
      data: {channelID: ch, originalConnID: 'x\u0000', prevConnID: 'y'},
    });
    await waitFor(() => bob.replies.length > before, 10_000, 'a reply');
    // A frame that does not parse is answered with seq_reply 0 (its seq is not trusted).
    expect(bob.replies.slice(before).map((r) => r.error?.message)).toEqual([
      'frame contains a NUL character or an unpaired surrogate',
    ]);
    for (const id of ['s\\u0000', 's\\ud800']) {
      const since = bob.events.length;
      bob.send('screen_on', {data: `{"screenStreamID":"${id}"}`});
      const err = await bob.waitFor('error', (e) => String(e.data.id).startsWith('app.calls.'), 10_000, since);
      expect(err.data.id).toBe('app.calls.ws.invalid_screen_on');
    }
    // The session carries on.
    const n = bob.events.length;
    bob.send('raise_hand');
    await bob.waitFor('user_raise_hand', (e) => e.data.session_id === bob.connID, 10_000, n);
  });
});
