// Beyond upstream rtcd (which has no migration): when the rtcd host running a call dies, the plugin
// moves the call to another host and its users renegotiate (`rtc_reconnect`), without a click. Two rtcd
// services on 127.0.0.2 and 127.0.0.3 behind one name served by a DNS server on loopback, a real node in
// rtcd mode, two users talking through real werift peers; the host of their call is stopped.
import dns from 'node:dns';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {defaultRtcdConfig} from '../../server/src/rtcd/service/config';
import {startRtcdService, type RtcdService} from '../../server/src/rtcd/service/service';
import {CallUser, hearEachOtherSince, joinTalking} from '../cluster/support/user';
import {startDnsServer, type TestDnsServer} from '../support/dns-server';
import {seededWorld, type World} from '../support/fixtures';
import {startTestServer, type TestServer} from '../support/server';
import {testLogger, testOptions} from '../rtc/support/harness';

jest.setTimeout(90_000);

const NAME = 'rtcd.failover.test';
const loads = new Map<string, number>([
  ['127.0.0.2', 0.9],
  ['127.0.0.3', 0.2],
]);
const services = new Map<string, RtcdService>();
const dirs: string[] = [];
let dnsServer: TestDnsServer;
let srv: TestServer;
let w: World;
const users: CallUser[] = [];

async function startOn(ip: string, port: number): Promise<RtcdService> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcd-failover-'));
  dirs.push(dir);
  const cfg = defaultRtcdConfig();
  cfg.api.listenAddress = `${ip}:${port}`;
  cfg.api.allowSelfRegistration = true;
  cfg.store.dataSource = dir;
  return startRtcdService(cfg, testLogger(), {
    rtc: {...testOptions(), udpAddresses: [ip], udpPort: 0, tcpPort: null},
    verificationsPerSecond: 50,
    cpuLoad: () => loads.get(ip) ?? 1,
  });
}

beforeAll(async () => {
  let port = 0;
  for (let tries = 0; tries < 5 && services.size < 2; tries++) {
    for (const s of services.values()) await s.close();
    services.clear();
    const first = await startOn('127.0.0.2', 0);
    services.set('127.0.0.2', first);
    port = Number(new URL(first.url).port);
    try {
      services.set('127.0.0.3', await startOn('127.0.0.3', port));
    } catch {
      // The port was taken on the second address: try another.
    }
  }
  expect(services.size).toBe(2);
  dnsServer = await startDnsServer({[NAME]: ['127.0.0.2', '127.0.0.3']});
  const resolver = new dns.promises.Resolver({timeout: 1000, tries: 1});
  resolver.setServers([dnsServer.address]);
  srv = await startTestServer({
    env: {MM_CALLS_DEFAULT_ENABLED: 'true', MM_CALLS_RTCD_SERVICE_URL: `http://${NAME}:${port}`},
    rtcdResolve4: (name) => resolver.resolve4(name),
    rtc: async () => {
      throw new Error('no SFU in rtcd mode');
    },
  });
  w = await seededWorld(srv);
});

afterAll(async () => {
  await Promise.all(users.map((u) => u.close()));
  await srv?.stop();
  for (const s of services.values()) await s.close();
  await dnsServer?.close();
  for (const d of dirs) fs.rmSync(d, {recursive: true, force: true});
});

test('the call of a host that dies moves to the other host and audio comes back both ways', async () => {
  const ch = await w.newChannel(['alice', 'bob']);
  const alice = new CallUser('alice', srv.url, w.users.alice.token, () => srv.url);
  const bob = new CallUser('bob', srv.url, w.users.bob.token, () => srv.url);
  users.push(alice, bob);
  await joinTalking(ch, alice, bob);
  const call = await srv.app.store.calls.getActiveCallByChannel(ch);
  expect(call?.props.rtcd_host).toBe('127.0.0.3');

  const killedAt = Date.now();
  await services.get('127.0.0.3')!.close();
  // Packets already on their way when the host stopped do not count as audio back.
  const since = Date.now() + 300;
  await hearEachOtherSince(alice, bob, since, 20_000, 'audio back on the other rtcd host');
  const gap = Math.max(
    alice.longestGap(bob.sessionID, killedAt - 500),
    bob.longestGap(alice.sessionID, killedAt - 500),
  );
  console.log(`rtcd host lost: the longest audio gap was ${gap} ms (the call moves after 3 s without its host)`);
  const moved = await srv.app.store.calls.getActiveCallByChannel(ch);
  expect(moved?.id).toBe(call!.id);
  expect(moved?.props.rtcd_host).toBe('127.0.0.2');
  expect(services.get('127.0.0.2')!.sessions.size).toBe(2);
  expect(alice.errors).toEqual([]);
  expect(bob.errors).toEqual([]);
});
