// The removal batcher: removals of one call that arrive one microtask apart (as leaves do when their media closes)
// ride in one batch, later ones in the next, other calls in their own; a lock that times out fails its batch only.
import {InProcessCallLock, lockTimeoutError, type CallLock} from './lock';
import {RemovalBatcher} from './removal-batch';

function recorder(lock: CallLock = new InProcessCallLock()) {
  const batches: {callID: string; ids: string[]}[] = [];
  const batcher = new RemovalBatcher(lock, async (callID, ids) => {
    batches.push({callID, ids: [...ids]});
  });
  return {batches, batcher};
}

test('removals arriving one microtask apart ride in one batch', async () => {
  const {batches, batcher} = recorder();
  const done: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) {
    done.push(batcher.remove('ch', 'call', `s${i}`));
    await Promise.resolve();
  }
  await Promise.all(done);
  expect(batches).toEqual([{callID: 'call', ids: Array.from({length: 50}, (_, i) => `s${i}`)}]);
});

test('a removal after its batch started goes in the next one; another call has its own', async () => {
  const {batches, batcher} = recorder();
  const first = batcher.remove('ch', 'call', 'a');
  const other = batcher.remove('ch2', 'call2', 'x');
  await first;
  await Promise.all([batcher.remove('ch', 'call', 'b'), other]);
  expect(batches).toEqual([
    {callID: 'call', ids: ['a']},
    {callID: 'call2', ids: ['x']},
    {callID: 'call', ids: ['b']},
  ]);
});

test('a lock that times out fails that batch only; the next removal starts a fresh batch', async () => {
  let fail = true;
  const lock: CallLock = {
    withLock: async (channelID, fn) => {
      if (fail) throw lockTimeoutError(channelID);
      return fn();
    },
  };
  const {batches, batcher} = recorder(lock);
  await expect(batcher.remove('ch', 'call', 'a')).rejects.toMatchObject({id: 'app.calls.lock_timeout'});
  fail = false;
  await batcher.remove('ch', 'call', 'b');
  expect(batches).toEqual([{callID: 'call', ids: ['b']}]);
});
