// The plugin's view of rtcd hosts behind one name, with real resolution: a DNS server on loopback maps
// the name to two rtcd services on 127.0.0.2 and 127.0.0.3 (same API port). The client registers itself
// where it is unknown, connects to both, sends new calls to the lower cpu_load, stops sending new calls to
// an address removed from DNS and takes it back when it returns; a host that is too old is not used.
import {silentLogger} from '../../server/src/log';
import {RtcdHosts} from '../../server/src/rtcd/client/hosts';
import type {ClientMessage} from '../../server/src/rtcd/wire';
import {waitFor} from '../support/wait';
import {startRtcdFleet, type RtcdFleet} from './support';

jest.setTimeout(60_000);

const NAME = 'rtcd.calls.test';
const KEY = 'secret-key-secret-key-secret-key-42';
const loads = new Map<string, number>([
  ['127.0.0.2', 0.9],
  ['127.0.0.3', 0.2],
]);
let fleet: RtcdFleet;
const hostsList: RtcdHosts[] = [];

beforeAll(async () => {
  fleet = await startRtcdFleet(NAME, ['127.0.0.2', '127.0.0.3'], (ip) => loads.get(ip) ?? 1);
});

afterAll(async () => {
  for (const h of hostsList) h.close();
  await fleet?.close();
});

function hosts(opts: {minVersion?: string} = {}): {hosts: RtcdHosts; got: Array<[string, ClientMessage]>} {
  const got: Array<[string, ClientMessage]> = [];
  const h = new RtcdHosts({
    serviceURL: fleet.url,
    credentials: {clientID: 'installation-1', authKey: KEY},
    logger: silentLogger(),
    resolve4: (name) => fleet.resolve4(name),
    onMessage: (ip, m) => got.push([ip, m]),
    recheckMs: 200,
    jitterMs: 50,
    reconnectBaseMs: 200,
    minVersion: opts.minVersion,
  });
  hostsList.push(h);
  return {hosts: h, got};
}

test('resolves the name to both hosts, registers where unknown, connects to both, and picks the lower cpu_load', async () => {
  const {hosts: h} = hosts();
  await h.start();
  expect(h.ips().sort()).toEqual(['127.0.0.2', '127.0.0.3']);
  await waitFor(() => h.isAvailable('127.0.0.2') && h.isAvailable('127.0.0.3'), 10_000, 'both hosts connected');
  expect(await h.hostForNewCall()).toBe('127.0.0.3');
  // Both hosts know the client now (it registered itself): its key is accepted on each.
  for (const s of fleet.services.values()) {
    const res = await fetch(`${s.url}/calls/none/sessions`, {
      headers: {authorization: `Basic ${Buffer.from(`installation-1:${KEY}`).toString('base64')}`},
    });
    expect(res.status).toBe(404);
  }
  loads.set('127.0.0.3', 2.5);
  expect(await h.hostForNewCall()).toBe('127.0.0.2');
  loads.set('127.0.0.3', 0.2);
});

test('a new call asked for right after start waits for a connection instead of being refused', async () => {
  const {hosts: h} = hosts();
  await h.start();
  // Connections are still opening here (version check, registration, websocket).
  expect(h.isAvailable('127.0.0.2') || h.isAvailable('127.0.0.3')).toBe(false);
  expect(['127.0.0.2', '127.0.0.3']).toContain(await h.hostForNewCall());
});

test('an address removed from DNS gets no new calls, and gets them again when it is back', async () => {
  const {hosts: h} = hosts();
  await h.start();
  await waitFor(() => h.isAvailable('127.0.0.2') && h.isAvailable('127.0.0.3'), 10_000, 'both hosts connected');
  fleet.dns.records.set(NAME, ['127.0.0.2']);
  await waitFor(() => !h.isAvailable('127.0.0.3'), 5000, 'host flagged');
  for (let i = 0; i < 5; i++) expect(await h.hostForNewCall()).toBe('127.0.0.2');
  fleet.dns.records.set(NAME, ['127.0.0.2', '127.0.0.3']);
  await waitFor(() => h.isAvailable('127.0.0.3'), 5000, 'host back');
  expect(await h.hostForNewCall()).toBe('127.0.0.3');
});

test('messages of a session arrive tagged with the host that sent them; a host too old is not used', async () => {
  const {hosts: h, got} = hosts();
  await h.start();
  await waitFor(() => h.isAvailable('127.0.0.3'), 10_000, 'connected');
  // A session joined and left there: its close comes back from that host.
  expect(
    h.send('127.0.0.3', {
      type: 'join',
      data: {callID: 'c1', userID: 'u1', sessionID: 's1', channelID: 'ch', av1Support: false, dcSignaling: false},
    }),
  ).toBe(true);
  h.send('127.0.0.3', {type: 'leave', data: {sessionID: 's1'}});
  await waitFor(
    () => got.some(([ip, m]) => ip === '127.0.0.3' && m.type === 'close' && m.data.sessionID === 's1'),
    10_000,
    'close from the host',
  );

  const {hosts: old} = hosts({minVersion: 'v99.0.0'});
  await old.start();
  await new Promise((r) => setTimeout(r, 1000));
  expect(old.isAvailable('127.0.0.2')).toBe(false);
  expect(await old.hostForNewCall()).toBeNull();
});
