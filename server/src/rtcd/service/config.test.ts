// rtcd settings come from defaults, a TOML file and RTCD_* variables, in that order, with the
// reference's names; a bad value is refused naming the setting.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {defaultRtcdConfig, listenHostPort, loadRtcdConfig, RtcdConfigError} from './config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcd-config-'));
afterAll(() => fs.rmSync(dir, {recursive: true, force: true}));

function file(text: string): string {
  const p = path.join(dir, `c${Math.random().toString(36).slice(2)}.toml`);
  fs.writeFileSync(p, text);
  return p;
}

test('defaults are upstream rtcd defaults', () => {
  const c = loadRtcdConfig({env: {}});
  expect(c.api.listenAddress).toBe(':8045');
  expect(c.rtc.icePortUDP).toBe(8443);
  expect(c.rtc.icePortTCP).toBe(8443);
  expect(c.api.allowSelfRegistration).toBe(false);
  expect(c.api.sessionCacheExpirationMinutes).toBe(1440);
  expect(c.store.dataSource).toBe('/tmp/rtcd_db');
  expect(c.rtc.nackBufferSize).toBe(256);
  expect(loadRtcdConfig({file: path.join(dir, 'missing.toml'), env: {}})).toEqual(defaultRtcdConfig());
});

test('the TOML file overrides defaults and RTCD_* variables override the file', () => {
  const f = file(`
[api.http]
listen_address = "127.0.0.1:9045"
[api.security]
allow_self_registration = true
[rtc]
ice_port_udp = 9443
ice_host_override = "1.2.3.4"
ice_servers = ["stun:stun.example.com:3478", {urls = ["turn:turn.example.com:3478"], username = "u", credential = "c"}]
[rtc.turn]
static_auth_secret = "s3cret"
[store]
data_source = "/var/lib/rtcd"
`);
  const c = loadRtcdConfig({
    file: f,
    env: {RTCD_RTC_ICEPORTUDP: '10443', RTCD_API_SECURITY_ALLOWSELFREGISTRATION: 'false'},
  });
  expect(c.api.listenAddress).toBe('127.0.0.1:9045');
  expect(c.rtc.icePortUDP).toBe(10443);
  expect(c.api.allowSelfRegistration).toBe(false);
  expect(c.rtc.iceHostOverride).toBe('1.2.3.4');
  expect(c.rtc.turnStaticAuthSecret).toBe('s3cret');
  expect(c.store.dataSource).toBe('/var/lib/rtcd');
  expect(c.rtc.iceServers).toEqual([
    {urls: ['stun:stun.example.com:3478']},
    {urls: ['turn:turn.example.com:3478'], username: 'u', credential: 'c'},
  ]);
});

test('RTCD_RTC_ICESERVERS is JSON: a list of URLs or of {urls, username, credential}', () => {
  expect(loadRtcdConfig({env: {RTCD_RTC_ICESERVERS: '["stun:a:3478"]'}}).rtc.iceServers).toEqual([
    {urls: ['stun:a:3478']},
  ]);
  expect(
    loadRtcdConfig({env: {RTCD_RTC_ICESERVERS: '[{"urls":["turns:b:5349"],"username":"x","credential":"y"}]'}}).rtc
      .iceServers,
  ).toEqual([{urls: ['turns:b:5349'], username: 'x', credential: 'y'}]);
});

test.each([
  [{RTCD_RTC_ICEPORTUDP: '70'}, /rtc.ice_port_udp/],
  [{RTCD_RTC_ICEPORTTCP: 'abc'}, /RTCD_RTC_ICEPORTTCP/],
  [{RTCD_RTC_NACKBUFFERSIZE: '100'}, /nack_buffer_size/],
  [{RTCD_RTC_ICESERVERS: '["http://x"]'}, /must start with stun/],
  [{RTCD_RTC_ICESERVERS: 'stun:x'}, /RTCD_RTC_ICESERVERS: expected JSON/],
  [{RTCD_API_SECURITY_ENABLEADMIN: 'maybe'}, /RTCD_API_SECURITY_ENABLEADMIN/],
  [{RTCD_API_SECURITY_ENABLEADMIN: 'true'}, /admin_secret_key/],
  [{RTCD_RTC_ICEADDRESSUDP: '10.0.0.1,not-an-ip'}, /not an IP address/],
  [{RTCD_API_SECURITY_SESSIONCACHE_EXPIRATIONMINUTES: '0'}, /expiration_minutes/],
  [{RTCD_RTC_TURNCONFIG_STATICAUTHSECRET: 'x', RTCD_RTC_TURNCONFIG_CREDENTIALSEXPIRATIONMINUTES: '20000'}, /one week/],
])('refuses %j naming the setting', (env, message) => {
  expect(() => loadRtcdConfig({env})).toThrow(RtcdConfigError);
  expect(() => loadRtcdConfig({env})).toThrow(message);
});

test('a file that is not TOML, or a value of the wrong type in it, is refused', () => {
  expect(() => loadRtcdConfig({file: file('[api\nx='), env: {}})).toThrow(/not valid TOML/);
  expect(() => loadRtcdConfig({file: file('[rtc]\nice_port_udp = "8443"'), env: {}})).toThrow(
    /rtc.ice_port_udp: expected a whole number/,
  );
});

test('listen_address splits into host and port', () => {
  expect(listenHostPort(':8045')).toEqual({host: '0.0.0.0', port: 8045});
  expect(listenHostPort('127.0.0.2:9000')).toEqual({host: '127.0.0.2', port: 9000});
  expect(listenHostPort('[::1]:9000')).toEqual({host: '::1', port: 9000});
});

test('TLS on: the certificate is loaded when the settings are read, so a bad path stops the start naming it', () => {
  expect(() =>
    loadRtcdConfig({
      env: {
        RTCD_API_HTTP_TLS_ENABLE: 'true',
        RTCD_API_HTTP_TLS_CERTFILE: path.join(dir, 'missing.pem'),
        RTCD_API_HTTP_TLS_CERTKEY: path.join(dir, 'missing.key'),
      },
    }),
  ).toThrow(/^api\.http\.tls\.cert_file: cannot read .*missing\.pem: ENOENT$/);
  expect(() => loadRtcdConfig({env: {RTCD_API_HTTP_TLS_ENABLE: 'true'}})).toThrow(RtcdConfigError);
  const notPem = file('not a certificate');
  expect(() =>
    loadRtcdConfig({
      env: {RTCD_API_HTTP_TLS_ENABLE: 'true', RTCD_API_HTTP_TLS_CERTFILE: notPem, RTCD_API_HTTP_TLS_CERTKEY: notPem},
    }),
  ).toThrow(/^api\.http\.tls: cannot use cert_file/);
});
