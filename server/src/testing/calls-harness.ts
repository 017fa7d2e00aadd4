// A CallsService on in-memory ports for unit tests: the in-memory platform and media router, the
// in-process call lock, a recording publisher, a fake clock and the real store (SQLite in a temp dir).
// Connections are simulated: `connect` opens one, `drop` closes its socket.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {InProcessCallLock} from '../calls/lock';
import {CallsPublisher} from '../calls/publish';
import {type CallsServiceDeps, type CallsTimings, CallsService, type ConnContext} from '../calls/service';
import type {JoinCaps} from '../calls/join-limits';
import {ConfigService} from '../config/service';
import {newId} from '../ids';
import {silentLogger} from '../log';
import type {Channel, User} from '../platform/types';
import {openStore, type Call, type Store} from '../store';
import {FakeClock} from './fake-clock';
import {MemoryMediaRouter} from './memory-media';
import {MemoryPlatform} from './memory-platform';
import {RecordingPublisher} from './recording-publisher';

export interface CallsHarnessOptions {
  timings?: Partial<CallsTimings>;
  joinLimits?: JoinCaps;
  /** Settings saved before the service starts (DefaultEnabled is on unless given). */
  settings?: Record<string, unknown>;
  groupCallsAllowed?: boolean;
  onICEPairMetric?: CallsServiceDeps['onICEPairMetric'];
}

export interface CallsHarness {
  readonly calls: CallsService;
  readonly platform: MemoryPlatform;
  readonly media: MemoryMediaRouter;
  readonly events: RecordingPublisher;
  readonly clock: FakeClock;
  readonly store: Store;
  readonly config: ConfigService;
  /** Connections whose socket is open (what isConnOpen answers). */
  readonly open: Set<string>;
  /** A new open websocket connection of the user. */
  connect(userID: string): ConnContext;
  /** The connection's socket closed: the service starts its reconnect grace. */
  drop(conn: ConnContext): void;
  /** Sends one calls action from the connection (the suffix after custom_com.mattermost.calls_). */
  act(conn: ConnContext, action: string, data?: Record<string, unknown>): Promise<void>;
  join(conn: ConnContext, channelID: string, data?: Record<string, unknown>): Promise<void>;
  /** A new connection of the user that has sent its join. */
  joined(userID: string, channelID: string, data?: Record<string, unknown>): Promise<ConnContext>;
  activeCall(channelID: string): Promise<Call | null>;
  /** The `data` of every error event sent to the connection so far, in order. */
  errorsTo(connID: string): Record<string, unknown>[];
  /** Session ids of the channel's active call, in join order. */
  sessionIDs(channelID: string): Promise<string[]>;
  /** The dependencies the service was built with (to build another one over the same store: a restart). */
  readonly deps: CallsServiceDeps;
  /** Users alice, bob and carol (members of `channel`, an open channel), and admin (a system admin, not a member). */
  people(): {alice: User; bob: User; carol: User; admin: User; channel: Channel};
  /** Shuts the service down and removes the store. */
  close(): Promise<void>;
}

/** Waits until `pred` holds, letting pending promise chains run (no timers, so it works under fake timers). */
export async function until(pred: () => boolean | Promise<boolean>, what = 'condition', turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (await pred()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function createCallsHarness(opts: CallsHarnessOptions = {}): Promise<CallsHarness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-unit-'));
  const logger = silentLogger();
  const store = await openStore({dataDir, logger});
  const config = new ConfigService(store.kv, {});
  await config.load();
  await config.save({DefaultEnabled: true, ...opts.settings});
  const clock = new FakeClock();
  const platform = new MemoryPlatform(() => clock.now());
  const media = new MemoryMediaRouter();
  const events = new RecordingPublisher();
  const open = new Set<string>();
  const deps: CallsServiceDeps = {
    store,
    platform,
    config,
    media,
    lock: new InProcessCallLock(),
    publisher: new CallsPublisher(events),
    clock,
    logger,
    isConnOpen: (id) => open.has(id),
    timings: opts.timings,
    joinLimits: opts.joinLimits,
    groupCallsAllowed: opts.groupCallsAllowed ?? false,
    onICEPairMetric: opts.onICEPairMetric,
  };
  const calls = new CallsService(deps);
  const connect = (userID: string): ConnContext => {
    const conn = {connID: newId(), userID};
    open.add(conn.connID);
    return conn;
  };
  const act = (conn: ConnContext, action: string, data: Record<string, unknown> = {}) =>
    calls.handleAction(conn, action, data);
  return {
    calls,
    platform,
    media,
    events,
    clock,
    store,
    config,
    open,
    deps,
    people() {
      const alice = platform.addUser({username: 'alice', first_name: 'Alice', last_name: 'Liddell'});
      const bob = platform.addUser({username: 'bob'});
      const carol = platform.addUser({username: 'carol'});
      const admin = platform.addUser({username: 'admin', admin: true});
      const channel = platform.addChannel('O', [alice.id, bob.id, carol.id]);
      return {alice, bob, carol, admin, channel};
    },
    connect,
    drop(conn) {
      open.delete(conn.connID);
      calls.handleDisconnect(conn.connID);
    },
    act,
    join: (conn, channelID, data = {}) => act(conn, 'join', {channelID, ...data}),
    async joined(userID, channelID, data = {}) {
      const conn = connect(userID);
      await act(conn, 'join', {channelID, ...data});
      return conn;
    },
    activeCall: (channelID) => store.calls.getActiveCallByChannel(channelID),
    errorsTo: (connID) =>
      events
        .toConn(connID)
        .filter((e) => e.event.endsWith('_error'))
        .map((e) => e.data),
    async sessionIDs(channelID) {
      const call = await store.calls.getActiveCallByChannel(channelID);
      return call ? (await store.calls.getSessions(call.id)).map((s) => s.id) : [];
    },
    async close() {
      await calls.shutdown();
      await store.close();
      fs.rmSync(dataDir, {recursive: true, force: true});
    },
  };
}
