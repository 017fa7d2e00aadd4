// Two leaks found in the hardening review: secret settings returned in clear by the config endpoints,
// and dismiss-notification answering (and writing) for channels the user cannot read.
import {api} from '../support/calls-client';
import {type World, useSeededServer} from '../support/fixtures';
import type {TestServer} from '../support/server';

jest.setTimeout(30_000);

const P = '/plugins/com.mattermost.calls';
const FAKE = '*'.repeat(32);

describe('secret settings', () => {
  let srv: TestServer;
  let w: World;

  useSeededServer({env: {MM_CALLS_TURN_STATIC_AUTH_SECRET: 'env-turn-secret'}}, async (s, world) => {
    srv = s;
    w = world;
    const put = await api(srv.url, w.users.admin.token, 'PUT', '/api/v4/config', {
      PluginSettings: {
        Plugins: {
          'com.mattermost.calls': {
            transcribeapiazurespeechkey: 'azure-secret-key',
            iceserversconfigs: JSON.stringify([
              {urls: ['turn:turn.example.com:3478']},
              {urls: ['turns:relay.example.com'], username: 'u', credential: 'ice-secret-credential'},
            ]),
          },
        },
      },
    });
    expect(put.status).toBe(200);
  });

  test('no endpoint returns a secret setting in clear, to an admin or anyone else', async () => {
    const secrets = ['env-turn-secret', 'azure-secret-key'];
    // Every GET route of server/src/api/routes.ts and platform/standalone/routes.ts that reads settings or state.
    const paths = [
      '/api/v4/config',
      '/api/v4/config/client',
      '/api/v4/license/client',
      '/api/v4/plugins/webapp',
      '/api/v4/users/me',
      `${P}/version`,
      `${P}/config`,
      `${P}/env`,
      `${P}/stats`,
      `${P}/channels`,
      `${P}/${w.channels.town}`,
      `${P}/turn-credentials`,
      `${P}/metrics`,
    ];
    for (const user of ['admin', 'alice'] as const) {
      for (const path of paths) {
        const r = await api(srv.url, w.users[user].token, 'GET', path);
        const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
        for (const s of secrets) expect(`${path}: ${text}`).not.toContain(s);
      }
    }
    // The ICE list's credentials go to clients as upstream sends them (they need them to use the relay),
    // but not through the admin views, which show the whole setting masked.
    const console = await api(srv.url, w.users.admin.token, 'GET', '/api/v4/config');
    const plugin = console.body.PluginSettings.Plugins['com.mattermost.calls'];
    expect(plugin.turnstaticauthsecret).toBe(FAKE);
    expect(plugin.transcribeapiazurespeechkey).toBe(FAKE);
    expect(plugin.iceserversconfigs).toBe(FAKE);
    expect((await api(srv.url, w.users.admin.token, 'GET', `${P}/env`)).body).toEqual({TURNStaticAuthSecret: FAKE});
    const adminCfg = (await api(srv.url, w.users.admin.token, 'GET', `${P}/config`)).body;
    expect(adminCfg.TURNStaticAuthSecret).toBe(FAKE);
    expect(adminCfg.TranscribeAPIAzureSpeechKey).toBe(FAKE);
    // The secret still works where it is used.
    expect((await api(srv.url, w.users.alice.token, 'GET', `${P}/turn-credentials`)).status).toBe(200);
  });

  test('saving the console back (secrets as shown) keeps the stored secrets', async () => {
    const view = (await api(srv.url, w.users.admin.token, 'GET', '/api/v4/config')).body;
    expect(view.PluginSettings.Plugins['com.mattermost.calls'].transcribeapiazurespeechkey).toBe(FAKE);
    view.PluginSettings.Plugins['com.mattermost.calls'].maxcallparticipants = 12;
    const put = await api(srv.url, w.users.admin.token, 'PUT', '/api/v4/config', view);
    expect(put.status).toBe(200);
    const cfg = srv.app.config.get();
    expect(cfg.MaxCallParticipants).toBe(12);
    expect(cfg.TranscribeAPIAzureSpeechKey).toBe('azure-secret-key');
    expect(cfg.TURNStaticAuthSecret).toBe('env-turn-secret');
    expect(cfg.ICEServersConfigs[1]).toEqual({
      urls: ['turns:relay.example.com'],
      username: 'u',
      credential: 'ice-secret-credential',
    });
  });
});

describe('dismiss-notification', () => {
  let srv: TestServer;
  let w: World;

  useSeededServer({}, async (s, world) => {
    srv = s;
    w = world;
    // The admin's call in the private channel stays until the file's server stops.
    await (await w.connect('admin')).join(w.channels.priv);
  });

  test('a non-member of a private channel gets 403 whether or not it has a call, and writes nothing', async () => {
    const withCall = await api(
      srv.url,
      w.users.dave.token,
      'POST',
      `${P}/calls/${w.channels.priv}/dismiss-notification`,
    );
    expect(withCall.status).toBe(403);
    expect(withCall.body).toEqual({id: 'api.context.permissions.app_error', message: 'Forbidden', status_code: 403});
    const quiet = await w.newChannel(['alice'], 'P');
    const withoutCall = await api(srv.url, w.users.dave.token, 'POST', `${P}/calls/${quiet}/dismiss-notification`);
    // The same answer (status and body; the Date header may tick between the two requests).
    expect({status: withoutCall.status, body: withoutCall.body}).toEqual({
      status: withCall.status,
      body: withCall.body,
    });
    const call = await srv.app.calls.getActiveCall(w.channels.priv);
    expect(call!.props.dismissed_notification?.[w.users.dave.user.id]).toBeUndefined();
  });

  test('a member dismisses it', async () => {
    const r = await api(srv.url, w.users.bob.token, 'POST', `${P}/calls/${w.channels.priv}/dismiss-notification`);
    expect(r.status).toBe(200);
    const call = await srv.app.calls.getActiveCall(w.channels.priv);
    expect(call!.props.dismissed_notification).toEqual({[w.users.bob.user.id]: true});
  });
});
