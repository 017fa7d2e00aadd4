// rtcd services for tests, as a plugin finds them: each on its own loopback address (all on one API port,
// as one service URL names them), behind a name served by a DNS server on loopback; and the app options
// that put a node in rtcd mode against them.
import dns from 'node:dns';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createApp, type App, type AppOptions} from '../../server/src/app';
import {defaultRtcdConfig} from '../../server/src/rtcd/service/config';
import {startRtcdService, type RtcdService} from '../../server/src/rtcd/service/service';
import {CallUser, hearEachOtherSince, joinTalking} from '../cluster/support/user';
import {startDnsServer, type TestDnsServer} from '../support/dns-server';
import {seededWorld, type World} from '../support/fixtures';
import {startTestServer, type TestServer} from '../support/server';
import {testLogger, testOptions} from '../rtc/support/harness';

export interface RtcdFleet {
  /** By address. */
  readonly services: Map<string, RtcdService>;
  readonly name: string;
  readonly port: number;
  readonly dns: TestDnsServer;
  /** The service URL a plugin is given. */
  readonly url: string;
  /** Lookups against the loopback DNS server. */
  resolve4(name: string): Promise<string[]>;
  /** Stops the host at `ip` and starts it again on the same address, port and store (a restart: no sessions). */
  restart(ip: string, downMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts one rtcd per address on a shared API port (self-registration on), and a DNS server mapping `name`
 * to all of them. `cpuLoad` sets what each host's /system reports; `tls` serves the API over https/wss.
 */
export async function startRtcdFleet(
  name: string,
  ips: string[],
  cpuLoad?: (ip: string) => number,
  tls?: {certFile: string; certKey: string},
): Promise<RtcdFleet> {
  const dirs: string[] = [];
  const dirOf = new Map<string, string>();
  const services = new Map<string, RtcdService>();
  const startOn = async (ip: string, port: number, keepStore = false) => {
    let dir = keepStore ? dirOf.get(ip) : undefined;
    if (!dir) {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcd-test-'));
      dirs.push(dir);
      dirOf.set(ip, dir);
    }
    const cfg = defaultRtcdConfig();
    cfg.api.listenAddress = `${ip}:${port}`;
    cfg.api.allowSelfRegistration = true;
    if (tls) cfg.api.tls = {enable: true, ...tls};
    cfg.store.dataSource = dir;
    return startRtcdService(cfg, testLogger(), {
      rtc: {...testOptions(), udpAddresses: [ip], udpPort: 0, tcpPort: null},
      verificationsPerSecond: 50,
      cpuLoad: cpuLoad && (() => cpuLoad(ip)),
    });
  };
  let port = 0;
  // The first address picks a free port; another address may have it taken, then all start again.
  for (let tries = 0; tries < 5 && services.size < ips.length; tries++) {
    for (const s of services.values()) await s.close();
    services.clear();
    const first = await startOn(ips[0], 0);
    services.set(ips[0], first);
    port = Number(new URL(first.url).port);
    try {
      for (const ip of ips.slice(1)) services.set(ip, await startOn(ip, port));
    } catch {
      // Taken: try another port.
    }
  }
  if (services.size < ips.length) throw new Error('no API port free on every address');
  const dnsServer = await startDnsServer({[name]: ips});
  const resolver = new dns.promises.Resolver({timeout: 1000, tries: 1});
  resolver.setServers([dnsServer.address]);
  return {
    services,
    name,
    port,
    dns: dnsServer,
    url: `${tls ? 'https' : 'http'}://${name}:${port}`,
    resolve4: (n) => resolver.resolve4(n),
    async restart(ip, downMs = 0) {
      await services.get(ip)?.close();
      services.delete(ip);
      await new Promise((r) => setTimeout(r, downMs));
      services.set(ip, await startOn(ip, port, true));
    },
    async close() {
      for (const s of services.values()) await s.close();
      await dnsServer.close();
      for (const d of dirs) fs.rmSync(d, {recursive: true, force: true});
    },
  };
}

/** What puts a node in rtcd mode against the fleet (no SFU of its own: starting one fails the test). */
export function rtcdModeOptions(
  fleet: Pick<RtcdFleet, 'url' | 'resolve4'>,
): Pick<AppOptions, 'env' | 'rtcdResolve4' | 'rtc'> {
  return {
    env: {MM_CALLS_DEFAULT_ENABLED: 'true', MM_CALLS_RTCD_SERVICE_URL: fleet.url},
    rtcdResolve4: (n) => fleet.resolve4(n),
    rtc: async () => {
      throw new Error('no SFU in rtcd mode');
    },
  };
}

/**
 * A node in rtcd mode on its own data directory that can be closed and started again on the same port (a restart):
 * the seeded world is made once, at the first start.
 */
export class RestartableRtcdNode {
  app!: App;
  world!: World;
  readonly #opts: AppOptions;
  readonly #dataDir: string;
  #port = 0;

  constructor(fleet: Pick<RtcdFleet, 'url' | 'resolve4'>, name: string) {
    this.#dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    this.#opts = {
      host: '127.0.0.1',
      seed: true,
      rateLimit: {perSecond: 1000, burst: 1000},
      dataDir: this.#dataDir,
      timings: {reconnectGraceMs: 20_000},
      ...rtcdModeOptions(fleet),
    };
  }

  get url(): string {
    return this.app.url;
  }

  async start(): Promise<App> {
    this.app = await createApp({...this.#opts, port: this.#port});
    this.#port = this.app.port;
    this.world ??= await seededWorld({url: this.app.url, app: this.app} as unknown as TestServer);
    return this.app;
  }

  async restart(between?: () => Promise<void>): Promise<App> {
    await this.app.close();
    await between?.();
    return this.start();
  }

  async close(): Promise<void> {
    await this.app?.close();
    fs.rmSync(this.#dataDir, {recursive: true, force: true});
  }
}

/** What a test file's rtcd-mode bootstrap gives its tests (filled in before all). */
export interface RtcdModeSetup<F> {
  fleet: F;
  srv: TestServer;
  w: World;
  /** Closed after all: every CallUser a test makes. */
  users: CallUser[];
  /** Run after all, before the users, the node and the fleet are closed (sockets, peers, audio). */
  cleanups: Array<() => unknown>;
}

/**
 * The bootstrap most rtcd tests share: the fleet `startFleet` starts, a node in rtcd mode against it (with
 * `env()` added to its settings) and the seeded world; after all, everything is closed again.
 */
export function useRtcdModeServer<F extends Pick<RtcdFleet, 'url' | 'resolve4' | 'close'>>(
  startFleet: () => Promise<F>,
  env: () => Record<string, string> = () => ({}),
): RtcdModeSetup<F> {
  const setup = {users: [], cleanups: []} as unknown as RtcdModeSetup<F>;
  beforeAll(async () => {
    setup.fleet = await startFleet();
    const mode = rtcdModeOptions(setup.fleet);
    setup.srv = await startTestServer({...mode, env: {...mode.env, ...env()}});
    setup.w = await seededWorld(setup.srv);
  });
  afterAll(async () => {
    for (const c of setup.cleanups) await c();
    await Promise.all(setup.users.map((u) => u.close()));
    await setup.srv?.stop();
    await setup.fleet?.close();
  });
  return setup;
}

/** The bootstrap of the node-restart tests: the fleet, and a node (made, not started) that tests restart. */
export function useRestartableRtcdNode(
  startFleet: () => Promise<RtcdFleet>,
  name: string,
): {fleet: RtcdFleet; node: RestartableRtcdNode; users: CallUser[]} {
  const setup = {users: []} as unknown as {fleet: RtcdFleet; node: RestartableRtcdNode; users: CallUser[]};
  beforeAll(async () => {
    setup.fleet = await startFleet();
    setup.node = new RestartableRtcdNode(setup.fleet, name);
  });
  afterAll(async () => {
    await Promise.all(setup.users.map((u) => u.close()));
    await setup.node?.close();
    await setup.fleet?.close();
  });
  return setup;
}

/** Two hosts where new calls go to the second (its cpu_load is lower): the one a failover test stops. */
export const TWO_HOSTS = ['127.0.0.2', '127.0.0.3'];
export const SECOND_HOST_PREFERRED = (ip: string): number => (ip === '127.0.0.3' ? 0.2 : 0.9);

/**
 * Alice (websocket on `aliceURL`) and Bob (on `bobURL`) talking in the call of a new channel of `members`,
 * through real werift peers; both are added to `users` for the test's clean-up.
 */
export async function talkingPair(
  w: World,
  aliceURL: string,
  bobURL: string,
  users: CallUser[],
  members = ['alice', 'bob'],
): Promise<{ch: string; alice: CallUser; bob: CallUser}> {
  const ch = await w.newChannel(members);
  const alice = new CallUser('alice', aliceURL, w.users.alice.token, () => aliceURL);
  const bob = new CallUser('bob', bobURL, w.users.bob.token, () => bobURL);
  users.push(alice, bob);
  await joinTalking(ch, alice, bob);
  return {ch, alice, bob};
}

/** After the call's media went at `lostAt`: waits until both hear each other again; the longest gap (ms). */
export async function audioBackAfter(
  alice: CallUser,
  bob: CallUser,
  lostAt: number,
  timeoutMs: number,
): Promise<number> {
  // Packets already on their way when the media went do not count as audio back.
  const since = Date.now() + 300;
  await hearEachOtherSince(alice, bob, since, timeoutMs, 'audio back on the other rtcd host');
  return longestGapBothWays(alice, bob, lostAt);
}

/** The longest gap (ms) in what either heard of the other since just before `at`. */
export function longestGapBothWays(alice: CallUser, bob: CallUser, at: number): number {
  return Math.max(alice.longestGap(bob.sessionID, at - 500), bob.longestGap(alice.sessionID, at - 500));
}

/** `newcomer` joins the call talking: waits until the two already in it hear her and she hears the first. */
export async function newcomerHeard(
  channelID: string,
  newcomer: CallUser,
  alice: CallUser,
  bob: CallUser,
): Promise<void> {
  const before = Date.now();
  await joinTalking(channelID, newcomer);
  await alice.waitHearing(newcomer.sessionID, 20, 20_000, before);
  await bob.waitHearing(newcomer.sessionID, 20, 20_000, before);
  await newcomer.waitHearing(alice.sessionID, 20, 20_000, before);
}
