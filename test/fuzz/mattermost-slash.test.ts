// Fuzz of the route Mattermost posts `/call` to (POST /plugins/com.mattermost.calls/slash), which exists only
// beside Mattermost (the fake, test/support/fake-mattermost): ≥ 1,500 hostile requests — forms with missing,
// repeated, huge, wrongly encoded and prototype-named fields, the real command token or not (in the form, the
// header, another team's), other content types and methods, bodies over the limit — half of them carrying the
// real token so they reach the handler. Asserted: no 5xx, no leaked internals, nothing but 401 without the
// team's token, an answer in Mattermost's slash response shape, and a real `/call` still works afterwards.
// FUZZ_SEED=<n> replays a run, FUZZ_SCALE=<x> multiplies the count.
import http from 'node:http';
import {PLUGIN_ID, manifestJson} from '../../server/src/config/schema';
import {api} from '../support/calls-client';
import {FakeMattermost} from '../support/fake-mattermost/server';
import {startBesideMattermost} from '../support/fake-mattermost/service';
import type {TestServer} from '../support/server';
import {waitFor} from '../support/wait';
import {Findings, shorten, Tally} from './support/findings';
import {fuzzScale, fuzzSeed, Rng} from './support/rng';
import {encodeComponent, findLeak, hostileString, randomId} from './support/values';

jest.setTimeout(180_000);

const PATH = `/plugins/${PLUGIN_ID}/slash`;
const SUBCOMMANDS = ['help', 'link', 'start', 'join', 'leave', 'end', 'logs', 'stats e30=', 'recording start', 'x'];

interface Answer {
  status: number;
  body: string;
}

/** Keep-alive sockets that already have a listener for late errors (a reset while a big body is still sent). */
const guarded = new WeakSet<object>();

function send(baseURL: string, agent: http.Agent, method: string, headers: Record<string, string>, body: string) {
  const {hostname, port} = new URL(baseURL);
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request({host: hostname, port: Number(port), method, path: PATH, headers, agent, timeout: 10_000});
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}));
      res.on('error', reject);
    });
    req.on('socket', (s) => {
      if (guarded.has(s)) return;
      guarded.add(s);
      s.on('error', () => undefined);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(method === 'GET' ? undefined : body);
  });
}

describe('fuzz: the /call route beside Mattermost', () => {
  const seed = fuzzSeed();
  const count = Math.round(1500 * fuzzScale());
  const mm = new FakeMattermost();
  const d = mm.data;
  d.installPlugin(manifestJson);
  const bot = d.addCallsBot();
  const users = Array.from({length: 20}, (_, i) => d.addUser(`user${i}`));
  // Kept out of the fuzz (its rate limit untouched): the user who checks /call still works afterwards.
  const dave = d.addUser('dave');
  const team = d.addTeam('team', [...users.map((u) => u.user.id), dave.user.id]);
  const other = d.addTeam('other', [users[0].user.id]);
  const town = d.addChannel(team.id, 'O', 'town', users[0].user.id);
  for (const u of [...users.slice(0, 15), dave]) d.addChannelMember(town.id, u.user.id);
  const elsewhere = d.addChannel(other.id, 'O', 'elsewhere', users[0].user.id);
  d.addChannelMember(elsewhere.id, users[0].user.id);
  let srv: TestServer;

  beforeAll(async () => {
    await mm.start();
    ({srv} = await startBesideMattermost(mm, bot.token, {
      platform: {commandSyncMs: 2000},
      env: {MM_CALLS_DEFAULT_ENABLED: 'true'},
    }));
  });

  afterAll(async () => {
    await srv?.stop();
    await mm.stop();
  });

  test(`${count} hostile requests: no 5xx, no leak, 401 without the team's token, a real /call works after`, async () => {
    const command = (teamID: string) =>
      [...d.commands.values()].find((c) => c.team_id === teamID && c.trigger === 'call' && c.delete_at === 0);
    await waitFor(() => Boolean(command(team.id) && command(other.id)), 10_000, '/call in both teams');
    const token = command(team.id)!.token;
    const otherToken = command(other.id)!.token;
    const rng = new Rng(seed).fork('mattermost-slash');
    const ctx = {ids: [team.id, other.id, town.id, elsewhere.id, ...users.map((u) => u.user.id)]};
    const findings = new Findings();
    const byStatus = new Tally();
    const agent = new http.Agent({keepAlive: true, maxSockets: 8});

    // Near-valid requests (every field real but maybe one) reach the handler; the rest test the refusals.
    let nearValid = false;
    const value = (real: string): string =>
      nearValid && rng.chance(0.9)
        ? real
        : rng.weighted([
            [6, () => real],
            [2, () => hostileString(rng, ctx, 20_000)],
            [1, () => randomId(rng)],
            [1, () => rng.pick(ctx.ids)],
            [1, () => ''],
          ] as const)();
    const plan = () => {
      const withToken = rng.chance(0.5);
      nearValid = withToken && rng.chance(0.6);
      const t = withToken ? token : rng.pick([otherToken, randomId(rng), '', 'x'.repeat(5000), token + 'x']);
      const fields: [string, string][] = [];
      const add = (k: string, v: string) => {
        if (nearValid || rng.chance(0.9)) fields.push([k, v]);
        if (rng.chance(0.03)) fields.push([k, v]); // repeated
      };
      add('token', t);
      add('team_id', value(nearValid || rng.chance(0.9) ? team.id : other.id));
      add('channel_id', value(nearValid || rng.chance(0.8) ? town.id : elsewhere.id));
      add('user_id', value(rng.pick(users.slice(0, nearValid ? 15 : 20)).user.id));
      add('text', rng.chance(0.6) ? rng.pick(SUBCOMMANDS) : hostileString(rng, ctx, 30_000));
      add('root_id', value(''));
      if (rng.chance(0.2)) fields.push([rng.pick(['__proto__', 'constructor[prototype]', 'command', 'x']), 'y']);
      let body = fields.map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`).join('&');
      if (rng.chance(0.05)) body = body.replace(/%[0-9A-F]{2}/, rng.pick(['%zz', '%', '%00', '%E0%A4']));
      if (rng.chance(0.03)) body += '&pad=' + 'p'.repeat(rng.pick([70 * 1024, 2 * 1024 * 1024]));
      const headers: Record<string, string> = {
        'Content-Type': rng.weighted([
          [8, 'application/x-www-form-urlencoded'],
          [1, 'application/json'],
          [
            1,
            rng.pick([
              'text/plain',
              'multipart/form-data; boundary=x',
              '',
              'application/x-www-form-urlencoded; charset=latin1',
            ]),
          ],
        ] as const),
      };
      if (headers['Content-Type'] === 'application/json' && rng.chance(0.5))
        body = JSON.stringify(Object.fromEntries(fields));
      if (rng.chance(0.3))
        headers.Authorization = rng.pick([
          `Token ${t}`,
          `Token ${token}`,
          `Bearer ${token}`,
          'Token',
          `Token ${'y'.repeat(3000)}`,
        ]);
      const method = rng.chance(0.95) ? 'POST' : rng.pick(['GET', 'PUT', 'DELETE', 'PATCH']);
      return {method, headers, body};
    };

    let planned = 0;
    let handled = 0;
    const worker = async () => {
      while (planned < count) {
        planned++;
        const p = plan();
        const input = `${p.method} ${JSON.stringify(p.headers)} ${shorten(p.body, 200)}`;
        let a: Answer;
        try {
          a = await send(srv.url, agent, p.method, p.headers, p.body);
        } catch (err) {
          // A connection closed on a body over the limit is an answer too; a request never answered is not.
          const msg = (err as Error).message;
          if (/no answer/.test(msg)) findings.add('slash', msg, input);
          byStatus.add('error');
          continue;
        }
        byStatus.add(String(a.status));
        if (a.status >= 500) findings.add('slash', `answered ${a.status}: ${shorten(a.body, 200)}`, input);
        const leak = findLeak(a.body);
        if (leak) findings.add('slash', `body leaks internals: ${leak}`, input);
        if (a.status === 200) {
          handled++;
          const sent = new URLSearchParams(p.body);
          const header = /^Token\s+(\S+)$/i.exec(p.headers.Authorization ?? '')?.[1];
          const tokens = sent.getAll('token');
          const usedToken = tokens.length === 1 && tokens[0] !== '' ? tokens[0] : header;
          // A request may be fully valid for the other team (its token, its id, its channel, its member).
          const teamID = sent.getAll('team_id')[0];
          const ownToken = teamID === team.id ? token : teamID === other.id ? otherToken : undefined;
          if (ownToken === undefined || usedToken !== ownToken)
            findings.add('slash', 'answered 200 without the team’s command token', input);
          let parsed: {response_type?: unknown; text?: unknown} = {};
          try {
            parsed = JSON.parse(a.body) as typeof parsed;
          } catch {
            findings.add('slash', `200 that is not JSON: ${shorten(a.body, 100)}`, input);
          }
          if (parsed.response_type !== 'ephemeral' || typeof parsed.text !== 'string')
            findings.add('slash', `200 not in the slash response shape: ${shorten(a.body, 100)}`, input);
        }
      }
    };
    await Promise.all(Array.from({length: 8}, worker));
    agent.destroy();
    console.log(`mattermost /slash fuzz (seed ${seed}): ${count} requests, ${handled} handled; ${byStatus}`);
    expect(findings.list).toEqual([]);
    expect(handled).toBeGreaterThan(20);

    // After all that, a user's /call through Mattermost still answers.
    const after = await api(mm.url, dave.token, 'POST', '/api/v4/commands/execute', {
      command: '/call help',
      channel_id: town.id,
    });
    expect(after.status).toBe(200);
    expect(after.body.text).toMatch(/^Usage/);
  });
});
