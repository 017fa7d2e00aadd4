// The store on both engines: migrations are idempotent, rows round-trip with their types intact.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {silentLogger} from '../../server/src/log';
import {openStore} from '../../server/src/store';
import type {Call} from '../../server/src/store/types';
import {createDatabase, type TestDatabase} from '../support/postgres';
import {engines} from '../support/server';

describe.each(engines())('store on %s', (engine) => {
  let dir: string;
  let db: TestDatabase | null = null;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-store-'));
    if (engine === 'postgres') db = await createDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(dir, {recursive: true, force: true});
  });
  const open = () => openStore({dataDir: dir, databaseURL: db?.url, logger: silentLogger()});

  test('migrations run once and again without change; rows round-trip', async () => {
    const s1 = await open();
    const call: Call = {
      id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa',
      channelId: 'bbbbbbbbbbbbbbbbbbbbbbbbbb',
      startAt: 1795000000123,
      endAt: 0,
      createAt: 1795000000123,
      deleteAt: 0,
      title: 'standup',
      postId: '',
      threadId: '',
      ownerId: 'cccccccccccccccccccccccccc',
      participants: [],
      stats: {screen_duration: 3, video_duration: 0, has_used_video: false, has_used_screen_share: true},
      props: {hosts: ['cccccccccccccccccccccccccc'], node_id: 'n1', participants: {cccccccccccccccccccccccccc: {}}},
    };
    await s1.calls.createCall(call);
    const session = {
      id: 'dddddddddddddddddddddddddd',
      callId: call.id,
      userId: call.ownerId,
      joinAt: 1795000000200,
      unmuted: true,
      raisedHand: 0,
      video: false,
    };
    await s1.calls.createSession(session);
    await s1.calls.upsertChannel({channelId: call.channelId, enabled: false, props: {}});
    await s1.calls.upsertChannel({channelId: call.channelId, enabled: true, props: {x: 1}});
    expect(await s1.kv.setIfAbsent('k', 'v1')).toBe(true);
    expect(await s1.kv.setIfAbsent('k', 'v2')).toBe(false);
    await s1.close();

    const s2 = await open();
    expect(await s2.calls.getActiveCallByChannel(call.channelId)).toEqual(call);
    expect(await s2.calls.getSessions(call.id)).toEqual([session]);
    expect(await s2.calls.getChannel(call.channelId)).toEqual({
      channelId: call.channelId,
      enabled: true,
      props: {x: 1},
    });
    expect(await s2.kv.get('k')).toBe('v1');
    await s2.calls.updateCall({...call, endAt: 1795000001000, participants: [call.ownerId]});
    expect(await s2.calls.getActiveCallByChannel(call.channelId)).toBeNull();
    expect((await s2.calls.getCall(call.id))!.participants).toEqual([call.ownerId]);
    await s2.close();
    await s2.close();
  });
});
