// rtcd's API and signalling websocket over TLS (api.http.tls.*), with a private CA made for the test by openssl:
// a plugin node given the CA (MM_CALLS_TLS_CA_CERT_FILE) drives a call through the https/wss host and audio
// flows both ways; a node trusting another CA refuses the host with a clear logged error and never uses it;
// the host speaks TLS 1.2 or later only, on the P-256 curve only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import pino from 'pino';
import {createApp, type App} from '../../server/src/app';
import {makeTestPki, type TestPki} from '../support/tls-certs';
import {waitFor} from '../support/wait';
import {rtcdModeOptions, startRtcdFleet, talkingPair, useRtcdModeServer} from './support';

jest.setTimeout(60_000);

const NAME = 'rtcd.tls.test';
const IP = '127.0.0.1';
let pki: TestPki;
const t = useRtcdModeServer(
  () => {
    pki = makeTestPki([NAME]);
    return startRtcdFleet(NAME, [IP], undefined, {certFile: pki.certFile, certKey: pki.keyFile});
  },
  () => ({MM_CALLS_TLS_CA_CERT_FILE: pki.caFile}),
);
const apps: App[] = [];
const dirs: string[] = [];
t.cleanups.push(async () => {
  for (const a of apps) await a.close().catch(() => undefined);
});

afterAll(() => {
  pki?.remove();
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true});
});

test('a node trusting the private CA runs a call on the https/wss rtcd host: audio both ways', async () => {
  expect(t.fleet.url).toMatch(/^https:\/\//);
  const {ch} = await talkingPair(t.w, t.srv.url, t.srv.url, t.users);
  const call = await t.srv.app.store.calls.getActiveCallByChannel(ch);
  expect(call?.props.rtcd_host).toBe(IP);
  expect(t.fleet.services.get(IP)!.sessions.size).toBe(2);
});

test('a node trusting another CA refuses the host: an error is logged, the host is never used', async () => {
  const lines: string[] = [];
  const logger = pino({level: 'info'}, {write: (line: string) => void lines.push(line)});
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-tls-wrong-ca-'));
  dirs.push(dataDir);
  const mode = rtcdModeOptions(t.fleet);
  const before = t.fleet.services.get(IP)!.sessions.size;
  const app = await createApp({
    host: '127.0.0.1',
    port: 0,
    seed: true,
    dataDir,
    logger,
    ...mode,
    env: {...mode.env, MM_CALLS_TLS_CA_CERT_FILE: pki.otherCaFile},
  });
  apps.push(app);
  const refusal = () =>
    lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => /certificate not trusted/.test(String(l.msg)));
  // New addresses wait up to 5 s (upstream's jitter) before their first connection.
  await waitFor(async () => refusal() !== undefined, 15_000, 'the refusal logged');
  const logged = refusal()!;
  expect(logged.level).toBe(50);
  expect(logged).toMatchObject({ip: IP, code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'});
  expect(String(logged.hint)).toMatch(/MM_CALLS_TLS_CA_CERT_FILE/);
  // Nothing from this node reached rtcd.
  expect(lines.some((l) => /rtcd host connected/.test(l))).toBe(false);
  expect(t.fleet.services.get(IP)!.sessions.size).toBe(before);
});

/** A raw TLS handshake with the host's API port; resolves with what was negotiated or the refusal. */
function handshake(
  opts: tls.ConnectionOptions,
): Promise<{ok: true; protocol: string | null; curve: string | undefined} | {ok: false; err: string}> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: IP,
      port: t.fleet.port,
      servername: NAME,
      ca: fs.readFileSync(pki.caFile),
      ...opts,
    });
    socket.once('secureConnect', () => {
      resolve({
        ok: true,
        protocol: socket.getProtocol(),
        curve: (socket.getEphemeralKeyInfo() as {name?: string} | null)?.name,
      });
      socket.destroy();
    });
    socket.once('error', (err) => resolve({ok: false, err: err.message}));
  });
}

test('the API speaks TLS 1.2 or later on P-256 only: TLS 1.1 and other curves are refused', async () => {
  expect(await handshake({maxVersion: 'TLSv1.2'})).toEqual({ok: true, protocol: 'TLSv1.2', curve: 'prime256v1'});
  expect(await handshake({})).toEqual({ok: true, protocol: 'TLSv1.3', curve: 'prime256v1'});
  // The client side allows TLS 1.1 (OpenSSL's level 0), so a refusal is the server's.
  const old = await handshake({minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0'});
  expect(old).toMatchObject({ok: false, err: expect.stringMatching(/protocol version|unsupported protocol/i)});
  const x25519 = await handshake({ecdhCurve: 'X25519'});
  expect(x25519.ok).toBe(false);
});
