// `npm start`'s server process: refuses bad settings with a message naming them, and on Ctrl-C ends
// active calls, closes the store and exits 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {silentLogger} from '../../server/src/log';
import {openStore} from '../../server/src/store';
import {api, login, WsTestClient} from '../support/calls-client';
import {spawnServer} from '../support/server-process';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');

function startServer(env: Record<string, string>) {
  return spawnServer(['--import', 'tsx', path.join(ROOT, 'server/src/main.ts')], ROOT, env);
}

test('an invalid environment override stops the start with a message naming the setting', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-start-'));
  try {
    const s = startServer({MM_CALLS_DATA_DIR: dataDir, MM_CALLS_MAX_RECORDING_DURATION: 'lots'});
    s.url.catch(() => undefined);
    expect(await s.exited).toBe(1);
    expect(s.output()).toContain(
      'Calls cannot start: invalid MaxRecordingDuration (from MM_CALLS_MAX_RECORDING_DURATION): "lots" is not an integer',
    );
  } finally {
    fs.rmSync(dataDir, {recursive: true, force: true});
  }
});

test('Ctrl-C ends active calls, closes the store and exits 0', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-start-'));
  let server: ReturnType<typeof startServer> | null = null;
  try {
    const s = (server = startServer({MM_CALLS_DATA_DIR: dataDir, MM_CALLS_DEFAULT_ENABLED: 'true'}));
    const url = await s.url;
    // stdout is a pipe here, as under a supervisor: the passwords go to a 0600 file, the banner says where.
    const file = path.join(dataDir, 'initial-passwords.txt');
    expect(s.output()).not.toContain('alice  / alice');
    expect(s.output()).toContain(`passwords are in ${file}`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toContain('alice  / alice');
    const alice = await login(url, 'alice');
    const teams = await api(url, alice.token, 'GET', '/api/v4/users/me/teams');
    const chans = await api(url, alice.token, 'GET', `/api/v4/users/me/teams/${teams.body[0].id}/channels`);
    const town = chans.body.find((c: {name: string}) => c.name === 'town-square').id;
    const ws = new WsTestClient(url, alice.token);
    await ws.connect();
    await ws.join(town);
    const start = await ws.waitFor('call_start');
    s.child.kill('SIGINT');
    expect(await s.exited).toBe(0);
    await ws.close();
    const store = await openStore({dataDir, logger: silentLogger()});
    try {
      const call = await store.calls.getCall(String(start.data.id));
      expect(call!.endAt).toBeGreaterThan(0);
      expect(await store.calls.getSessions(call!.id)).toEqual([]);
      const post = await store.db
        .selectFrom('standalone_posts')
        .selectAll()
        .where('id', '=', call!.postId)
        .executeTakeFirst();
      expect(post!.message).toBe('Call ended');
    } finally {
      await store.close();
    }
  } finally {
    // A failed assertion must not leave the server process behind.
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    fs.rmSync(dataDir, {recursive: true, force: true});
  }
});
