// A worker's node flags: a small young generation by default (its RSS), the operator's own flags kept, and the
// operator's own young-generation size winning. The flags really bound V8's new space in a process started with them.
import {execFileSync} from 'node:child_process';
import {workerNodeArgs} from './mediaWorker';

it('starts workers with a 2 MB semi-space unless MM_CALLS_RTC_WORKER_NODE_ARGS sets one', () => {
  expect(workerNodeArgs({})).toEqual(['--max-semi-space-size=2']);
  expect(workerNodeArgs({MM_CALLS_RTC_WORKER_NODE_ARGS: ' --trace-gc  --cpu-prof '})).toEqual([
    '--max-semi-space-size=2',
    '--trace-gc',
    '--cpu-prof',
  ]);
  expect(workerNodeArgs({MM_CALLS_RTC_WORKER_NODE_ARGS: '--max-semi-space-size=16 --trace-gc'})).toEqual([
    '--max-semi-space-size=16',
    '--trace-gc',
  ]);
  expect(workerNodeArgs({MM_CALLS_RTC_WORKER_NODE_ARGS: '--max_semi_space_size=8'})).toEqual([
    '--max_semi_space_size=8',
  ]);
});

it('bounds the new space of a process started with those flags', () => {
  // Objects that live a while (a window of 300,000 kept), as a worker's packets and timers do: V8 grows the new space
  // for them up to its bound.
  const script =
    'const keep = []; for (let i = 0; i < 4e6; i++) keep[i % 300000] = {i, a: [i]};' +
    "const s = require('v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');" +
    'console.log(s.space_size, keep.length);';
  const newSpace = (args: string[]) =>
    Number(execFileSync(process.execPath, [...args, '-e', script], {encoding: 'utf8'}).split(' ')[0]);
  const bounded = newSpace(workerNodeArgs({}));
  expect(bounded).toBeLessThanOrEqual(4 * 1024 * 1024);
  expect(newSpace(['--max-semi-space-size=16'])).toBeGreaterThan(bounded);
});
