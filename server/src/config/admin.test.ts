import {useTempStore} from '../testing/temp-store';
import {adminConfigView, saveAdminConfig} from './admin';
import {FAKE_SETTING, maskSecrets} from './secrets';
import {ConfigService} from './service';

const store = useTempStore('calls-admin-');

const ICE = [{urls: ['turn:turn.example.com:3478'], username: 'u', credential: 'ice-credential'}];

test("the System Console view shows set secrets as Mattermost's fake value, unset ones as empty", async () => {
  const config = new ConfigService(store().kv, {});
  await config.load();
  expect(adminConfigView(config).turnstaticauthsecret).toBe('');
  expect(adminConfigView(config).iceserversconfigs).toBe('[]');
  await config.save({
    TURNStaticAuthSecret: 'turn-secret',
    ICEServersConfigs: ICE,
    TranscribeAPIAzureSpeechKey: 'azure-key',
  });
  const view = adminConfigView(config);
  expect(FAKE_SETTING).toBe('*'.repeat(32));
  expect(view.turnstaticauthsecret).toBe(FAKE_SETTING);
  expect(view.iceserversconfigs).toBe(FAKE_SETTING);
  expect(view.transcribeapiazurespeechkey).toBe(FAKE_SETTING);
  expect(JSON.stringify(view)).not.toMatch(/turn-secret|ice-credential|azure-key/);
});

test('saving the fake value back keeps the stored secret; a new value replaces it', async () => {
  const config = new ConfigService(store().kv, {});
  await config.load();
  await config.save({TURNStaticAuthSecret: 'turn-secret', ICEServersConfigs: ICE});
  // The console sends every field back, secrets as shown.
  const saved = await saveAdminConfig(config, {...adminConfigView(config), maxcallparticipants: 9});
  expect(saved.turnstaticauthsecret).toBe(FAKE_SETTING);
  expect(config.get().MaxCallParticipants).toBe(9);
  expect(config.get().TURNStaticAuthSecret).toBe('turn-secret');
  expect(config.get().ICEServersConfigs).toEqual(ICE);
  // And it survives a restart.
  const again = new ConfigService(store().kv, {});
  expect((await again.load()).TURNStaticAuthSecret).toBe('turn-secret');
  await saveAdminConfig(config, {turnstaticauthsecret: 'rotated'});
  expect(config.get().TURNStaticAuthSecret).toBe('rotated');
  await saveAdminConfig(config, {turnstaticauthsecret: ''});
  expect(config.get().TURNStaticAuthSecret).toBe('');
});

test('environment overrides are masked the same way', () => {
  const config = new ConfigService(store().kv, {
    MM_CALLS_TURN_STATIC_AUTH_SECRET: 'env-secret',
    MM_CALLS_UDP_SERVER_PORT: '9000',
  });
  expect(maskSecrets(config.envOverrides())).toEqual({TURNStaticAuthSecret: FAKE_SETTING, UDPServerPort: '9000'});
});

test('a service URL with credentials shows its password as the fake value; saving it back keeps the stored key', async () => {
  const config = new ConfigService(store().kv, {});
  await config.load();
  const key = 'k'.repeat(40);
  await saveAdminConfig(config, {rtcdserviceurl: `http://install-1:${key}@rtcd.internal:8045`});
  const view = adminConfigView(config);
  expect(view.rtcdserviceurl).toBe(`http://install-1:${FAKE_SETTING}@rtcd.internal:8045/`);
  expect(JSON.stringify(view)).not.toContain(key);
  expect(JSON.stringify(maskSecrets(config.get()))).not.toContain(key);
  // The admin changes the host and sends the masked password back: the key stays.
  await saveAdminConfig(config, {rtcdserviceurl: `http://install-1:${FAKE_SETTING}@rtcd2.internal:8045`});
  expect(config.get().RTCDServiceURL).toBe(`http://install-1:${key}@rtcd2.internal:8045/`);
  // A new password replaces it; a URL without credentials is shown as it is.
  await saveAdminConfig(config, {rtcdserviceurl: 'http://rtcd3.internal:8045'});
  expect(adminConfigView(config).rtcdserviceurl).toBe('http://rtcd3.internal:8045');
});
