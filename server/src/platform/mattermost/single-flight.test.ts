import {singleFlight} from './single-flight';

it('joins a run in flight, reports a failure without throwing, and starts afresh after a run ends', async () => {
  let runs = 0;
  let release: () => void = () => undefined;
  const errors: string[] = [];
  const sync = singleFlight(
    () => {
      runs++;
      return runs === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.reject(new Error('down'));
    },
    (err) => errors.push(err.message),
  );
  const first = sync();
  const joined = sync();
  expect(runs).toBe(1);
  release();
  await Promise.all([first, joined]);
  await expect(sync()).resolves.toBeUndefined();
  expect({runs, errors}).toEqual({runs: 2, errors: ['down']});
});
