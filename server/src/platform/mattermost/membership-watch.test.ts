// The membership watch on an in-memory Mattermost: removals and deletions become events, a failed read
// concludes nothing, and channels nobody asks about are dropped.
import {silentLogger} from '../../log';
import {type ChannelSnapshot, MembershipWatch} from './membership-watch';

const watches: MembershipWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.close();
});

/** A watch over `channels` (an Error: that read fails), recording what it reports; closed after the test. */
function setup(idleMs?: number) {
  const channels = new Map<string, ChannelSnapshot | Error>();
  const removed: [string, string][] = [];
  const deleted: string[] = [];
  const loads: string[] = [];
  const watch = new MembershipWatch({
    load: async (id) => {
      loads.push(id);
      const c = channels.get(id) ?? {deleted: true, memberIDs: []};
      if (c instanceof Error) throw c;
      return c;
    },
    onMemberRemoved: (ch, u) => removed.push([ch, u]),
    onChannelDeleted: (ch) => deleted.push(ch),
    logger: silentLogger(),
    intervalMs: 3600_000,
    idleMs,
  });
  watches.push(watch);
  return {channels, removed, deleted, loads, watch};
}

test('a member gone since the last read is reported once; one added is not', async () => {
  const {channels, removed, watch} = setup();
  watch.interest('c1');
  watch.observe('c1', ['alice', 'bob']);
  channels.set('c1', {deleted: false, memberIDs: ['alice', 'carol']});
  await watch.poll();
  expect(removed).toEqual([['c1', 'bob']]);
  await watch.poll();
  expect(removed).toEqual([['c1', 'bob']]);
});

test('a failed read concludes nothing; the next one compares with the last list known', async () => {
  const {channels, removed, deleted, watch} = setup();
  watch.interest('c1');
  watch.observe('c1', ['alice', 'bob']);
  channels.set('c1', new Error('Mattermost is unreachable'));
  await watch.poll();
  expect(removed).toEqual([]);
  expect(deleted).toEqual([]);
  channels.set('c1', {deleted: false, memberIDs: ['alice']});
  await watch.poll();
  expect(removed).toEqual([['c1', 'bob']]);
});

test('a deleted channel is reported once and no longer read', async () => {
  const {channels, deleted, loads, watch} = setup();
  watch.interest('c1');
  channels.set('c1', {deleted: true, memberIDs: []});
  await watch.poll();
  await watch.poll();
  expect(deleted).toEqual(['c1']);
  expect(loads).toEqual(['c1']);
});

test('only channels asked about are read, and an idle one is dropped', async () => {
  const {channels, loads, watch} = setup(-1);
  channels.set('c1', {deleted: false, memberIDs: []});
  await watch.poll();
  expect(loads).toEqual([]);
  watch.interest('c1');
  // idleMs < 0: the interest is already too old.
  await watch.poll();
  await watch.poll();
  expect(loads).toEqual([]);
});
