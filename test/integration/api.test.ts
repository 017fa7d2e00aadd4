// The plugin HTTP API (reference §4.2) against a real server: shapes and values users depend on.
import {createHmac} from 'node:crypto';
import {api, login} from '../support/calls-client';
import {type World, useSeededServer} from '../support/fixtures';
import {startTestServer, type TestServer} from '../support/server';
import {sleep} from '../support/wait';

jest.setTimeout(30_000);

const P = '/plugins/com.mattermost.calls';

describe('plugin HTTP API', () => {
  let srv: TestServer;
  let w: World;
  const {connect} = useSeededServer(
    {env: {MM_CALLS_DEFAULT_ENABLED: 'true', MM_CALLS_MAX_CALL_PARTICIPANTS: '50'}},
    (s, world) => {
      srv = s;
      w = world;
    },
  );

  test("GET /version reports a version that turns on the clients' signaling lock", async () => {
    const r = await fetch(`${srv.url}${P}/version`);
    const body = await r.json();
    expect(body).toEqual({version: '1.7.0', build: expect.any(String)});
  });

  test('GET /config returns the client config of reference §5.3', async () => {
    const r = await api(srv.url, w.users.alice.token, 'GET', `${P}/config`);
    expect(Object.keys(r.body).sort()).toEqual([
      'AllowEnableCalls',
      'AllowScreenSharing',
      'DefaultEnabled',
      'EnableAV1',
      'EnableDCSignaling',
      'EnableLiveCaptions',
      'EnableRecordings',
      'EnableRinging',
      'EnableSimulcast',
      'EnableTranscriptions',
      'EnableVideo',
      'GroupCallsAllowed',
      'HostControlsAllowed',
      'ICEServers',
      'ICEServersConfigs',
      'MaxCallParticipants',
      'MaxRecordingDuration',
      'NeedsTURNCredentials',
      'sku_short_name',
    ]);
    expect(r.body).toEqual(
      expect.objectContaining({
        DefaultEnabled: true,
        MaxCallParticipants: 50,
        AllowScreenSharing: true,
        AllowEnableCalls: true,
        ICEServersConfigs: [],
      }),
    );
  });

  test('GET /env lists the applied MM_CALLS_* overrides by setting name (admins only)', async () => {
    const r = await api(srv.url, w.users.admin.token, 'GET', `${P}/env`);
    expect(r.body).toEqual({DefaultEnabled: 'true', MaxCallParticipants: '50'});
  });

  test('TURN credentials are HMAC-SHA1 over <expiry>:<username> with the static secret, only for credential-less TURN servers', async () => {
    expect((await api(srv.url, w.users.alice.token, 'GET', `${P}/turn-credentials`)).status).toBe(403);
    await srv.app.config.save({
      TURNStaticAuthSecret: 'secret123',
      TURNCredentialsExpirationMinutes: 60,
      ICEServersConfigs: JSON.stringify([
        {urls: ['stun:stun.example.com:3478']},
        {urls: ['turn:turn.example.com:3478']},
        {urls: ['turn:other.example.com'], username: 'u', credential: 'c'},
      ]),
    });
    try {
      const cfg = await api(srv.url, w.users.alice.token, 'GET', `${P}/config`);
      expect(cfg.body.NeedsTURNCredentials).toBe(true);
      // The credential-less TURN entry is removed from what clients see directly.
      expect(cfg.body.ICEServersConfigs).toEqual([
        {urls: ['stun:stun.example.com:3478']},
        {urls: ['turn:other.example.com'], username: 'u', credential: 'c'},
      ]);
      const r = await api(srv.url, w.users.alice.token, 'GET', `${P}/turn-credentials`);
      expect(r.status).toBe(200);
      expect(r.body).toHaveLength(1);
      const [cred] = r.body;
      expect(cred.urls).toEqual(['turn:turn.example.com:3478']);
      const [expiry, name] = cred.username.split(':');
      expect(name).toBe('alice');
      const now = Math.floor(Date.now() / 1000);
      expect(Number(expiry)).toBeGreaterThanOrEqual(now + 3590);
      expect(Number(expiry)).toBeLessThanOrEqual(now + 3610);
      expect(cred.credential).toBe(createHmac('sha1', 'secret123').update(cred.username).digest('base64'));
    } finally {
      await srv.app.config.save({TURNStaticAuthSecret: '', ICEServersConfigs: '[]'});
    }
  });

  test('/channels, /{channel_id} and /calls/{id}/active describe active calls to members', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const alice = await connect('alice');
    await alice.join(ch);
    const active = await api(srv.url, w.users.bob.token, 'GET', `${P}/calls/${ch}/active`);
    expect(active.body).toEqual({active: true});
    const one = await api(srv.url, w.users.bob.token, 'GET', `${P}/${ch}`);
    expect(one.body.channel_id).toBe(ch);
    expect(one.body.enabled).toBe(true);
    expect(one.body.call.sessions.map((s: {session_id: string}) => s.session_id)).toEqual([alice.connID]);
    expect(one.body.call.host_id).toBe(w.users.alice.user.id);
    const list = await api(srv.url, w.users.bob.token, 'GET', `${P}/channels`);
    const entry = list.body.find((c: {channel_id: string}) => c.channel_id === ch);
    expect(entry.call.id).toBe(one.body.call.id);
    alice.send('leave');
  });

  test("dismissing the notification is recorded and echoed to the user's other clients", async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const alice = await connect('alice');
    await alice.join(ch);
    const bobElsewhere = await connect('bob');
    const r = await api(srv.url, w.users.bob.token, 'POST', `${P}/calls/${ch}/dismiss-notification`);
    expect(r.status).toBe(200);
    const ev = await bobElsewhere.waitFor('user_dismissed_notification');
    const call = await srv.app.store.calls.getActiveCallByChannel(ch);
    expect(ev.data).toEqual({userID: w.users.bob.user.id, callID: call!.id});
    const state = await api(srv.url, w.users.bob.token, 'GET', `${P}/${ch}`);
    expect(state.body.call.dismissed_notification).toEqual({[w.users.bob.user.id]: true});
    // Nobody else sees bob's dismissal.
    const forAlice = await api(srv.url, w.users.alice.token, 'GET', `${P}/${ch}`);
    expect(forAlice.body.call.dismissed_notification).toBeUndefined();
    alice.send('leave');
  });

  test('GET /stats counts calls, sessions and channel types', async () => {
    const ch = await w.newChannel(['alice']);
    const alice = await connect('alice');
    await alice.join(ch);
    const r = await api(srv.url, w.users.admin.token, 'GET', `${P}/stats`);
    expect(r.status).toBe(200);
    expect(r.body.total_active_calls).toBeGreaterThanOrEqual(1);
    expect(r.body.total_active_sessions).toBeGreaterThanOrEqual(1);
    expect(r.body.calls_by_channel_type.public).toBeGreaterThanOrEqual(1);
    for (const k of [
      'total_calls',
      'calls_by_day',
      'calls_by_month',
      'avg_duration',
      'avg_participants',
      'total_video_calls',
      'total_screen_share_calls',
      'recording_jobs_by_day',
    ]) {
      expect(r.body).toHaveProperty(k);
    }
    alice.send('leave');
    await sleep(200);
  });

  test('the per-user rate limit answers 429 with an id', async () => {
    const limited = await startTestServer({rateLimit: {perSecond: 1, burst: 3}});
    try {
      const u = await login(limited.url, 'alice');
      const codes = [];
      for (let i = 0; i < 6; i++) codes.push((await api(limited.url, u.token, 'GET', `${P}/config`)).status);
      expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
      expect(codes).toContain(429);
      const r = await api(limited.url, u.token, 'GET', `${P}/config`);
      expect(r.body).toEqual({id: 'app.calls.too_many_requests', message: 'too many requests', status_code: 429});
    } finally {
      await limited.stop();
    }
  });

  test('/call link answers with the call link; /call and /call help print the usage; autocomplete lists subcommands', async () => {
    const r = await api(srv.url, w.users.alice.token, 'POST', '/api/v4/commands/execute', {
      command: '/call link',
      channel_id: w.channels.town,
      team_id: w.teamID,
    });
    expect(r.body).toEqual({
      response_type: 'ephemeral',
      text: `Call link: ${srv.url.replace('127.0.0.1', 'localhost')}/calls/channels/${w.channels.town}?join_call=true`,
    });
    const bad = await api(srv.url, w.users.alice.token, 'POST', '/api/v4/commands/execute', {
      command: '/call dance',
      channel_id: w.channels.town,
    });
    expect(bad.body.text).toMatch(/^Invalid subcommand: dance\n\nUsage: `\/call <subcommand>`/);
    // `/call` alone and `/call help` print the usage, one line per subcommand.
    for (const command of ['/call', '/call help', '  /call   help  ']) {
      const usage = await api(srv.url, w.users.alice.token, 'POST', '/api/v4/commands/execute', {
        command,
        channel_id: w.channels.town,
      });
      expect(usage.body.text).toMatch(/^Usage: `\/call <subcommand>`/);
      expect(usage.body.text).toContain('- `/call start [title]`: Start a call in the current channel');
      expect(usage.body.text).toContain('- `/call recording start | stop`');
      expect(usage.body.text).not.toContain('Invalid');
    }
    const suggest = await api(
      srv.url,
      w.users.alice.token,
      'GET',
      `/api/v4/teams/${w.teamID}/commands/autocomplete_suggestions?user_input=${encodeURIComponent('/call re')}`,
    );
    expect(suggest.status).toBe(200);
    expect(suggest.body).toEqual([
      {Complete: 'call recording', Suggestion: 'recording', Hint: 'start | stop', Description: expect.any(String)},
    ]);
  });

  test("/logs/upload posts the logs from the Calls bot into the user's DM with it and links them", async () => {
    const watcher = await connect('carol');
    const logs = 'line 1\n' + 'x'.repeat(20_000) + '\nthe last line';
    const r = await api(srv.url, w.users.carol.token, 'POST', `${P}/logs/upload`, {
      logs,
      channel_id: w.channels.town,
      team_id: w.teamID,
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
    const eph = await watcher.waitFor('ephemeral_message');
    const msg = JSON.parse(String(eph.data.post)).message as string;
    expect(msg).toMatch(/^Call logs uploaded — \[view in your @calls DM\]\(http:\/\/\S+\/calls\/pl\/[a-z0-9]{26}\)$/);
    const postID = /pl\/([a-z0-9]{26})/.exec(msg)![1];
    const post = await api(srv.url, w.users.carol.token, 'GET', `/api/v4/posts/${postID}`);
    expect(post.body.message).toMatch(/^call_logs_\S+\.txt\n```\n/);
    expect(post.body.message).toContain('the last line');
    expect(post.body.message.length).toBeLessThanOrEqual(16_383);
    const bot = await api(srv.url, w.users.carol.token, 'GET', `/api/v4/users/${post.body.user_id}`);
    expect(bot.body).toEqual(expect.objectContaining({username: 'calls', is_bot: true}));
    // Other users cannot read carol's DM with the bot.
    expect((await api(srv.url, w.users.alice.token, 'GET', `/api/v4/posts/${postID}`)).status).toBe(403);
    const bad = await api(srv.url, w.users.carol.token, 'POST', `${P}/logs/upload`, {
      logs: '',
      channel_id: w.channels.town,
    });
    expect(bad.status).toBe(400);
  });
});
