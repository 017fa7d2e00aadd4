// The settings sync against an in-memory Mattermost config and a sink with a cross-field rule: only changes are
// saved, a refused value is logged once and tried again when another setting changes, a 403 or an outage keeps
// the settings in force.
import {Writable} from 'node:stream';
import pino from 'pino';
import {AppError, badRequest} from '../../errors';
import type {MattermostClient} from './client';
import {SettingsSync} from './settings-sync';

function setup() {
  const plugin: Record<string, unknown> = {};
  let failure: AppError | null = null;
  const client = {
    json: async () => {
      if (failure) throw failure;
      return {PluginSettings: {Plugins: {'com.mattermost.calls': structuredClone(plugin)}}};
    },
  } as unknown as MattermostClient;
  const saves: Record<string, unknown>[] = [];
  const applied: Record<string, unknown> = {};
  // "maxcallparticipants" above 10 needs "enablesimulcast" on (a rule that involves two settings).
  const sink = {
    save: async (values: Record<string, unknown>) => {
      saves.push({...values});
      const next = {...applied, ...values};
      if (Number(next.maxcallparticipants) > 10 && next.enablesimulcast !== true)
        throw badRequest('app.calls.config.invalid', 'too many without simulcast', {setting: 'MaxCallParticipants'});
      Object.assign(applied, values);
    },
  };
  const lines: string[] = [];
  const logger = pino(
    {level: 'info'},
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  const sync = new SettingsSync({client, sink, logger, intervalMs: 3600_000});
  const fail = (e: AppError | null) => (failure = e);
  return {plugin, saves, applied, lines, sync, fail};
}

test('only changed values are saved; unknown keys are ignored; keys are matched whatever their case', async () => {
  const {plugin, saves, applied, sync} = setup();
  Object.assign(plugin, {defaultenabled: true, NotOurs: 1, EnableRinging: true});
  await sync.sync();
  expect(saves).toEqual([{defaultenabled: true, enableringing: true}]);
  await sync.sync();
  expect(saves).toHaveLength(1);
  plugin.defaultenabled = false;
  await sync.sync();
  expect(saves[1]).toEqual({defaultenabled: false});
  expect(applied).toEqual({defaultenabled: false, enableringing: true});
});

test('a refused value is logged once, the rest applied; it is tried again when another setting changes', async () => {
  const {plugin, applied, lines, sync} = setup();
  Object.assign(plugin, {maxcallparticipants: 20, defaultenabled: true});
  await sync.sync();
  expect(applied).toEqual({defaultenabled: true});
  await sync.sync();
  const refusals = lines.filter((l) => l.includes('"setting":"MaxCallParticipants"'));
  expect(refusals).toHaveLength(1);
  expect(refusals[0]).toMatch(/refused; the value in force is kept/);
  plugin.enablesimulcast = true;
  await sync.sync();
  expect(applied).toEqual({defaultenabled: true, enablesimulcast: true, maxcallparticipants: 20});
});

test('a service account that may not read the config is logged once; an outage changes nothing', async () => {
  const {plugin, saves, lines, sync, fail} = setup();
  plugin.defaultenabled = true;
  fail(new AppError('app.calls.mattermost.forbidden', 'no', 403));
  await sync.sync();
  await sync.sync();
  expect(lines.filter((l) => l.includes('may not read'))).toHaveLength(1);
  fail(new AppError('app.calls.mattermost.unreachable', 'down', 503));
  await sync.sync();
  expect(saves).toHaveLength(0);
  fail(null);
  await sync.sync();
  expect(saves).toEqual([{defaultenabled: true}]);
});

test('a plugin entry that is not an object, or a prototype key, changes nothing', async () => {
  const {plugin, saves, sync} = setup();
  Object.assign(plugin, JSON.parse('{"__proto__": {"defaultenabled": true}, "constructor": 1}'));
  await sync.sync();
  expect(saves).toHaveLength(0);
});
