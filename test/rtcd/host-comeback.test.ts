// An rtcd host the plugin loses for less than the failover delay (3 s), so the call stays where it is:
// - a network blip (the plugin's TCP connections to the host cut by a proxy in between; the host keeps its
//   sessions): rtcd routes each session's messages to the connection that last named it, so unless the node
//   names them again on its new connection, a newcomer's voice is never offered to the others;
// - the host restarting on the same address (its store kept, its sessions gone): the node creates them again
//   there, the clients renegotiate once and hear each other again.
import net from 'node:net';
import pino from 'pino';
import {CallUser as User, joinTalking, type CallUser} from '../cluster/support/user';
import {seededWorld, type World} from '../support/fixtures';
import {startTestServer, type TestServer} from '../support/server';
import {waitFor} from '../support/wait';
import {audioBackAfter, newcomerHeard, rtcdModeOptions, startRtcdFleet, talkingPair, type RtcdFleet} from './support';

jest.setTimeout(90_000);

const NAME = 'rtcd.comeback.test';
const HOST = '127.0.0.2';
/** Where the plugin reaches the host in the blip case: a TCP proxy on another loopback address, same port. */
const PROXY = '127.0.0.6';

let fleet: RtcdFleet;
let srv: TestServer | undefined;
let proxy: TcpProxy | undefined;
let w: World;
const users: CallUser[] = [];
const lines: string[] = [];

beforeAll(async () => {
  fleet = await startRtcdFleet(NAME, [HOST]);
});

afterEach(async () => {
  await Promise.all(users.splice(0).map((u) => u.close()));
  await srv?.stop();
  srv = undefined;
  await proxy?.close();
  proxy = undefined;
  lines.length = 0;
});

afterAll(async () => {
  await fleet?.close();
});

async function startNode(): Promise<void> {
  const logger = pino({level: 'info'}, {write: (line: string) => void lines.push(line)});
  srv = await startTestServer({...rtcdModeOptions(fleet), logger});
  w = await seededWorld(srv);
}

const logged = (msg: string) =>
  lines.filter((l) => l.includes(msg)).map((l) => JSON.parse(l) as Record<string, unknown>);

test('a blip on the connection to the host: the sessions are routed to the new connection and a newcomer is heard', async () => {
  proxy = await startTcpProxy(PROXY, fleet.port, HOST);
  fleet.dns.records.set(NAME, [PROXY]);
  await startNode();
  const ch = await w.newChannel(['alice', 'bob', 'carol']);
  const [alice, bob] = (['alice', 'bob'] as const).map((n) => new User(n, srv!.url, w.users[n].token, () => srv!.url));
  users.push(alice, bob);
  await joinTalking(ch, alice, bob);

  proxy.cut();
  // The node reconnects after 2 s and names its sessions on the new connection.
  await waitFor(() => logged('rtcd host back').length > 0, 15_000, 'the node reconnecting to the host');
  expect(logged('rtcd host back')[0]).toMatchObject({ip: PROXY, sessions: 2, recreated: 0});

  // Carol's arrival makes rtcd offer her voice to Alice and Bob: through the node's new connection.
  const carol = new User('carol', srv!.url, w.users.carol.token, () => srv!.url);
  users.push(carol);
  await newcomerHeard(ch, carol, alice, bob);
  // Media never stopped, and nobody had to renegotiate.
  expect(alice.restarts).toEqual([]);
  expect(bob.restarts).toEqual([]);
  expect([...alice.errors, ...bob.errors, ...carol.errors]).toEqual([]);
});

test('the host restarts within the failover delay: its sessions are created again there and audio is back', async () => {
  fleet.dns.records.set(NAME, [HOST]);
  await startNode();
  const {ch, alice, bob} = await talkingPair(w, srv!.url, srv!.url, users);
  const call = await srv!.app.store.calls.getActiveCallByChannel(ch);
  expect(call?.props.rtcd_host).toBe(HOST);

  const downAt = Date.now();
  await fleet.restart(HOST, 300);
  const gap = await audioBackAfter(alice, bob, downAt, 30_000);
  console.log(`rtcd host restarted within the failover delay: the longest audio gap was ${gap} ms`);
  expect(logged('rtcd host back')[0]).toMatchObject({ip: HOST, sessions: 2, recreated: 2});
  // The call stayed on its host, each client renegotiated once.
  expect((await srv!.app.store.calls.getActiveCallByChannel(ch))?.props.rtcd_host).toBe(HOST);
  expect(alice.restarts).toHaveLength(1);
  expect(bob.restarts).toHaveLength(1);
  expect([...alice.errors, ...bob.errors]).toEqual([]);
});

interface TcpProxy {
  /** Destroys every connection through the proxy (both sides), as a network blip would. */
  cut(): void;
  close(): Promise<void>;
}

async function startTcpProxy(ip: string, port: number, target: string): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, target);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, resolve);
  });
  return {
    cut: () => {
      for (const s of open) s.destroy();
    },
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
