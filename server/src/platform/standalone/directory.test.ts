// The standalone directory's platform events (what calls/ follows): a member removed, a user deactivated
// (their logins revoked too), a channel archived — each told once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {silentLogger} from '../../log';
import {openStore, type Store} from '../../store';
import {FakeClock} from '../../testing/fake-clock';
import {RecordingPublisher} from '../../testing/recording-publisher';
import {StandaloneDirectory} from './directory';

let dataDir: string;
let store: Store;
let dir: StandaloneDirectory;
let told: string[];

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-dir-'));
  store = await openStore({dataDir, logger: silentLogger()});
  dir = new StandaloneDirectory({
    db: store.db,
    clock: new FakeClock(),
    logger: silentLogger(),
    events: new RecordingPublisher(),
    siteURL: () => 'http://x',
    dataDir,
  });
  told = [];
  dir.on('channelMemberRemoved', (ch, u) => told.push(`removed ${ch} ${u}`));
  dir.on('userDeactivated', (u) => told.push(`deactivated ${u}`));
  dir.on('channelDeleted', (ch) => told.push(`deleted ${ch}`));
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dataDir, {recursive: true, force: true});
});

test('removing a member and archiving a channel are told; an archive is told once', async () => {
  const alice = await dir.createUser({username: 'alice', password: 'alice'});
  const team = await dir.createTeam('t', 'T');
  const ch = await dir.createChannel(
    {team_id: team.id, type: 'O', name: 'c', display_name: 'C', creator_id: alice.id},
    [alice.id],
  );
  await dir.removeChannelMember(ch.id, alice.id, alice.id);
  await dir.archiveChannel(ch.id);
  await dir.archiveChannel(ch.id);
  expect(told).toEqual([`removed ${ch.id} ${alice.id}`, `deleted ${ch.id}`]);
  expect((await dir.getChannel(ch.id))!.delete_at).toBeGreaterThan(0);
});

test('a deactivated user is told once, loses every login and cannot log in again', async () => {
  const bob = await dir.createUser({username: 'bob', password: 'bob-pw'});
  const {token} = await dir.login('bob', 'bob-pw');
  expect(await dir.authenticateToken(token)).toEqual({userID: bob.id, token});
  await dir.deactivateUser(bob.id);
  await dir.deactivateUser(bob.id);
  expect(told).toEqual([`deactivated ${bob.id}`]);
  expect(await dir.authenticateToken(token)).toBeNull();
  await expect(dir.login('bob', 'bob-pw')).rejects.toMatchObject({status: 401});
});
