// Post updates waiting for Mattermost: the latest version of a post is sent once it answers, a refusal drops
// the update, and an update sent directly meanwhile makes the waiting one obsolete.
import {AppError} from '../../errors';
import {silentLogger} from '../../log';
import type {Post} from '../types';
import {PendingPostUpdates} from './post-updates';

const post = (id: string, message: string) => ({id, message}) as Post;
const down = () => new AppError('app.calls.mattermost.unreachable', 'Mattermost is unreachable', 503);

function setup() {
  const sent: string[] = [];
  let fail: (() => Error) | null = down;
  const updates = new PendingPostUpdates({
    send: async (p) => {
      if (fail) throw fail();
      sent.push(`${p.id}:${p.message}`);
    },
    logger: silentLogger(),
    retryMs: 3600_000,
  });
  return {sent, updates, setFail: (f: (() => Error) | null) => (fail = f)};
}

test('while Mattermost is down updates wait; once it answers the latest version of each post is sent', async () => {
  const {sent, updates, setFail} = setup();
  updates.defer(post('p1', 'one'));
  updates.defer(post('p2', 'two'));
  updates.defer(post('p1', 'one, later'));
  expect(updates.get('p1')?.message).toBe('one, later');
  await updates.flush();
  expect(sent).toEqual([]);
  expect(updates.size).toBe(2);
  setFail(null);
  await updates.flush();
  expect(sent).toEqual(['p2:two', 'p1:one, later']);
  expect(updates.size).toBe(0);
  updates.close();
});

test('a refusal drops the update; a direct update settles the waiting one', async () => {
  const {sent, updates, setFail} = setup();
  updates.defer(post('p1', 'gone'));
  updates.defer(post('p2', 'old'));
  updates.settled('p2');
  setFail(() => new AppError('app.calls.mattermost.not_found', 'Not found.', 404));
  await updates.flush();
  expect(updates.size).toBe(0);
  expect(sent).toEqual([]);
  updates.close();
});
