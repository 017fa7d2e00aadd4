// The Mattermost platform adapter against a fake Mattermost (test/support/fake-mattermost, written from the
// REST API v4 documentation): users' tokens and cookies (with CSRF), a revoked token, permissions, the call
// post made and updated through the API, ephemeral posts, 429 and Mattermost being down. Media is the
// recording double: this is about the platform, not packets.
import WebSocket from 'ws';
import {api} from '../support/calls-client';
import {FakeMattermost} from '../support/fake-mattermost/server';
import {PluginWsClient, startBesideMattermost, useBesideMattermost} from '../support/fake-mattermost/service';
import {startTestServer} from '../support/server';
import {waitFor} from '../support/wait';

jest.setTimeout(40_000);

const P = '/plugins/com.mattermost.calls';

describe('mattermost platform adapter (against the fake Mattermost)', () => {
  const mm = new FakeMattermost();
  const d = mm.data;
  const {bot, alice, bob, carol, team} = d.addTeamOfFour();
  const root = d.addUser('root', {roles: 'system_user system_admin'});
  const town = d.addChannel(team.id, 'O', 'town', alice.user.id);
  const priv = d.addChannel(team.id, 'P', 'priv', alice.user.id);
  d.addChannelMember(town.id, alice.user.id, true);
  d.addChannelMember(town.id, bob.user.id);
  d.addChannelMember(priv.id, alice.user.id, true);
  d.addChannelMember(priv.id, bob.user.id);

  let channelCount = 0;
  /** A fresh public channel of the team, alice its admin. */
  const newChannel = (...members: {user: {id: string}}[]) => {
    const ch = d.addChannel(team.id, 'O', `chan-${++channelCount}`, alice.user.id);
    d.addChannelMember(ch.id, alice.user.id, true);
    for (const m of members) d.addChannelMember(ch.id, m.user.id);
    return ch;
  };
  const side = useBesideMattermost(mm, bot.token, {
    wsAuthRecheckMs: 1000,
    platform: {membershipPollMs: 500, postRetryMs: 300},
    logLevel: 'debug',
    env: {MM_CALLS_DEFAULT_ENABLED: 'true'},
  });
  afterAll(() => expect(side.logLines.join('')).toContain('connected to Mattermost'));

  test('a Mattermost token authenticates by Bearer, validated against /users/me; an unknown one gets 401', async () => {
    const ok = await api(side.srv.url, alice.token, 'GET', `${P}/${town.id}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(expect.objectContaining({channel_id: town.id, enabled: true}));
    expect(mm.requestsTo('GET', '/api/v4/users/me').some((r) => r.userID === alice.user.id)).toBe(true);

    const unknown = await api(side.srv.url, 'abcdefghijklmnopqrstuvwxyz', 'GET', `${P}/${town.id}`);
    expect(unknown.status).toBe(401);
    expect(unknown.body.id).toBe('api.context.session_expired.app_error');
  });

  test('the MMAUTHTOKEN cookie authenticates; a cookie write needs X-CSRF-Token matching MMCSRF (or X-Requested-With)', async () => {
    const csrf = d.csrf.get(alice.token)!;
    const cookie = `MMAUTHTOKEN=${alice.token}; MMCSRF=${csrf}`;
    const send = (method: string, headers: Record<string, string>) =>
      fetch(`${side.srv.url}${P}/${town.id}`, {
        method,
        headers: {Cookie: cookie, 'Content-Type': 'application/json', ...headers},
        body: method === 'POST' ? JSON.stringify({enabled: true}) : undefined,
      });
    expect((await send('GET', {})).status).toBe(200);
    // A cross-site form carries the cookies but neither header: refused.
    expect((await send('POST', {})).status).toBe(401);
    expect((await send('POST', {'X-CSRF-Token': 'not-the-cookie'})).status).toBe(401);
    expect((await send('POST', {'X-CSRF-Token': csrf})).status).toBe(200);
    expect((await send('POST', {'X-Requested-With': 'XMLHttpRequest'})).status).toBe(200);
  });

  test('a websocket authenticates by the MMAUTHTOKEN cookie', async () => {
    const ws = new WebSocket(side.srv.url.replace(/^http/, 'ws') + `${P}/websocket`, {
      headers: {Cookie: `MMAUTHTOKEN=${bob.token}`, Origin: side.srv.url},
    });
    const hello = await new Promise<{event: string; broadcast: {user_id: string}}>((resolve, reject) => {
      ws.on('message', (raw) => resolve(JSON.parse(String(raw))));
      ws.on('error', reject);
    });
    ws.close();
    expect(hello.event).toBe('hello');
    expect(hello.broadcast.user_id).toBe(bob.user.id);
  });

  test('permissions follow Mattermost: a non-member is refused a private channel, the channel admin may toggle calls, a member not', async () => {
    expect((await api(side.srv.url, carol.token, 'GET', `${P}/${priv.id}`)).status).toBe(403);
    // A public channel is readable by a team member who has not joined it (read_public_channel).
    expect((await api(side.srv.url, carol.token, 'GET', `${P}/${town.id}`)).status).toBe(200);
    expect((await api(side.srv.url, bob.token, 'POST', `${P}/${town.id}`, {enabled: false})).status).toBe(403);
    const admin = await api(side.srv.url, alice.token, 'POST', `${P}/${town.id}`, {enabled: true});
    expect(admin.status).toBe(200);
    // A system admin reads any channel, member or not.
    expect((await api(side.srv.url, root.token, 'GET', `${P}/${priv.id}`)).status).toBe(200);
    expect((await api(side.srv.url, root.token, 'POST', `${P}/${priv.id}`, {enabled: true})).status).toBe(200);
    // A non-member cannot join the private channel's call.
    const c = await side.connect(carol.token);
    await expect(c.join(priv.id)).rejects.toThrow(/forbidden/);
  });

  test('a call started over our websocket makes the custom_calls post through the API and updates it when it ends', async () => {
    const a = await side.connect(alice.token);
    const b = await side.connect(bob.token);
    await a.join(priv.id, {title: 'Standup'});
    const start = await a.waitFor('call_start');
    const postID = String(start.data.post_id);
    const created = mm
      .requestsTo('POST', '/api/v4/posts')
      .find((r) => (r.body as {type?: string}).type === 'custom_calls');
    expect(created).toBeDefined();
    expect(created!.userID).toBe(bot.user.id);
    expect(created!.body).toEqual(
      expect.objectContaining({
        channel_id: priv.id,
        props: expect.objectContaining({title: 'Standup', start_at: start.data.start_at}),
      }),
    );
    const post = d.posts.get(postID)!;
    expect(post).toEqual(expect.objectContaining({type: 'custom_calls', channel_id: priv.id}));
    expect(post.props.calls_user_id).toBe(alice.user.id);

    await b.join(priv.id);
    await a.waitFor('user_joined', (e) => e.data.session_id === b.connID);
    a.send('leave');
    b.send('leave');
    await waitFor(
      () => mm.requestsTo('PUT', `/api/v4/posts/${postID}/patch`).length > 0,
      10_000,
      'the call post patch',
    );
    const ended = d.posts.get(postID)!;
    expect(ended.message).toBe('Call ended');
    expect(ended.props.end_at).toEqual(expect.any(Number));
    expect([...(ended.props.participants as string[])].sort()).toEqual([alice.user.id, bob.user.id].sort());
  });

  test('an ephemeral post reaches the user through /posts/ephemeral (the /call logs upload)', async () => {
    const res = await api(side.srv.url, alice.token, 'POST', `${P}/logs/upload`, {
      channel_id: town.id,
      logs: 'a log line',
    });
    expect(res.status).toBe(200);
    const eph = d.ephemeral.find((e) => e.user_id === alice.user.id && e.post.channel_id === town.id);
    expect(eph?.post.message).toMatch(/Call logs uploaded/);
    // The logs themselves went to the user's DM with the bot, as a post by the bot.
    const dm = [...d.posts.values()].find((p) => p.message.includes('a log line'))!;
    expect(d.channels.get(dm.channel_id)?.type).toBe('D');
    expect(dm.user_id).toBe(bot.user.id);
  });

  test('a revoked token is refused within ~10 s: HTTP gets 401 and its websocket is closed', async () => {
    const token = d.issueToken(bob.user.id);
    const c = await side.connect(token);
    expect((await api(side.srv.url, token, 'GET', `${P}/${town.id}`)).status).toBe(200);
    let closedWith = 0;
    c.on('close', (_ws: unknown, _opened: boolean, code: number) => (closedWith = code));
    mm.revoke(token);
    await waitFor(() => closedWith !== 0, 10_000, 'the websocket of a revoked token to close');
    expect(closedWith).toBe(4401);
    expect((await api(side.srv.url, token, 'GET', `${P}/${town.id}`)).status).toBe(401);
  });

  test('429 with Retry-After is retried and the request succeeds', async () => {
    const token = d.issueToken(carol.user.id);
    const before = mm.received.length;
    mm.rateLimitNext(2, 1, token);
    const res = await api(side.srv.url, token, 'GET', `${P}/${town.id}`);
    expect(res.status).toBe(200);
    // The two refused attempts and the one answered, for the same validation.
    const meCalls = mm.received.slice(before).filter((r) => r.path === '/api/v4/users/me');
    expect(meCalls.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  test('a member removed from the channel in Mattermost leaves its call; the others stay', async () => {
    const ch = newChannel(bob, carol);
    const a = await side.connect(alice.token);
    const b = await side.connect(bob.token);
    await a.join(ch.id);
    await b.join(ch.id);
    await a.waitFor('user_joined', (e) => e.data.session_id === b.connID);
    d.removeChannelMember(ch.id, bob.user.id);
    await a.waitFor('user_left', (e) => e.data.session_id === b.connID, 8000);
    expect((await api(side.srv.url, alice.token, 'GET', `${P}/${ch.id}`)).body.call.sessions).toEqual([
      expect.objectContaining({user_id: alice.user.id}),
    ]);
  });

  test('a channel archived in Mattermost ends its call', async () => {
    const ch = newChannel(bob);
    const a = await side.connect(alice.token);
    await a.join(ch.id);
    const start = await a.waitFor('call_start');
    d.channels.get(ch.id)!.delete_at = Date.now();
    await a.waitFor('call_end', undefined, 8000);
    await waitFor(
      () => d.posts.get(String(start.data.post_id))?.message === 'Call ended',
      5000,
      'the call post update',
    );
  });

  test("recordings go through Mattermost's resumable uploads and are attached to a thread reply by the bot", async () => {
    const platform = side.srv.app.platform;
    const botID = await platform.botUserID();
    expect(botID).toBe(bot.user.id);
    const root = await platform.createPost({channel_id: town.id, user_id: botID, message: 'root'});
    const us = await platform.createUploadSession({
      user_id: botID,
      channel_id: town.id,
      filename: 'rec.mp4',
      file_size: 10,
    });
    const half = await platform.appendUpload(
      us.id,
      (async function* () {
        yield Buffer.from('01234');
      })(),
    );
    expect(half.file).toBeNull();
    expect(half.session.file_offset).toBe(5);
    expect((await platform.getUploadSession(us.id))?.file_offset).toBe(5);
    const done = await platform.appendUpload(
      us.id,
      (async function* () {
        yield Buffer.from('567');
        yield Buffer.from('89');
      })(),
    );
    expect(done.file).toEqual(expect.objectContaining({name: 'rec.mp4', size: 10, channel_id: town.id}));
    const fileID = done.file!.id;
    expect(await platform.getFileInfo(fileID)).toEqual(expect.objectContaining({id: fileID, mime_type: 'video/mp4'}));
    const part: Buffer[] = [];
    for await (const c of await platform.readFile(fileID, {start: 2, end: 4})) part.push(Buffer.from(c as Buffer));
    expect(Buffer.concat(part).toString()).toBe('234');
    const reply = await platform.createPost({
      channel_id: town.id,
      user_id: botID,
      root_id: root.id,
      message: 'the recording',
      type: 'custom_calls_recording',
      file_ids: [fileID],
    });
    expect(reply.root_id).toBe(root.id);
    expect(d.files.get(fileID)?.post_id).toBe(reply.id);
  });

  test('input that is not a Mattermost id never reaches a URL', async () => {
    const before = mm.received.length;
    const platform = side.srv.app.platform;
    expect(await platform.getChannel('../users/me')).toBeNull();
    expect(await platform.getUser('me')).toBeNull();
    expect(await platform.getChannelMember(`${town.id}/../..`, alice.user.id)).toBeNull();
    expect(await platform.hasChannelPermission(alice.user.id, '../../system/ping', 'read_channel')).toBe(false);
    expect(mm.received.length).toBe(before);
  });

  test("a person's token instead of a bot's is accepted with a warning that this person cannot join calls", async () => {
    const {srv: other, logLines: lines} = await startBesideMattermost(mm, root.token);
    await other.stop();
    expect(lines.join('')).toMatch(/belongs to a user, not a bot account/);
  });

  test('a token Mattermost refuses stops the start with an error naming the setting', async () => {
    await expect(
      startTestServer({
        seed: false,
        env: {
          MM_CALLS_PLATFORM: 'mattermost',
          MM_CALLS_MATTERMOST_URL: mm.url,
          MM_CALLS_MATTERMOST_TOKEN: 'abcdefghijklmnopqrstuvwxyz',
        },
      }),
    ).rejects.toThrow(/MM_CALLS_MATTERMOST_TOKEN/);
  });

  test('Mattermost down: requests get a clear 503, open websockets and calls go on, and all works again once it is back', async () => {
    const c = await side.connect(alice.token);
    const ch = newChannel(bob);
    const going = newChannel(bob);
    const a = await side.connect(alice.token);
    const b = await side.connect(bob.token);
    await a.join(going.id);
    await b.join(going.id);
    await a.waitFor('user_joined', (e) => e.data.session_id === b.connID);
    await mm.stop();
    try {
      // A join on an open socket gets the reason.
      await expect(c.join(ch.id)).rejects.toThrow(/Mattermost is unreachable/);
      // A new socket (its token not validated recently) is told to come back later, not that its login is bad.
      const fresh = new PluginWsClient(side.srv.url, d.issueToken(bob.user.id));
      let closed = 0;
      fresh.on('close', (_ws: unknown, _opened: boolean, code: number) => (closed = code));
      await expect(fresh.connect()).rejects.toThrow(/closed before hello/);
      expect(closed).toBe(1013);
      // The same by authentication_challenge: a FAIL naming the reason, then 1013.
      const challenged = new PluginWsClient(side.srv.url, d.issueToken(bob.user.id));
      const replies: {error?: {id: string}}[] = [];
      challenged.on('reply', (r: {error?: {id: string}}) => replies.push(r));
      challenged.on('close', (_ws: unknown, _opened: boolean, code: number) => (closed = code));
      closed = 0;
      await expect(challenged.connect({challenge: true})).rejects.toThrow(/closed before hello/);
      expect(closed).toBe(1013);
      expect(replies[0]?.error?.id).toBe('app.calls.mattermost.unreachable');
      const token = d.issueToken(carol.user.id);
      const down = await api(side.srv.url, token, 'GET', `${P}/${town.id}`);
      expect(down.status).toBe(503);
      expect(down.body).toEqual({
        id: 'app.calls.mattermost.unreachable',
        message: 'Mattermost is unreachable; try again in a moment.',
        status_code: 503,
      });
      // Re-validations fail while it is down (and every cached answer expires): the open sockets are kept.
      await new Promise((r) => setTimeout(r, 5500));
      expect((await c.ping()).status).toBe('OK');
      // The call going on still tells its channel's members what happens in it (the last member list known).
      b.send('leave');
      await a.waitFor('user_left', (e) => e.data.session_id === b.connID);
      // The call ends during the outage: its post is updated once Mattermost is back.
      a.send('leave');
      await a.waitFor('user_left', (e) => e.data.session_id === a.connID);
    } finally {
      await mm.start();
    }
    const token = d.issueToken(carol.user.id);
    expect((await api(side.srv.url, token, 'GET', `${P}/${town.id}`)).status).toBe(200);
    expect((await c.ping()).status).toBe('OK');
    await c.join(ch.id);
    const goingPost = [...d.posts.values()].find(
      (p) => p.channel_id === going.id && String(p.type) === 'custom_calls',
    )!;
    await waitFor(() => goingPost.message === 'Call ended', 5000, 'the post of the call that ended during the outage');
    expect(goingPost.props.end_at).toEqual(expect.any(Number));
  });
});
