// Recording jobs on a real server (reference calls-protocol §4.3, §8.2; rtcd-offloader §7.4–7.5). The
// recorder here is a scripted bot: the in-process runner spawns a tiny program that writes the environment it
// got and waits, and the test plays the recorder with that environment — the websocket join with the bot's
// token and jobID, the bot API over HTTP. It is a contract test of the recorder's protocol, not of a recorder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {type App, createApp} from '../../server/src/app';
import {START_TIMEOUT_ERR} from '../../server/src/jobs/recording-jobs';
import {api, type ServerEvent, WsTestClient} from '../support/calls-client';
import {callOf, type World, useSeededServer} from '../support/fixtures';
import {RecordingRtcServer} from '../support/recording-rtc';
import type {TestServer} from '../support/server';
import {waitFor} from '../support/wait';

jest.setTimeout(30_000);
const P = '/plugins/com.mattermost.calls';

/**
 * The scripted recorder process: writes its env to <envOut>/<CALL_ID>.json, exits 3 if <envOut>/fail exists, else
 * waits until its IPC channel closes or SIGTERM. (<envOut> is its argument: MM_CALLS_RECORDER_ENV_OUT would not
 * reach it, the recorder gets only its own variables.)
 */
const SCRIPT = `
const fs = require('fs'), out = process.argv[1];
if (fs.existsSync(out + '/fail')) process.exit(3);
// Written whole, then renamed: the test must never read half a file.
const f = out + '/' + process.env.CALL_ID + '.json';
fs.writeFileSync(f + '.tmp', JSON.stringify(process.env));
fs.renameSync(f + '.tmp', f);
// Alive until the server closes its IPC channel (the in-process runner's "parent is gone") or stops it.
setInterval(() => undefined, 1000);
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
`;

/** Whether `client` heard a `*<suffix>` event about a user outside `known` (the recorder's bot must stay unseen). */
function eventAboutOthers(client: WsTestClient, suffix: string, known: string[]): boolean {
  return client.events.some((e) => e.event.endsWith(suffix) && !known.includes(e.data.user_id as string));
}

function scriptedRecorder(envOut: string) {
  return {
    recorderCommand: [process.execPath, '-e', SCRIPT, envOut],
    env: {
      MM_CALLS_DEFAULT_ENABLED: 'true',
      MM_CALLS_RECORDING_START_TIMEOUT_MS: '2500',
    },
  };
}

type Env = Record<string, string>;

/** The environment the runner gave the recorder of this channel's recording. */
async function recorderEnvOf(envOut: string, channelID: string): Promise<Env> {
  const f = path.join(envOut, `${channelID}.json`);
  await waitFor(() => fs.existsSync(f), 5000, 'the recorder to start');
  return JSON.parse(fs.readFileSync(f, 'utf8')) as Env;
}

/** The scripted recorder's side: its websocket and its bot API calls, with the token it was given. */
class ScriptedBot {
  ws: WsTestClient;
  constructor(
    readonly url: string,
    readonly env: Env,
  ) {
    this.ws = new WsTestClient(url, env.AUTH_TOKEN);
  }
  async join(): Promise<void> {
    await this.ws.connect({challenge: true});
    await this.ws.join(this.env.CALL_ID, {jobID: this.env.RECORDING_ID});
  }
  api(method: string, p: string, body?: unknown) {
    return api(this.url, this.env.AUTH_TOKEN, method, `${P}/bot${p}`, body);
  }
  status(status: string, err?: string) {
    return this.api('POST', `/calls/${this.env.CALL_ID}/jobs/${this.env.RECORDING_ID}/status`, {
      JobType: 'recording',
      Status: status,
      ...(err ? {omitempty: err} : {}),
    });
  }
  async upload(bytes: Buffer, chunks: Buffer[]): Promise<{statuses: number[]; file: {id: string}}> {
    const s = await this.api('POST', '/uploads', {
      channel_id: this.env.CALL_ID,
      filename: 'rec.mp4',
      file_size: bytes.length,
    });
    expect(s.status).toBe(200);
    const statuses: number[] = [];
    let file: {id: string} = {id: ''};
    for (const c of chunks) {
      const r = await fetch(`${this.url}${P}/bot/uploads/${s.body.id}`, {
        method: 'POST',
        headers: {Authorization: `Bearer ${this.env.AUTH_TOKEN}`, 'Content-Type': 'application/octet-stream'},
        body: new Uint8Array(c),
      });
      statuses.push(r.status);
      if (r.status === 200) file = (await r.json()) as {id: string};
      else expect((await this.api('GET', `/uploads/${s.body.id}`)).body.file_offset).toBeGreaterThan(0);
    }
    return {statuses, file};
  }
}

const jobStateOf = (e: ServerEvent) =>
  e.data.jobState as {init_at: number; start_at: number; end_at: number; err?: string};

describe('recording jobs', () => {
  const envOut = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-rec-env-'));
  let srv: TestServer;
  let w: World;
  const bots: ScriptedBot[] = [];
  const {connect} = useSeededServer({...scriptedRecorder(envOut)}, async (s, world) => {
    srv = s;
    w = world;
    await srv.app.config.save({EnableRecordings: true});
  });
  afterEach(async () => {
    await Promise.all(bots.splice(0).map((b) => b.ws.close()));
  });
  afterAll(() => fs.rmSync(envOut, {recursive: true, force: true}));

  const rec = (who: keyof World['users'], ch: string, action: string) =>
    api(srv.url, w.users[who].token, 'POST', `${P}/calls/${ch}/recording/${action}`);
  const bot = async (ch: string) => {
    const b = new ScriptedBot(srv.url, await recorderEnvOf(envOut, ch));
    bots.push(b);
    return b;
  };
  const joinCall = async (ch: string, ...names: (keyof World['users'])[]) => {
    const list: WsTestClient[] = [];
    for (const n of names) {
      const c = await connect(n);
      await c.join(ch);
      list.push(c);
    }
    return list;
  };

  test('host starts, the bot joins unseen and starts, the host stops, the file is posted and served to members only', async () => {
    const ch = await w.newChannel(['alice', 'bob'], 'P');
    const [alice, bob] = await joinCall(ch, 'alice', 'bob');
    expect((await rec('bob', ch, 'start')).body.message).toBe('no permissions to record');

    const started = await rec('alice', ch, 'start');
    expect(started.status).toBe(200);
    expect(started.body).toEqual(expect.objectContaining({type: 'recording', start_at: 0, end_at: 0}));
    const init = await bob.waitFor('call_job_state', (e) => jobStateOf(e).init_at > 0);
    expect(init.data.callID).toBe(ch);
    expect((await rec('alice', ch, 'start')).body.message).toBe('recording already in progress');

    const b = await bot(ch);
    // The recorder's environment (reference §8): the quality profile, the ids, the bot's token, our DATA_DIR.
    expect(b.env).toEqual(
      expect.objectContaining({CALL_ID: ch, WIDTH: '1280', HEIGHT: '720', FRAME_RATE: '20', VIDEO_RATE: '1500'}),
    );
    expect(b.env.SITE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(b.env.AUTH_TOKEN).toMatch(/^[a-z0-9]{26}$/);
    // A token of its own for this job, not the platform's bot token (beside Mattermost: the service's admin token).
    expect(b.env.AUTH_TOKEN).not.toBe(await srv.app.platform.botToken());
    expect(b.env.DATA_DIR.startsWith(srv.dataDir)).toBe(true);
    expect(b.env.POST_ID).toBe(callOf(await alice.waitFor('call_state')).post_id);
    await b.join();
    // Invisible: nobody hears of it, and the call state does not list it.
    const state = await api(srv.url, w.users.alice.token, 'GET', `${P}/${ch}`);
    expect(state.body.call.sessions.map((s: {user_id: string}) => s.user_id).sort()).toEqual(
      [w.users.alice.user.id, w.users.bob.user.id].sort(),
    );
    expect(state.body.call.host_id).toBe(w.users.alice.user.id);
    expect(eventAboutOthers(bob, 'user_joined', [w.users.alice.user.id, w.users.bob.user.id])).toBe(false);

    expect((await b.status('started')).status).toBe(200);
    await bob.waitFor('call_job_state', (e) => jobStateOf(e).start_at > 0);
    expect((await b.status('started')).status).toBe(400);

    expect((await rec('alice', ch, 'stop')).status).toBe(200);
    const stop = await b.ws.waitFor('job_stop');
    expect(stop.data.job_id).toBe(b.env.RECORDING_ID);
    await bob.waitFor('call_job_state', (e) => jobStateOf(e).end_at > 0);
    expect((await rec('alice', ch, 'stop')).body.message).toBe('no recording in progress');

    const bytes = Buffer.from('0123456789abcdef');
    const up = await b.upload(bytes, [bytes.subarray(0, 6), bytes.subarray(6)]);
    expect(up.statuses).toEqual([204, 200]);
    const posted = await b.api('POST', `/calls/${ch}/recordings`, {
      jobid: b.env.RECORDING_ID, // Go matches keys case-insensitively
      PostID: b.env.POST_ID,
      FileIDs: [up.file.id],
    });
    expect(posted.status).toBe(200);
    const thread = await api(srv.url, w.users.bob.token, 'GET', `/api/v4/posts/${b.env.POST_ID}/thread`);
    const recPost = Object.values(thread.body.posts as Record<string, Record<string, unknown>>).find(
      (p) => p.type === 'custom_calls_recording',
    )!;
    expect(recPost).toEqual(
      expect.objectContaining({
        file_ids: [up.file.id],
        root_id: b.env.POST_ID,
        props: expect.objectContaining({recording_id: b.env.RECORDING_ID, call_post_id: b.env.POST_ID}),
      }),
    );
    const callPost = thread.body.posts[b.env.POST_ID];
    expect(callPost.props.recordings[b.env.RECORDING_ID]).toEqual({file_id: up.file.id, post_id: recPost.id});

    const file = await fetch(`${srv.url}/api/v4/files/${up.file.id}`, {
      headers: {Authorization: `Bearer ${w.users.bob.token}`},
    });
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).toString()).toBe(bytes.toString());
    const part = await fetch(`${srv.url}/api/v4/files/${up.file.id}`, {
      headers: {Authorization: `Bearer ${w.users.bob.token}`, Range: 'bytes=2-5'},
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 2-5/${bytes.length}`);
    expect(await part.text()).toBe('2345');
    const info = await api(srv.url, w.users.bob.token, 'GET', `/api/v4/files/${up.file.id}/info`);
    expect(info.body).toEqual(expect.objectContaining({id: up.file.id, size: bytes.length, mime_type: 'video/mp4'}));
    // dave is not in the private channel.
    expect((await api(srv.url, w.users.dave.token, 'GET', `/api/v4/files/${up.file.id}`)).status).toBe(403);
    // The same file cannot be posted twice.
    const again = await b.api('POST', `/calls/${ch}/recordings`, {
      JobID: b.env.RECORDING_ID,
      PostID: b.env.POST_ID,
      FileIDs: [up.file.id],
    });
    expect(again.status).toBe(400);
  });

  test('recordings disabled: start is refused and nothing is created', async () => {
    const ch = await w.newChannel(['alice']);
    const [alice] = await joinCall(ch, 'alice');
    await srv.app.config.save({EnableRecordings: false});
    try {
      const r = await rec('alice', ch, 'start');
      expect(r.status).toBe(403);
      expect(r.body.message).toBe('Recordings are not enabled');
      const slash = await api(srv.url, w.users.alice.token, 'POST', '/api/v4/commands/execute', {
        command: '/call recording start',
        channel_id: ch,
      });
      expect(slash.body.text).toBe('Error: Recordings are not enabled');
    } finally {
      await srv.app.config.save({EnableRecordings: true});
    }
    expect(alice.events.some((e) => e.event.endsWith('call_job_state'))).toBe(false);
  });

  test('/call recording start|stop: the host records, others get the route errors', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const [, bob] = await joinCall(ch, 'alice', 'bob');
    const slash = (who: keyof World['users'], cmd: string) =>
      api(srv.url, w.users[who].token, 'POST', '/api/v4/commands/execute', {command: cmd, channel_id: ch});
    expect((await slash('bob', '/call recording start')).body.text).toBe('Error: no permissions to record');
    expect((await slash('alice', '/call recording stop')).body.text).toBe('Error: no recording in progress');
    expect((await slash('alice', '/call recording start')).body.text).toBe('Recording is starting.');
    await bob.waitFor('call_job_state', (e) => jobStateOf(e).init_at > 0);
    expect((await slash('alice', '/call recording stop')).body.text).toBe('Recording has stopped.');
    await bob.waitFor('call_job_state', (e) => jobStateOf(e).end_at > 0);
  });

  test('no call → refused; the watchdog ends a job whose bot never starts', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    expect((await rec('alice', ch, 'start')).body.message).toBe('no call ongoing');
    const [, bob] = await joinCall(ch, 'alice', 'bob');
    expect((await rec('alice', ch, 'start')).status).toBe(200);
    const failed = await bob.waitFor('call_job_state', (e) => Boolean(jobStateOf(e).err), 6000);
    expect(jobStateOf(failed).err).toBe(START_TIMEOUT_ERR);
    expect(jobStateOf(failed).end_at).toBeGreaterThan(0);
    // The job is over: a late bot can neither join nor start it.
    const b = await bot(ch);
    await expect(b.join()).rejects.toThrow(/no recording job/);
    expect((await b.status('started')).status).toBe(400);
  });

  test('the bot leaving ends the job; the bot cannot join a job twice or a job of another call', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const [, bob] = await joinCall(ch, 'alice', 'bob');
    await rec('alice', ch, 'start');
    const b = await bot(ch);
    // A user who is not the bot cannot join for a job.
    const carol = await connect('alice');
    await expect(carol.join(ch, {jobID: b.env.RECORDING_ID})).rejects.toThrow(/only the recorder/);
    await b.join();
    await b.status('started');
    await bob.waitFor('call_job_state', (e) => jobStateOf(e).start_at > 0);
    b.ws.send('leave');
    const ended = await bob.waitFor('call_job_state', (e) => jobStateOf(e).end_at > 0);
    expect(jobStateOf(ended).err).toBeUndefined();
    expect(eventAboutOthers(bob, 'user_left', [w.users.alice.user.id, w.users.bob.user.id])).toBe(false);
  });

  test('when only the bot remains the call ends and the recording stops', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const [alice] = await joinCall(ch, 'alice');
    const watcher = await connect('bob');
    await rec('alice', ch, 'start');
    const b = await bot(ch);
    await b.join();
    await b.status('started');
    alice.send('leave');
    await b.ws.waitFor('job_stop', (e) => e.data.job_id === b.env.RECORDING_ID);
    await watcher.waitFor('call_job_state', (e) => jobStateOf(e).end_at > 0);
    await waitFor(async () => !(await srv.app.calls.getActiveCall(ch)), 3000, 'the call to end');
  });

  test('a recorder process that fails ends the job with its error', async () => {
    const ch = await w.newChannel(['alice', 'bob']);
    const [, bob] = await joinCall(ch, 'alice', 'bob');
    fs.writeFileSync(path.join(envOut, 'fail'), '');
    try {
      await rec('alice', ch, 'start');
      const failed = await bob.waitFor('call_job_state', (e) => Boolean(jobStateOf(e).err), 5000);
      expect(jobStateOf(failed).err).toMatch(/recorder exited with code 3/);
    } finally {
      fs.rmSync(path.join(envOut, 'fail'));
    }
    // Ended: a new recording may start.
    expect((await rec('alice', ch, 'start')).status).toBe(200);
    await rec('alice', ch, 'stop');
  });

  test('the bot API: the bot only, valid ids and bodies only, nothing written on bad input', async () => {
    const ch = await w.newChannel(['alice']);
    await joinCall(ch, 'alice');
    await rec('alice', ch, 'start');
    const b = await bot(ch);
    for (const p of ['/calls/' + ch + '/filename', '/channels/' + ch, '/uploads/' + ch]) {
      expect((await api(srv.url, w.users.admin.token, 'GET', `${P}/bot${p}`)).status).toBe(403);
    }
    expect((await api(srv.url, '', 'GET', `${P}/bot/channels/${ch}`)).status).toBe(401);
    const fname = await b.api('GET', `/calls/${ch}/filename`);
    expect(fname.body.filename).toMatch(/^Call_Test_\d+_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$/);
    expect((await b.api('GET', `/channels/${ch}`)).body.id).toBe(ch);
    expect((await b.api('GET', `/users/${w.users.alice.user.id}/image`)).status).toBe(200);
    const count = async (t: 'standalone_uploads' | 'standalone_files' | 'standalone_posts') =>
      Number(
        (
          await srv.app.store.db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = [
      await count('standalone_uploads'),
      await count('standalone_files'),
      await count('standalone_posts'),
    ];
    const bad: [string, string, unknown][] = [
      ['GET', '/channels/NOT-AN-ID', undefined],
      ['GET', `/calls/${ch}x/filename`, undefined],
      ['POST', '/uploads', {channel_id: ch, filename: 'a.mp4', file_size: -1}],
      ['POST', '/uploads', {channel_id: ch, filename: '../etc/passwd', file_size: 5}],
      ['POST', '/uploads', {channel_id: 'x', filename: 'a.mp4', file_size: 5}],
      ['POST', `/calls/${ch}/jobs/${b.env.RECORDING_ID}/status`, {JobType: 'recording', Status: 'done'}],
      ['POST', `/calls/${ch}/jobs/${b.env.RECORDING_ID}/status`, {JobType: 'bogus', Status: 'started'}],
      ['POST', `/calls/${ch}/jobs/${ch}/status`, {JobType: 'recording', Status: 'started'}],
      ['POST', `/calls/${ch}/recordings`, {JobID: b.env.RECORDING_ID, PostID: b.env.POST_ID, FileIDs: []}],
      ['POST', `/calls/${ch}/recordings`, {JobID: b.env.RECORDING_ID, PostID: b.env.POST_ID, FileIDs: [ch]}],
      ['POST', `/calls/${ch}/recordings`, 'not json'],
    ];
    for (const [method, p, body] of bad) {
      const r = await b.api(method, p, body);
      expect([p, r.status]).toEqual([p, 400]);
    }
    // Too many bytes for the upload: refused, offset unchanged.
    const s = await b.api('POST', '/uploads', {channel_id: ch, filename: 'a.mp4', file_size: 4});
    const big = await fetch(`${srv.url}${P}/bot/uploads/${s.body.id}`, {
      method: 'POST',
      headers: {Authorization: `Bearer ${b.env.AUTH_TOKEN}`},
      body: new TextEncoder().encode('too many bytes'),
    });
    expect(big.status).toBe(400);
    expect((await b.api('GET', `/uploads/${s.body.id}`)).body.file_offset).toBe(0);
    expect([
      await count('standalone_uploads'),
      await count('standalone_files'),
      await count('standalone_posts'),
    ]).toEqual([before[0] + 1, before[1], before[2]]);
    await rec('alice', ch, 'stop');
  });
});

describe('recording limits and restarts', () => {
  const dirs: string[] = [];
  const apps: App[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
    for (const d of dirs) fs.rmSync(d, {recursive: true, force: true});
  });
  const start = async (dataDir: string, env: Record<string, string> = {}, recorderCommand?: string[]) => {
    const app = await createApp({
      host: '127.0.0.1',
      port: 0,
      dataDir,
      seed: true,
      seedPassword: 'pw-for-tests',
      rateLimit: {perSecond: 1000, burst: 1000},
      env,
      rtc: async () => new RecordingRtcServer(),
      recorderCommand: recorderCommand ?? [
        process.execPath,
        '-e',
        'setInterval(() => undefined, 1000); process.on("disconnect", () => process.exit(0))',
      ],
    });
    apps.push(app);
    return app;
  };

  test("the server stops a recording at the maximum duration, counted from its start (not from the job's)", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-rec-max-'));
    const envOut = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-rec-max-env-'));
    dirs.push(dataDir, envOut);
    const app = await start(
      dataDir,
      {MM_CALLS_DEFAULT_ENABLED: 'true', MM_CALLS_RECORDING_MAX_DURATION_MS: '1200'},
      scriptedRecorder(envOut).recorderCommand,
    );
    await app.config.save({EnableRecordings: true});
    const login = await api(app.url, '', 'POST', '/api/v4/users/login', {login_id: 'admin', password: 'pw-for-tests'});
    const token = login.headers.get('token')!;
    const teams = await api(app.url, token, 'GET', '/api/v4/users/me/teams');
    const chans = await api(app.url, token, 'GET', `/api/v4/users/me/teams/${teams.body[0].id}/channels`);
    const ch = chans.body.find((c: {name: string}) => c.name === 'off-topic').id as string;
    const admin = new WsTestClient(app.url, token);
    await admin.connect();
    await admin.join(ch);
    try {
      expect((await api(app.url, token, 'POST', `${P}/calls/${ch}/recording/start`)).status).toBe(200);
      // The bot's HTTP side only: the status call does not need its websocket.
      const bot = new ScriptedBot(app.url, await recorderEnvOf(envOut, ch));
      // A recorder that takes longer than the maximum to start still records for the whole maximum.
      await new Promise((r) => setTimeout(r, 2000));
      expect((await bot.status('started')).status).toBe(200);
      const ended = await admin.waitFor(
        'call_job_state',
        (e) => (e.data.jobState as {end_at: number}).end_at > 0,
        5000,
      );
      const state = ended.data.jobState as {start_at: number; end_at: number; err?: string};
      expect(state.err).toBeUndefined();
      expect(state.end_at - state.start_at).toBeGreaterThanOrEqual(1200);
      expect((await api(app.url, token, 'POST', `${P}/calls/${ch}/recording/stop`)).body.message).toBe(
        'no recording in progress',
      );
    } finally {
      await admin.close();
    }
  });

  test('after a crash, recording jobs of calls that are gone are ended with an error', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-rec-restart-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    // What a kill -9 leaves: running jobs whose call is gone or ended (the rows only; no process ran them).
    const job = (id: string, callId: string) => ({
      id,
      callId,
      type: 'recording' as const,
      creatorId: 'u'.repeat(26),
      initAt: Date.now() - 1000,
      startAt: Date.now() - 500,
      endAt: 0,
      props: {job_id: 'x'},
    });
    await first.store.calls.createJob(job('a'.repeat(26), 'c'.repeat(26)));
    await first.close();
    const second = await start(dataDir);
    const after = await second.store.calls.getJob('a'.repeat(26));
    expect(after!.endAt).toBeGreaterThan(0);
    expect(after!.props.err).toMatch(/no longer exists/);
  });
});
