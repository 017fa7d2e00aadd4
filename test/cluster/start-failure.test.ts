// A cluster start that fails or hangs partway leaves no node process behind: what useCluster's afterAll
// does after a beforeAll that timed out (clusterRun.stop) kills the nodes already up and the one still
// starting, and a node that is not ready in time is killed by its own start.
import {clusterRun, startCluster} from './support/cluster';
import {SpawnedNodes} from './support/node';
import {alive} from '../support/processes';
import {waitFor} from '../support/wait';

jest.setTimeout(90_000);

it('stops the nodes of a start still pending (as after a beforeAll timeout)', async () => {
  const run = clusterRun(['up', 'starting']);
  const starting = run.start();
  starting.catch(() => undefined);
  // The first node is ready (the second is spawned only then) and the second has just been spawned.
  await waitFor(() => run.spawned.pids.length === 2, 60_000, 'the second node to be spawned');
  expect(run.spawned.pids.every(alive)).toBe(true);

  await run.stop();

  expect(run.spawned.pids.filter(alive)).toEqual([]);
  await expect(starting).rejects.toThrow();
  expect(() => run.cluster()).toThrow('the cluster did not start');
});

it('kills a node that is not ready in time and ends the start with the reason', async () => {
  const spawned = new SpawnedNodes();
  await expect(startCluster(['slow'], {readyTimeoutMs: 200, spawned})).rejects.toThrow(
    'node slow not ready after 200 ms (killed)',
  );
  expect(spawned.pids).toHaveLength(1);
  expect(spawned.pids.filter(alive)).toEqual([]);
});
