// Beside Mattermost (the fake, test/support/fake-mattermost, written from the API documentation): settings saved
// in Mattermost's System Console (PluginSettings.Plugins, lower-cased keys) apply without a restart, MM_CALLS_*
// variables still win and a refused value keeps the one in force; `/call` is registered in every team as a
// custom slash command, repaired when deleted or edited, and a use of it goes Mattermost → our /slash route
// (the command's token) → the standalone `/call` handler → Mattermost's ephemeral post.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createApp} from '../../server/src/app';
import type {CallsConfig} from '../../server/src/config/types';
import {manifestJson, PLUGIN_ID} from '../../server/src/config/schema';
import {mattermostPlatformFactory} from '../../server/src/platform/mattermost';
import {api} from '../support/calls-client';
import {FakeMattermost} from '../support/fake-mattermost/server';
import {startBesideMattermost, useBesideMattermost} from '../support/fake-mattermost/service';
import {RecordingRtcServer} from '../support/recording-rtc';

import {waitFor} from '../support/wait';

jest.setTimeout(40_000);

const P = `/plugins/${PLUGIN_ID}`;

/** A recorder that only stays alive (the recording's start is what `/call recording start` does here). */
const RECORDER = `setInterval(() => undefined, 1000);
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));`;

describe('beside Mattermost: settings from its System Console and the /call slash command', () => {
  const mm = new FakeMattermost();
  const d = mm.data;
  d.installPlugin(manifestJson);
  const bot = d.addCallsBot();
  const alice = d.addUser('alice');
  const bob = d.addUser('bob');
  const carol = d.addUser('carol');
  const root = d.addUser('root', {roles: 'system_user system_admin'});
  const team = d.addTeam('team', [alice.user.id, bob.user.id, carol.user.id]);
  const other = d.addTeam('other', [alice.user.id]);
  const town = d.addChannel(team.id, 'O', 'town', alice.user.id);
  d.addChannelMember(town.id, alice.user.id, true);
  d.addChannelMember(town.id, bob.user.id);
  let channels = 0;
  const newChannel = () => {
    const ch = d.addChannel(team.id, 'O', `chan-${++channels}`, alice.user.id);
    d.addChannelMember(ch.id, alice.user.id, true);
    d.addChannelMember(ch.id, bob.user.id);
    return ch;
  };
  // What the admin saved before the service first started.
  d.savePluginSettings(PLUGIN_ID, {DefaultEnabled: true, MaxCallParticipants: 0, AllowScreenSharing: true});

  const side = useBesideMattermost(
    mm,
    bot.token,
    {
      platform: {membershipPollMs: 500, settingsPollMs: 300, commandSyncMs: 500},
      recorderCommand: [process.execPath, '-e', RECORDER],
      // The operator's variable wins over whatever the admin saves in Mattermost.
      env: {MM_CALLS_ALLOW_SCREEN_SHARING: 'false'},
    },
    () => [...d.commands.values()].map((c) => c.token),
  );
  const clientConfig = async (token = alice.token) => (await api(side.srv.url, token, 'GET', `${P}/config`)).body;
  /** What a user sees after typing the command in Mattermost (its POST /commands/execute). */
  const execute = (token: string, command: string, channelID = town.id) =>
    api(mm.url, token, 'POST', '/api/v4/commands/execute', {command, channel_id: channelID});
  const callCommand = (teamID: string) =>
    [...d.commands.values()].find((c) => c.team_id === teamID && c.trigger === 'call' && c.delete_at === 0);
  const slashURL = () => `${side.srv.app.platform.siteURL()}${P}/slash`;
  const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${side.srv.url}${P}/slash`, {
      method: 'POST',
      headers: {'Content-Type': 'application/x-www-form-urlencoded', ...headers},
      body: new URLSearchParams(body).toString(),
    });

  describe('settings', () => {
    test('the values saved in Mattermost are in force from the start; an MM_CALLS_* variable wins over them', async () => {
      const cfg = await clientConfig();
      expect(cfg).toEqual(expect.objectContaining({DefaultEnabled: true, MaxCallParticipants: 0}));
      expect(cfg.AllowScreenSharing).toBe(false);
      // DefaultEnabled from Mattermost: calls are on in a channel nobody switched.
      expect((await api(side.srv.url, alice.token, 'GET', `${P}/${town.id}`)).body.enabled).toBe(true);
    });

    test('a setting changed in Mattermost takes effect without a restart: open tabs are told, a third joiner is refused', async () => {
      const ch = newChannel();
      d.addChannelMember(ch.id, carol.user.id);
      const a = await side.connect(alice.token);
      const b = await side.connect(bob.token);
      const c = await side.connect(carol.token);
      await a.join(ch.id);
      d.savePluginSettings(PLUGIN_ID, {MaxCallParticipants: 2, AllowScreenSharing: true});
      await a.waitFor('config_changed', undefined, 5000);
      expect(await clientConfig()).toEqual(
        expect.objectContaining({MaxCallParticipants: 2, AllowScreenSharing: false}),
      );
      await b.join(ch.id);
      await expect(c.join(ch.id)).rejects.toThrow(/limit/);
      d.savePluginSettings(PLUGIN_ID, {MaxCallParticipants: 0});
      await waitFor(async () => (await clientConfig()).MaxCallParticipants === 0, 5000, 'the limit lifted');
      await c.join(ch.id);
    });

    test('a value the validation refuses is logged and ignored: the value in force stays, the other changes apply', async () => {
      const before = await clientConfig();
      const inForce = side.srv.app.config.get();
      const ringing = !before.EnableRinging;
      d.savePluginSettings(PLUGIN_ID, {
        MaxCallParticipants: -5,
        DefaultEnabled: 'maybe',
        ICEHostOverride: 'not a host; rm -rf',
        UDPServerAddress: {nested: [1, {deeper: true}]},
        LiveCaptionsLanguage: 'x\u0000y',
        NotASetting: 'ignored',
        EnableRinging: ringing,
      });
      await waitFor(async () => (await clientConfig()).EnableRinging === ringing, 5000, 'the valid change');
      const after = await clientConfig();
      expect(after).toEqual(expect.objectContaining({MaxCallParticipants: 0, DefaultEnabled: true}));
      expect(side.srv.app.config.get()).toEqual(
        expect.objectContaining({
          ICEHostOverride: inForce.ICEHostOverride,
          UDPServerAddress: inForce.UDPServerAddress,
          LiveCaptionsLanguage: inForce.LiveCaptionsLanguage,
        }),
      );
      const log = side.logLines.join('');
      for (const key of [
        'MaxCallParticipants',
        'DefaultEnabled',
        'ICEHostOverride',
        'UDPServerAddress',
        'LiveCaptionsLanguage',
      ])
        expect(log).toMatch(new RegExp(`"setting":"${key}"[^\\n]*refused`));
      // Refused once, logged once: the same bad value read again is not logged again.
      const refusals = () => (side.logLines.join('').match(/"setting":"MaxCallParticipants"/g) ?? []).length;
      const n = refusals();
      await new Promise((r) => setTimeout(r, 1000));
      expect(refusals()).toBe(n);
      // Fixed in Mattermost: applied.
      d.savePluginSettings(PLUGIN_ID, {MaxCallParticipants: 7, DefaultEnabled: true});
      await waitFor(async () => (await clientConfig()).MaxCallParticipants === 7, 5000, 'the fixed value');
      d.savePluginSettings(PLUGIN_ID, {MaxCallParticipants: 0});
      await waitFor(async () => (await clientConfig()).MaxCallParticipants === 0, 5000, 'the limit lifted');
    });

    test('a secret Mattermost shows as its fake value does not replace the one in force', async () => {
      await side.srv.app.config.save({TURNStaticAuthSecret: 'kept-secret'});
      const ringing = !(await clientConfig()).EnableRinging;
      d.savePluginSettings(PLUGIN_ID, {TURNStaticAuthSecret: 'set-in-mattermost', EnableRinging: ringing});
      await waitFor(async () => (await clientConfig()).EnableRinging === ringing, 5000, 'the sync');
      // GET /api/v4/config masks secret plugin settings: the service cannot read them, so keeps its own.
      expect(side.srv.app.config.get().TURNStaticAuthSecret).toBe('kept-secret');
    });

    test('a service account without the system admin role cannot read them: said once in the log, the service runs', async () => {
      const {srv: weak, logLines: lines} = await startBesideMattermost(mm, carol.token);
      try {
        expect(lines.join('')).toMatch(/may not read Mattermost’s config \(it needs the system admin role\)/);
        expect((await api(weak.url, alice.token, 'GET', `${P}/version`)).status).toBe(200);
      } finally {
        await weak.stop();
      }
    });

    test('read before the media server starts, and kept through a restart while Mattermost is down', async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-mm-settings-'));
      const other = new FakeMattermost();
      const od = other.data;
      od.installPlugin(manifestJson);
      const calls = od.addCallsBot();
      od.savePluginSettings(PLUGIN_ID, {UDPServerPort: 9123, MaxCallParticipants: 3});
      await other.start();
      const rtcSaw: CallsConfig[] = [];
      const start = () =>
        createApp({
          dataDir,
          host: '127.0.0.1',
          port: 0,
          seed: false,
          platform: mattermostPlatformFactory({settingsPollMs: 300}),
          rtc: async (cfg) => {
            rtcSaw.push(cfg);
            return new RecordingRtcServer();
          },
          env: {
            MM_CALLS_PLATFORM: 'mattermost',
            MM_CALLS_MATTERMOST_URL: other.url,
            MM_CALLS_MATTERMOST_TOKEN: calls.token,
          },
        });
      try {
        const first = await start();
        await first.close();
        // The port saved in Mattermost is the one the media server was made with, on the very first start.
        expect(rtcSaw[0]).toEqual(expect.objectContaining({UDPServerPort: 9123, MaxCallParticipants: 3}));
        await other.stop();
        const second = await start();
        try {
          expect(second.config.get()).toEqual(expect.objectContaining({UDPServerPort: 9123, MaxCallParticipants: 3}));
          expect(rtcSaw[1]).toEqual(expect.objectContaining({UDPServerPort: 9123}));
        } finally {
          await second.close();
        }
      } finally {
        await other.stop();
        fs.rmSync(dataDir, {recursive: true, force: true});
      }
    });

    test("Mattermost's config is for system admins only", async () => {
      expect((await api(mm.url, alice.token, 'GET', '/api/v4/config')).status).toBe(403);
      const cfg = await api(mm.url, root.token, 'GET', '/api/v4/config');
      expect(cfg.status).toBe(200);
      expect(cfg.body.PluginSettings.Plugins[PLUGIN_ID].turnstaticauthsecret).toBe('*'.repeat(32));
    });
  });

  describe('the /call slash command', () => {
    test('is created at start in every team, pointing at the service', async () => {
      await waitFor(() => Boolean(callCommand(team.id) && callCommand(other.id)), 10_000, '/call in both teams');
      for (const t of [team.id, other.id])
        expect(callCommand(t)).toEqual(
          expect.objectContaining({
            creator_id: bot.user.id,
            method: 'P',
            url: slashURL(),
            auto_complete: true,
            auto_complete_hint: '[command]',
          }),
        );
    });

    test('a round trip answers as the standalone /call does, as an ephemeral post for that user only', async () => {
      await waitFor(() => Boolean(callCommand(team.id)), 10_000, '/call');
      const link = await execute(alice.token, '/call link');
      expect(link.status).toBe(200);
      const expected = `Call link: ${side.srv.app.platform.siteURL()}/team/channels/${town.id}?join_call=true`;
      expect(link.body).toEqual(expect.objectContaining({response_type: 'ephemeral', text: expected}));
      expect(d.ephemeral.some((e) => e.user_id === alice.user.id && e.post.message === expected)).toBe(true);
      const help = await execute(bob.token, '/call help');
      expect(help.body.text).toMatch(/^Usage: `\/call <subcommand>`/);
      expect((await execute(bob.token, '/call nope')).body.text).toMatch(/^Invalid subcommand: nope/);
    });

    test('/call recording start and stop do what they say, for the host only', async () => {
      d.savePluginSettings(PLUGIN_ID, {EnableRecordings: true});
      await waitFor(() => side.srv.app.config.get().EnableRecordings, 5000, 'recordings enabled from Mattermost');
      const ch = newChannel();
      const a = await side.connect(alice.token);
      const b = await side.connect(bob.token);
      await a.join(ch.id);
      await b.join(ch.id);
      await a.waitFor('user_joined', (e) => e.data.session_id === b.connID);
      expect((await execute(bob.token, '/call recording start', ch.id)).body.text).toBe(
        'Error: no permissions to record',
      );
      expect((await execute(alice.token, '/call recording start', ch.id)).body.text).toBe('Recording is starting.');
      await b.waitFor('call_job_state', undefined, 5000);
      expect((await execute(alice.token, '/call recording stop', ch.id)).body.text).toBe('Recording has stopped.');
    });

    test('deleted or edited in Mattermost, it is put back', async () => {
      await waitFor(() => Boolean(callCommand(team.id)), 10_000, '/call');
      const first = callCommand(team.id)!;
      expect((await api(mm.url, root.token, 'DELETE', `/api/v4/commands/${first.id}`)).status).toBe(200);
      await waitFor(() => Boolean(callCommand(team.id)), 5000, '/call recreated');
      const second = callCommand(team.id)!;
      expect(second.id).not.toBe(first.id);
      // An admin points it elsewhere and turns autocomplete off: repaired in place (same id and token).
      const edited = {...second, url: 'https://elsewhere.example.com/hook', auto_complete: false};
      expect((await api(mm.url, root.token, 'PUT', `/api/v4/commands/${second.id}`, edited)).status).toBe(200);
      await waitFor(() => callCommand(team.id)?.url === slashURL(), 5000, '/call repaired');
      expect(callCommand(team.id)).toEqual(expect.objectContaining({id: second.id, auto_complete: true}));
      expect((await execute(alice.token, '/call help')).status).toBe(200);
    });

    test('a regenerated token is learnt on the first use; a wrong or another team’s token gets 401 without detail', async () => {
      await waitFor(() => Boolean(callCommand(team.id) && callCommand(other.id)), 10_000, '/call');
      const cmd = callCommand(team.id)!;
      const regen = await api(mm.url, root.token, 'PUT', `/api/v4/commands/${cmd.id}/regen_token`);
      expect(regen.status).toBe(200);
      // Within the 10 s re-check window the old token may be what the service knows: the use is retried.
      await waitFor(async () => (await execute(alice.token, '/call help')).status === 200, 15_000, 'the new token');

      const form = {team_id: team.id, channel_id: town.id, user_id: alice.user.id, text: 'help'};
      const wrong = await post({...form, token: 'abcdefghijklmnopqrstuvwxyz'});
      expect(wrong.status).toBe(401);
      const body = await wrong.text();
      expect(body).not.toMatch(/token|team/i);
      // The other team's token does not open this team.
      expect((await post({...form, token: callCommand(other.id)!.token})).status).toBe(401);
      expect((await post({...form, token: ''})).status).toBe(401);
      // The right token in the form, a wrong one in the header: refused.
      const token = callCommand(team.id)!.token;
      expect((await post({...form, token}, {Authorization: 'Token abcdefghijklmnopqrstuvwxyz'})).status).toBe(401);
      expect((await post({...form, token})).status).toBe(200);
      // The header alone, as Mattermost also sends it.
      const viaHeader = await post(form, {Authorization: `Token ${token}`});
      expect(viaHeader.status).toBe(200);
      expect((await viaHeader.json()).text).toMatch(/^Usage/);
    });

    test('the user and channel are checked again: a non-member, an unknown user or a channel of another team is refused', async () => {
      await waitFor(() => Boolean(callCommand(team.id)), 10_000, '/call');
      const token = callCommand(team.id)!.token;
      const form = {token, team_id: team.id, channel_id: town.id, user_id: carol.user.id, text: 'link'};
      expect((await post(form)).status).toBe(403);
      expect((await post({...form, user_id: 'abcdefghijklmnopqrstuvwxyz'})).status).toBe(403);
      const elsewhere = d.addChannel(other.id, 'O', 'elsewhere', alice.user.id);
      d.addChannelMember(elsewhere.id, alice.user.id);
      expect((await post({...form, user_id: alice.user.id, channel_id: elsewhere.id})).status).toBe(403);
      expect((await post({...form, user_id: '../users/me'})).status).toBe(400);
      expect((await post({...form, user_id: alice.user.id})).status).toBe(200);
    });

    test('someone else’s /call in a team is left alone, and the reason logged', async () => {
      const third = d.addTeam('third', [alice.user.id]);
      // Made in the same tick as the team, so the service cannot have registered its own first.
      const theirs = {...callCommand(team.id)!, id: 'theirscommandid0000000000a', team_id: third.id};
      Object.assign(theirs, {creator_id: root.user.id, url: 'https://theirs.example.com/call', token: 'theirtoken'});
      d.commands.set(theirs.id, theirs);
      await waitFor(() => side.logLines.join('').includes('made by someone else'), 5000, 'the log line');
      await new Promise((r) => setTimeout(r, 700));
      expect([...d.commands.values()].filter((c) => c.team_id === third.id && c.delete_at === 0)).toEqual([
        expect.objectContaining({id: theirs.id, url: 'https://theirs.example.com/call'}),
      ]);
    });

    test('custom slash commands disabled in Mattermost: said once in the log; /call is back once they are enabled', async () => {
      await waitFor(() => Boolean(callCommand(team.id)), 10_000, '/call');
      d.config.ServiceSettings.EnableCommands = false;
      try {
        callCommand(team.id)!.delete_at = Date.now();
        const said = () =>
          (side.logLines.join('').match(/custom slash commands are disabled in Mattermost/g) ?? []).length;
        await waitFor(() => said() > 0, 5000, 'the log line');
        await new Promise((r) => setTimeout(r, 1200));
        expect(said()).toBe(1);
      } finally {
        d.config.ServiceSettings.EnableCommands = true;
      }
      await waitFor(() => Boolean(callCommand(team.id)), 5000, '/call recreated');
    });

    test('each user is rate-limited', async () => {
      await waitFor(() => Boolean(callCommand(team.id)), 10_000, '/call');
      const token = callCommand(team.id)!.token;
      const texts: string[] = [];
      for (let i = 0; i < 14; i++) {
        const r = await post({token, team_id: team.id, channel_id: town.id, user_id: bob.user.id, text: 'help'});
        texts.push(((await r.json()) as {text: string}).text);
      }
      expect(texts.filter((t) => /Too many commands/.test(t)).length).toBeGreaterThan(0);
      // Another user is not affected.
      expect((await execute(alice.token, '/call help')).body.text).toMatch(/^Usage/);
    });
  });
});
