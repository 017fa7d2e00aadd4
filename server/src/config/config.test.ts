import {useTempStore} from '../testing/temp-store';
import {buildClientConfig} from './client';
import {envNameFor, readEnvOverrides} from './env';
import {defaultConfig, SETTINGS} from './schema';
import {ConfigService} from './service';
import {ConfigError} from './validate';
import manifest from '../../../plugin.json';

const store = useTempStore('calls-config-');

test('plugin.json declares every setting of the reference with a type, help text and (where upstream has one) a default', () => {
  const keys = SETTINGS.map((s) => s.key);
  for (const k of [
    'DefaultEnabled',
    'MaxCallParticipants',
    'AllowScreenSharing',
    'EnableSimulcast',
    'EnableRinging',
    'EnableAV1',
    'EnableDCSignaling',
    'EnableVideo',
    'RTCDServiceURL',
    'UDPServerAddress',
    'TCPServerAddress',
    'UDPServerPort',
    'TCPServerPort',
    'EnableIPv6',
    'ICEHostOverride',
    'ICEHostPortOverride',
    'ICEServersConfigs',
    'TURNStaticAuthSecret',
    'TURNCredentialsExpirationMinutes',
    'ServerSideTURN',
    'EnableRecordings',
    'JobServiceURL',
    'MaxRecordingDuration',
    'RecordingQuality',
    'EnableTranscriptions',
    'TranscribeAPI',
    'TranscriberModelSize',
    'TranscriberNumThreads',
    'TranscribeAPIAzureSpeechKey',
    'TranscribeAPIAzureSpeechRegion',
    'EnableLiveCaptions',
    'LiveCaptionsModelSize',
    'LiveCaptionsNumTranscribers',
    'LiveCaptionsNumThreadsPerTranscriber',
    'LiveCaptionsLanguage',
  ]) {
    expect(keys).toContain(k);
  }
  for (const s of SETTINGS) {
    expect(s.help_text.length).toBeGreaterThan(10);
    expect(s.display_name.length).toBeGreaterThan(0);
  }
  expect(manifest.id).toBe('com.mattermost.calls');
  const d = defaultConfig();
  expect(d).toEqual(
    expect.objectContaining({
      UDPServerPort: 8443,
      TCPServerPort: 8443,
      MaxRecordingDuration: 60,
      TURNCredentialsExpirationMinutes: 240,
      AllowScreenSharing: true,
      DefaultEnabled: false,
      RecordingQuality: 'medium',
      ICEHostPortOverride: null,
    }),
  );
  // No public ICE server by default: nothing is contacted unless an operator lists it.
  expect(d.ICEServersConfigs).toEqual([]);
});

test('environment variable names follow upstream, quirks included', () => {
  expect(envNameFor('RTCDServiceURL')).toBe('MM_CALLS_RTCD_SERVICE_URL');
  expect(envNameFor('UDPServerPort')).toBe('MM_CALLS_UDP_SERVER_PORT');
  expect(envNameFor('ICEHostPortOverride')).toBe('MM_CALLS_ICE_HOST_PORT_OVERRIDE');
  expect(envNameFor('TURNStaticAuthSecret')).toBe('MM_CALLS_TURN_STATIC_AUTH_SECRET');
  expect(envNameFor('EnableDCSignaling')).toBe('MM_CALLS_ENABLE_DC_SIGNALING');
  expect(envNameFor('EnableAV1')).toBe('MM_CALLS_ENABLE_AV1');
  expect(envNameFor('EnableIPv6')).toBe('MM_CALLS_ENABLE_I_PV6');
  expect(envNameFor('TranscribeAPIAzureSpeechKey')).toBe('MM_CALLS_TRANSCRIBE_API_AZURE_SPEECH_KEY');
  // Deprecated aliases apply only when the canonical name is absent.
  expect(readEnvOverrides({MM_CALLS_RTCD_URL: 'http://a'})).toEqual({RTCDServiceURL: 'http://a'});
  expect(readEnvOverrides({MM_CALLS_RTCD_URL: 'http://a', MM_CALLS_RTCD_SERVICE_URL: 'http://b'})).toEqual({
    RTCDServiceURL: 'http://b',
  });
  expect(readEnvOverrides({MM_CALLS_MAX_PARTICIPANTS: '3'})).toEqual({MaxCallParticipants: '3'});
});

test('env overrides win over saved settings, are typed, and are re-applied after saving', async () => {
  const svc = new ConfigService(store().kv, {
    MM_CALLS_UDP_SERVER_PORT: '9000',
    MM_CALLS_ENABLE_I_PV6: 'true',
    MM_CALLS_ICE_SERVERS_CONFIGS: '[{"urls":["stun:s.example.com:3478"]}]',
    MM_CALLS_ICE_SERVERS: 'stun:a:1,stun:b:2',
  });
  const cfg = await svc.load();
  expect(cfg.UDPServerPort).toBe(9000);
  expect(cfg.EnableIPv6).toBe(true);
  expect(cfg.ICEServersConfigs).toEqual([{urls: ['stun:s.example.com:3478']}]);
  expect(cfg.ICEServers).toEqual(['stun:a:1', 'stun:b:2']);
  await svc.save({UDPServerPort: 9100, MaxCallParticipants: 7});
  expect(svc.get().UDPServerPort).toBe(9000);
  expect(svc.get().MaxCallParticipants).toBe(7);
  // Saved settings persist across restarts.
  const again = new ConfigService(store().kv, {});
  expect((await again.load()).MaxCallParticipants).toBe(7);
  // The deprecated ICEServers list reaches clients as one more entry.
  const client = buildClientConfig(cfg, {skuShortName: 'starter', professional: false, enterprise: false}, false);
  expect(client.ICEServersConfigs).toEqual([{urls: ['stun:s.example.com:3478']}, {urls: ['stun:a:1', 'stun:b:2']}]);
  expect(client.GroupCallsAllowed).toBe(false);
  expect(client.sku_short_name).toBe('starter');
});

test.each([
  [{MM_CALLS_UDP_SERVER_PORT: 'abc'}, 'UDPServerPort (from MM_CALLS_UDP_SERVER_PORT)'],
  [{MM_CALLS_UDP_SERVER_PORT: '70'}, 'UDPServerPort: 70 is not in the range [80, 49151]'],
  [{MM_CALLS_ENABLE_RINGING: 'maybe'}, 'EnableRinging (from MM_CALLS_ENABLE_RINGING)'],
  [{MM_CALLS_UDP_SERVER_ADDRESS: 'not-an-ip'}, 'UDPServerAddress'],
  [{MM_CALLS_ICE_SERVERS_CONFIGS: '{"urls":1}'}, 'ICEServersConfigs'],
  [{MM_CALLS_ICE_SERVERS_CONFIGS: '[{"urls":["http://x"]}]'}, 'ICEServersConfigs'],
  [{MM_CALLS_MAX_RECORDING_DURATION: '500'}, 'MaxRecordingDuration'],
  [{MM_CALLS_RECORDING_QUALITY: 'ultra'}, 'RecordingQuality'],
  [{MM_CALLS_ICE_HOST_PORT_OVERRIDE: '50000'}, 'ICEHostPortOverride'],
  [{MM_CALLS_RTCD_SERVICE_URL: 'ftp://x'}, 'RTCDServiceURL'],
  [{MM_CALLS_LIVE_CAPTIONS_LANGUAGE: 'english'}, 'LiveCaptionsLanguage'],
  [{MM_CALLS_MAX_CALL_PARTICIPANTS: '-1'}, 'MaxCallParticipants'],
  [{MM_CALLS_TURN_CREDENTIALS_EXPIRATION_MINUTES: '99999'}, 'TURNCredentialsExpirationMinutes'],
])('an invalid override %j fails with a message naming the setting', async (env, name) => {
  const svc = new ConfigService(store().kv, env);
  await expect(svc.load()).rejects.toThrow(ConfigError);
  await expect(new ConfigService(store().kv, env).load()).rejects.toThrow(name);
});

test('saving an invalid value changes nothing and names the setting', async () => {
  const svc = new ConfigService(store().kv, {});
  await svc.load();
  await expect(svc.save({TCPServerPort: 1})).rejects.toThrow('TCPServerPort');
  await expect(svc.save({NoSuchSetting: 1})).rejects.toThrow('unknown setting NoSuchSetting');
  expect(svc.get().TCPServerPort).toBe(8443);
  expect(await store().kv.get('plugin_settings')).toBeNull();
});

test('a change event fires when settings change', async () => {
  const svc = new ConfigService(store().kv, {});
  await svc.load();
  const seen: boolean[] = [];
  svc.on('change', (cfg) => seen.push(cfg.EnableVideo));
  await svc.save({EnableVideo: true});
  await svc.save({EnableVideo: true});
  expect(seen).toEqual([true]);
});

test('transcriptions and live captions cannot be turned on until they exist: the refusal says so', async () => {
  const svc = new ConfigService(store().kv, {});
  await svc.load();
  await expect(svc.save({EnableTranscriptions: true})).rejects.toThrow(
    'EnableTranscriptions cannot be turned on: call transcriptions are not available yet in this version of Calls',
  );
  await expect(svc.save({EnableLiveCaptions: 'true'})).rejects.toThrow(
    'EnableLiveCaptions cannot be turned on: live captions are not available yet in this version of Calls',
  );
  expect(svc.get().EnableTranscriptions).toBe(false);
  await expect(new ConfigService(store().kv, {MM_CALLS_ENABLE_TRANSCRIPTIONS: 'true'}).load()).rejects.toThrow(
    'EnableTranscriptions cannot be turned on',
  );
});

test('a saved value a newer rule refuses is dropped at load instead of stopping the server', async () => {
  await store().kv.set('plugin_settings', JSON.stringify({EnableTranscriptions: true, EnableVideo: true}));
  const svc = new ConfigService(store().kv, {});
  const cfg = await svc.load();
  expect(cfg.EnableTranscriptions).toBe(false);
  expect(cfg.EnableVideo).toBe(true);
});
