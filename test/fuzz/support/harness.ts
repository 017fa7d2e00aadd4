// The fuzz run against real node processes: a legitimate call first (alice and bob talking through real
// werift peers), then every fuzzer at once — websocket frames from sockets in a call and outside it,
// HTTP on every route, calls-dc messages on a real peer, datagrams and segments at the RTC ports — and
// then what a user and an operator would check: the processes and media workers are the same, nothing
// answered 5xx or leaked internals, a fresh login can still join a call, and alice and bob still hear
// each other.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {api, login, WsTestClient} from '../../support/calls-client';
import type {World} from '../../support/fixtures';
import type {NodeProcess} from '../../cluster/support/node';
import {CallUser, hearEachOtherSince, joinTalking} from '../../cluster/support/user';
import {type Allowance, Findings} from './findings';
import {type HttpFuzzStats, newHttpStats, type Route, runHttpFuzz, runRawHttpAbuse} from './httpFuzz';
import {realWeriftOffer} from './offer';
import {startProbe} from './probe';
import {Rng} from './rng';
import {hostileDcMessage, runTcpFuzz, runUdpFuzz} from './rtcFuzz';
import {mutateSdp} from './sdp';
import {newStats, runChurnSockets, runInCallSocket, type WsFuzzStats, type WsFuzzTarget} from './wsFuzz';

export const PLUGIN = '/plugins/com.mattermost.calls';
const FUZZ_PASSWORD = 'fuzz-password';

/** Findings the suite knows about and tolerates while they are being fixed (none now). */
export const KNOWN_ISSUES: Allowance[] = [];

/**
 * Without a built webapp (a test file run on its own, before `npm run build`) the host page answers its
 * documented 503 "not built yet"; `npm test` builds first, so there this never applies.
 */
const WEBAPP_NOT_BUILT: Allowance = {
  reason: 'webapp not built (run `npm run build`): the host page answers 503',
  matches: (f) => /answered 503: (The webapp is not built yet|$)/.test(f.what),
};

function webappBuilt(): boolean {
  return fs.existsSync(path.resolve(__dirname, '../../../webapp/dist/standalone/index.html'));
}

export interface FuzzPlan {
  seed: number;
  /** Websocket frames from sockets whose user is in a call / from all other sockets. */
  inCallFrames: number;
  otherFrames: number;
  httpRequests: number;
  rawHttp: number;
  dcMessages: number;
  datagrams: number;
  tcpConnections: number;
  /** Sockets in a call (one per fuzz user) and concurrent short-lived sockets. */
  inCallSockets: number;
  churnLoops: number;
  /** The fuzz stops here even if a quota is not reached (the coverage assertions then fail). */
  deadlineMs: number;
}

export function defaultPlan(seed: number, scale: number): FuzzPlan {
  const n = (x: number) => Math.round(x * scale);
  return {
    seed,
    inCallFrames: n(5200),
    otherFrames: n(5000),
    httpRequests: n(2000),
    rawHttp: n(40),
    dcMessages: n(800),
    datagrams: n(3000),
    tcpConnections: n(30),
    inCallSockets: 20,
    churnLoops: 4,
    deadlineMs: 120_000 * scale,
  };
}

export interface FuzzEnv {
  nodes: NodeProcess[];
  world: World;
  /** Where alice's and bob's call runs; the other nodes relay to it. */
  callNode: NodeProcess;
  /** The legitimate call (alice, bob, carol and half of the fuzz users) and the fuzz users' own call. */
  legitChannel: string;
  fuzzChannel: string;
  /** Channels the HTTP fuzz may damage (archive, remove members). */
  sacrificial: string[];
  alice: CallUser;
  bob: CallUser;
  carol: CallUser;
  wsUsers: {id: string; token: string}[];
  httpUsers: {id: string; token: string; username: string}[];
  adminToken: string;
  botToken?: string;
  offer: string;
  candidates: string[];
  posts: string[];
  routes: Route[];
  pids: Map<NodeProcess, number[]>;
  savedConfig: unknown;
  users: CallUser[];
}

/** The node's media worker processes (its direct children). */
export function workerPids(node: NodeProcess): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(node.child.pid)], {encoding: 'utf8'})
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .sort();
  } catch {
    return [];
  }
}

/** Resident memory of a process in MiB (0 when it is gone). */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

export const alive = (node: NodeProcess) => node.child.exitCode === null && node.child.signalCode === null;

async function createUsers(
  baseURL: string,
  adminToken: string,
  prefix: string,
  count: number,
): Promise<{id: string; token: string; username: string}[]> {
  const out: {id: string; token: string; username: string}[] = [];
  for (let i = 0; i < count; i += 5) {
    const batch = await Promise.all(
      Array.from({length: Math.min(5, count - i)}, async (_, k) => {
        const username = `${prefix}${i + k}`;
        const res = await api(baseURL, adminToken, 'POST', '/api/v4/users', {username, password: FUZZ_PASSWORD});
        if (res.status !== 201) throw new Error(`creating ${username}: ${res.status} ${JSON.stringify(res.body)}`);
        const l = await login(baseURL, username, FUZZ_PASSWORD);
        return {id: l.user.id, token: l.token, username};
      }),
    );
    out.push(...batch);
  }
  return out;
}

/**
 * Sets the world up: fuzz users and channels, alice and bob talking in the legitimate call on `callNode`
 * (carol too: her peer's calls-dc is fuzzed), a real werift offer, the route table and the pids.
 */
export async function prepare(
  nodes: NodeProcess[],
  callNode: NodeProcess,
  world: World,
  routes: Route[],
  plan: FuzzPlan,
  userNode: (i: number) => NodeProcess,
): Promise<FuzzEnv> {
  const base = callNode.url;
  const admin = world.users.admin.token;
  const wsUsers = await createUsers(base, admin, 'fzws', plan.inCallSockets);
  const httpUsers = await createUsers(base, admin, 'fzhttp', 16);
  const half = wsUsers.filter((_, i) => i % 2 === 0).map((u) => u.id);
  const legitChannel = await world.newChannel(['alice', 'bob', 'carol', ...half]);
  const everyone = [...wsUsers.map((u) => u.id), ...httpUsers.map((u) => u.id)];
  const fuzzChannel = await world.newChannel(everyone);
  const sacrificial = [await world.newChannel(everyone), await world.newChannel(everyone, 'P')];
  const posts: string[] = [];
  for (const ch of [fuzzChannel, sacrificial[0]]) {
    const root = await api(base, admin, 'POST', '/api/v4/posts', {channel_id: ch, message: 'root'});
    const reply = await api(base, admin, 'POST', '/api/v4/posts', {
      channel_id: ch,
      message: 'reply',
      root_id: root.body.id,
    });
    posts.push(root.body.id, reply.body.id);
  }
  const savedConfig = (await api(base, admin, 'GET', '/api/v4/config')).body;
  const users: CallUser[] = [];
  const user = (name: 'alice' | 'bob' | 'carol', node: NodeProcess) => {
    const u = new CallUser(name, node.url, world.users[name].token, () => node.url);
    users.push(u);
    return u;
  };
  const alice = user('alice', callNode);
  const bob = user('bob', userNode(1));
  await joinTalking(legitChannel, alice, bob);
  const carol = user('carol', userNode(2));
  await carol.connect();
  await carol.joinAndTalk(legitChannel);
  const {sdp: offer, candidates} = await realWeriftOffer();
  const pids = new Map(nodes.map((n) => [n, [n.child.pid!, ...workerPids(n)]]));
  return {
    nodes,
    world,
    callNode,
    legitChannel,
    fuzzChannel,
    sacrificial,
    alice,
    bob,
    carol,
    wsUsers,
    httpUsers,
    adminToken: (await login(base, 'admin')).token,
    offer,
    candidates,
    posts,
    routes,
    pids,
    savedConfig,
    users,
  };
}

export interface FuzzResult {
  findings: Findings;
  ws: WsFuzzStats;
  http: HttpFuzzStats;
  dcSent: number;
  dcRestarts: number;
  datagrams: number;
  tcpSegments: number;
  /** Longest wait for GET /version during the fuzz (a hang shows here first). */
  slowestProbeMs: number;
  /** Main-process RSS (MiB) of each node before and after the fuzz: a figure, not an assertion. */
  rss: {node: string; before: number; after: number}[];
  ms: number;
}

function ufragsOf(users: CallUser[]): string[] {
  const out: string[] = [];
  for (const u of users) {
    const sdp = u.peer?.pc.remoteDescription?.sdp ?? '';
    const m = /a=ice-ufrag:(\S+)/.exec(sdp);
    if (m) out.push(m[1]);
  }
  return out;
}

/** Runs every fuzzer at once; resolves when all quotas are sent (or the deadline passed). */
export async function runFuzz(env: FuzzEnv, plan: FuzzPlan, wsNode: (i: number) => NodeProcess): Promise<FuzzResult> {
  const root = new Rng(plan.seed);
  const findings = new Findings(webappBuilt() ? KNOWN_ISSUES : [...KNOWN_ISSUES, WEBAPP_NOT_BUILT]);
  const ws = newStats();
  const http = newHttpStats();
  const started = Date.now();
  const deadline = started + plan.deadlineMs;
  const world = env.world;
  const ch = world.channels;
  const ids = {
    channels: [env.fuzzChannel, ...env.sacrificial, ch.town, ch.offTopic, ch.priv, ch.dm, ch.gm],
    users: [
      ...env.httpUsers.map((u) => u.id),
      ...env.wsUsers.map((u) => u.id),
      world.users.alice.user.id,
      world.users.admin.user.id,
    ],
    posts: env.posts,
    teams: [world.teamID],
    names: [
      'town-square',
      'off-topic',
      'private-room',
      (await api(env.callNode.url, env.adminToken, 'GET', '/api/v4/users/me/teams')).body[0].name,
    ],
    // Grows as fuzz sockets join (host controls then target real sessions of the fuzz call).
    sessions: [env.alice.sessionID, env.bob.sessionID, env.carol.sessionID],
  };
  const liveConnIDs = ids.sessions;
  const foreignConnIDs = [env.alice.ws.connID, env.bob.ws.connID, env.carol.ws.connID, env.alice.sessionID];
  const wsTokens = env.wsUsers.map((u) => u.token);
  const target = (node: NodeProcess): WsFuzzTarget => ({
    baseURL: node.url,
    offer: env.offer,
    candidates: env.candidates,
    ids: [...ids.channels, ...ids.users, ...ids.posts, ...foreignConnIDs],
    channels: [env.legitChannel, ...ids.channels],
    foreignConnIDs,
    liveConnIDs,
    tokens: wsTokens,
  });
  const timeUp = () => Date.now() > deadline;

  const probe = startProbe(env.nodes.map((n) => n.url));
  const rssBefore = env.nodes.map((n) => rssMiB(n.child.pid!));

  const inCall = env.wsUsers.map((u, i) =>
    runInCallSocket(
      root.fork(`incall-${i}`),
      target(wsNode(i)),
      {
        token: u.token,
        // Even-numbered fuzz users are members of the legitimate call's channel: half the sockets share the call with alice and bob.
        channelID: i % 2 === 0 ? env.legitChannel : env.fuzzChannel,
        done: () => ws.inCallFrames >= plan.inCallFrames || timeUp(),
        actionsPerSecond: 10,
      },
      findings,
      ws,
      `ws in-call #${i}`,
    ),
  );
  const churn = Array.from({length: plan.churnLoops}, (_, k) =>
    runChurnSockets(
      root.fork(`churn-${k}`),
      target(wsNode(k)),
      {
        tokens: wsTokens,
        channelID: env.fuzzChannel,
        done: () => ws.otherFrames >= plan.otherFrames || timeUp(),
      },
      findings,
      ws,
      `ws churn #${k}`,
    ),
  );

  const httpNode = wsNode(1);
  const httpTarget = {
    baseURL: httpNode.url,
    routes: env.routes,
    ids,
    userTokens: env.httpUsers.map((u) => u.token),
    adminToken: env.adminToken,
    botToken: env.botToken,
    relogin: async (token: string) => {
      const u = env.httpUsers.find((x) => x.token === token);
      try {
        return u
          ? (await login(httpNode.url, u.username, FUZZ_PASSWORD)).token
          : (await login(httpNode.url, 'admin')).token;
      } catch {
        return null;
      }
    },
    // The websocket fuzz needs its call channel: archiving it or disabling calls there goes to a sacrificial channel instead.
    guard: (method: string, path: string) => {
      const destructive = method === 'DELETE' || (method === 'POST' && path.startsWith(`${PLUGIN}/${env.fuzzChannel}`));
      return destructive ? {method, path: path.split(env.fuzzChannel).join(env.sacrificial[0])} : {method, path};
    },
  };
  const httpRun = (async () => {
    await runHttpFuzz(
      root.fork('http'),
      httpTarget,
      {count: plan.httpRequests, concurrency: 6, timeoutMs: 15_000},
      findings,
      http,
    );
    await runRawHttpAbuse(
      root.fork('raw-http'),
      httpNode.url,
      env.routes.map((r) => r.url.replace(/:[a-z_]+/g, env.fuzzChannel).replace('*', 'main.js')),
      plan.rawHttp,
      findings,
      http,
    );
  })();

  let dcSent = 0;
  let dcRestarts = 0;
  const dcRun = (async () => {
    const rng = root.fork('dc');
    let carol = env.carol;
    while (dcSent < plan.dcMessages && !timeUp()) {
      if (!carol.peer?.dcOpen) {
        // Her hostile messages may have ended her session: she joins again (a new session) and carries on.
        if (++dcRestarts > 5) break;
        await carol.close();
        carol = new CallUser('carol', env.carol.ws.baseURL, env.world.users.carol.token, () => env.carol.ws.baseURL);
        env.users.push(carol);
        env.carol = carol;
        try {
          await carol.connect();
          await carol.joinAndTalk(env.legitChannel);
        } catch {
          continue;
        }
      }
      try {
        carol.peer!.sendDc(hostileDcMessage(rng, env.offer));
        dcSent++;
      } catch {
        // the channel closed under us
      }
      // Now and then a renegotiation offer or answer over the websocket, mutated from her real one, or a
      // mutated candidate: what reaches a session that is connected and carrying media.
      if (dcSent % 40 === 0) {
        const own = carol.peer?.pc.localDescription?.sdp ?? env.offer;
        if (rng.chance(0.7)) carol.ws.sendSDP({type: rng.chance(0.8) ? 'offer' : 'answer', sdp: mutateSdp(rng, own)});
        else
          carol.ws.send('ice', {
            data: JSON.stringify({
              candidate: mutateSdp(rng, rng.pick(env.candidates) ?? '').trim(),
              sdpMid: '0',
              sdpMLineIndex: 0,
            }),
          });
        ws.inCallFrames++;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  const udpNode = env.callNode;
  const legit = () => [env.alice, env.bob, env.carol];
  const udpRun = udpNode.udpPort
    ? runUdpFuzz(root.fork('udp'), '127.0.0.1', udpNode.udpPort, plan.datagrams, () => ufragsOf(legit()))
    : Promise.resolve(0);
  const tcpRun = udpNode.tcpPort
    ? runTcpFuzz(root.fork('tcp'), '127.0.0.1', udpNode.tcpPort, plan.tcpConnections, () => ufragsOf(legit()))
    : Promise.resolve(0);

  const settled = await Promise.allSettled([...inCall, ...churn, httpRun, dcRun]);
  const [datagrams, tcpSegments] = await Promise.all([udpRun, tcpRun]);
  const probed = await probe.stop();
  for (const f of probed.failures.slice(0, 5)) findings.add('probe', `GET /version failed: ${f}`);
  const slowestProbeMs = probed.slowestMs;
  for (const s of settled)
    if (s.status === 'rejected') findings.add('fuzzer', `a fuzzer stopped: ${(s.reason as Error).message}`);
  const rss = env.nodes.map((n, i) => ({node: n.name, before: rssBefore[i], after: rssMiB(n.child.pid!)}));
  return {
    findings,
    ws,
    http,
    dcSent,
    dcRestarts,
    datagrams,
    tcpSegments,
    slowestProbeMs,
    rss,
    ms: Date.now() - started,
  };
}

/** Lines the node logged at error level or above (pino JSON: level ≥ 50). */
export function loggedErrors(node: NodeProcess): string[] {
  return node
    .output()
    .split('\n')
    .filter((l) => {
      if (!l.startsWith('{')) return false;
      try {
        return (JSON.parse(l) as {level?: number}).level! >= 50;
      } catch {
        return false;
      }
    });
}

/** A user who was not part of anything so far logs in, opens a websocket and joins a new call. */
export async function freshLoginAndJoin(node: NodeProcess, world: World): Promise<void> {
  // The fuzz sent wrong passwords from this address: a login backoff may ask us to wait (429), as it
  // would any user behind the same address. Wait as told, up to 30 s.
  let who: Awaited<ReturnType<typeof login>> | undefined;
  for (const deadline = Date.now() + 30_000; !who;) {
    const res = await fetch(`${node.url}/api/v4/users/login`, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({login_id: 'dave', password: 'dave'}),
    });
    if (res.status === 200) who = {token: res.headers.get('token') ?? '', user: await res.json()};
    else if (res.status === 429 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, Math.min(10, Number(res.headers.get('retry-after')) || 1) * 1000));
    else throw new Error(`fresh login: ${res.status} ${await res.text()}`);
  }
  const channel = await world.newChannel(['dave']);
  const c = new WsTestClient(node.url, who.token);
  await c.connect();
  try {
    await c.join(channel);
    c.send('leave');
  } finally {
    await c.drop();
  }
}

export async function stillHearEachOther(env: FuzzEnv): Promise<void> {
  await hearEachOtherSince(env.alice, env.bob, Date.now(), 20_000, 'alice and bob hearing each other after the fuzz');
}

export async function restoreConfig(env: FuzzEnv): Promise<void> {
  const res = await api(env.callNode.url, env.world.users.admin.token, 'PUT', '/api/v4/config', env.savedConfig);
  if (res.status !== 200) throw new Error(`restoring the config: ${res.status} ${JSON.stringify(res.body)}`);
}

/** One line per fuzzer for the test output. */
export function summary(plan: FuzzPlan, r: FuzzResult): string {
  const wsTotal = r.ws.inCallFrames + r.ws.otherFrames;
  return [
    `fuzz seed ${plan.seed} (replay: FUZZ_SEED=${plan.seed}), ${(r.ms / 1000).toFixed(1)} s`,
    `  websocket: ${wsTotal} frames (${r.ws.inCallFrames} from sockets in a call, ${r.ws.otherFrames} others) over ${r.ws.sockets} sockets, ${r.ws.joins} joins, ${r.ws.rawConnections} broken upgrades`,
    `    frames: ${r.ws.frames}`,
    `    handler errors: ${r.ws.errorIds}`,
    `    received: ${r.ws.received}`,
    `  http: ${r.http.requests} requests + ${r.http.raw} raw on ${r.http.byRoute.counts.size} routes; status ${r.http.byStatus}; auth ${r.http.byAuth}`,
    ...[...r.http.errorSamples.entries()].map(([code, input]) => `    ${code} e.g. ${input}`),
    `  calls-dc: ${r.dcSent} messages (${r.dcRestarts} rejoins); udp: ${r.datagrams} datagrams; ice-tcp: ${r.tcpSegments} segments`,
    `  slowest GET /version during the fuzz: ${r.slowestProbeMs} ms; main-process RSS ${r.rss.map((x) => `${x.node} ${x.before} → ${x.after} MiB`).join(', ')}`,
    ...[...r.findings.allowed.entries()].map(
      ([reason, l]) => `  ALLOWED (${reason}): ${l.length} e.g. ${l[0].where} ${l[0].what}`,
    ),
  ].join('\n');
}
