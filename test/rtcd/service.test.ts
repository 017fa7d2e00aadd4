// The rtcd service in this process, driven over its real websocket by our plugin-side connection, with
// real werift peers whose signalling travels as rtcd rtc.Messages: audio flows both ways, outbound
// messages follow `reconnect`, `close` reaches the plugin, groups cannot touch each other's sessions,
// hostile frames are dropped without harm, and a draining host takes no new call but keeps the old one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import {newId} from '../../server/src/ids';
import type {RtcInbound, RtcSignal} from '../../server/src/rtc/types';
import {RtcdConnection, type RtcdCredentials} from '../../server/src/rtcd/client/connection';
import {inboundToRtcMessage, rtcMessageToSignal} from '../../server/src/rtcd/rtc-messages';
import {defaultRtcdConfig} from '../../server/src/rtcd/service/config';
import {startRtcdService, type RtcdService} from '../../server/src/rtcd/service/service';
import type {ClientMessage} from '../../server/src/rtcd/wire';
import {TestClient, type SignalingPort} from '../rtc/support/client';
import {sleep, waitFor} from '../support/wait';
import {speak, speech, startAudio, testLogger, testOptions} from '../rtc/support/harness';

jest.setTimeout(60_000);

const KEY = 'k'.repeat(40);
let dir: string;
let svc: RtcdService;
const conns: RtcdConnection[] = [];
const clients: TestClient[] = [];
const stops: Array<() => void> = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcd-svc-'));
  const cfg = defaultRtcdConfig();
  cfg.api.listenAddress = '127.0.0.1:0';
  cfg.api.allowSelfRegistration = true;
  cfg.store.dataSource = dir;
  cfg.drainTimeoutSeconds = 30;
  const rtc = testOptions();
  svc = await startRtcdService(cfg, testLogger(), {
    rtc: {...rtc, udpPort: 0, tcpPort: null},
    verificationsPerSecond: 50,
  });
  for (const clientID of ['install-a', 'install-b']) {
    const res = await fetch(`${svc.url}/register`, {method: 'POST', body: JSON.stringify({clientID, authKey: KEY})});
    expect(res.status).toBe(201);
  }
});

afterAll(async () => {
  for (const s of stops) s();
  await Promise.all(clients.map((c) => c.close()));
  for (const c of conns) c.close();
  await svc?.close();
  fs.rmSync(dir, {recursive: true, force: true});
});

/** Where each session's signals go, whichever plugin connection rtcd sends them on. */
const signalListeners = new Map<string, (s: RtcSignal) => void>();
/** The connection that joined each session (the one that may make it leave). */
const owners = new Map<string, RtcdConnection>();

/** A plugin connection that records what rtcd sends it. */
async function plugin(clientID = 'install-a'): Promise<{conn: RtcdConnection; got: ClientMessage[]}> {
  const conn = await RtcdConnection.connect(svc.url, {clientID, authKey: KEY} satisfies RtcdCredentials);
  conns.push(conn);
  const got: ClientMessage[] = [];
  conn.on('message', (m) => {
    got.push(m);
    if (m.type === 'rtc') signalListeners.get(m.data.session_id)?.(rtcMessageToSignal(m.data));
  });
  return {conn, got};
}

/** Signalling of one session over an rtcd connection, as the plugin relays it for a browser. */
function viaRtcd(conn: () => RtcdConnection): SignalingPort {
  return {
    send: (msg: RtcInbound) => void conn().send({type: 'rtc', data: inboundToRtcMessage(msg)}),
    onSignal: (sessionID, fn) => {
      signalListeners.set(sessionID, fn);
      return () => signalListeners.delete(sessionID);
    },
  };
}

async function joinVia(getConn: () => RtcdConnection, callID: string, sessionID = newId()): Promise<TestClient> {
  owners.set(sessionID, getConn());
  getConn().send({
    type: 'join',
    data: {callID, userID: newId(), sessionID, channelID: newId(), av1Support: false, dcSignaling: false},
  });
  const client = new TestClient({sessionID, signaling: viaRtcd(getConn)});
  clients.push(client);
  await client.start();
  await client.waitConnected();
  return client;
}

test('hello on connect; a wrong key or an unknown client is refused before the upgrade', async () => {
  const {conn} = await plugin();
  expect(conn.connID).toMatch(/^[a-z0-9]{26}$/);
  await expect(RtcdConnection.connect(svc.url, {clientID: 'install-a', authKey: 'x'.repeat(40)})).rejects.toThrow(
    /HTTP 401/,
  );
  await expect(RtcdConnection.connect(svc.url, {clientID: 'nobody', authKey: KEY})).rejects.toThrow(/HTTP 401/);
});

test('audio flows both ways through rtcd; the sessions API lists the call; leave sends close', async () => {
  const {conn, got} = await plugin();
  const callID = newId();
  const a = await joinVia(() => conn, callID);
  const b = await joinVia(() => conn, callID);
  const aMic = await a.addTrack('audio', 'mic-a');
  const bMic = await b.addTrack('audio', 'mic-b');
  stops.push(startAudio(a, aMic.track, aMic.transceiver, speech), startAudio(b, bMic.track, bMic.transceiver, speech));
  await waitFor(() => b.packetsFrom('voice', a.sessionID) >= 20, 15_000, 'B hearing A');
  await waitFor(() => a.packetsFrom('voice', b.sessionID) >= 20, 15_000, 'A hearing B');
  // Voice activity arrives as vad messages with the session's ids.
  await waitFor(
    () => got.some((m) => m.type === 'vad' && m.data.session_id === a.sessionID && m.data.type === 7),
    10_000,
    'voice on',
  );
  const vad = got.find((m) => m.type === 'vad')!;
  expect(vad.data).toMatchObject({group_id: 'install-a', call_id: callID});
  // The sessions' metrics are labelled by installation (upstream's groupID), not with a default.
  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  expect(metrics).toMatch(/^rtcd_rtc_sessions_total\{groupID="install-a"\} 2$/m);
  expect(metrics).toMatch(/^rtcd_rtc_rtp_tracks_total\{groupID="install-a",direction="in",type="audio\/opus"\} 2$/m);

  const auth = `Basic ${Buffer.from(`install-a:${KEY}`).toString('base64')}`;
  const list = (await (
    await fetch(`${svc.url}/calls/${callID}/sessions`, {headers: {authorization: auth}})
  ).json()) as Array<{SessionID: string; GroupID: string}>;
  expect(list.map((s) => s.SessionID).sort()).toEqual([a.sessionID, b.sessionID].sort());
  expect(new Set(list.map((s) => s.GroupID))).toEqual(new Set(['install-a']));
  // Another installation does not see this call.
  const other = `Basic ${Buffer.from(`install-b:${KEY}`).toString('base64')}`;
  expect((await fetch(`${svc.url}/calls/${callID}/sessions`, {headers: {authorization: other}})).status).toBe(404);

  conn.send({type: 'leave', data: {sessionID: b.sessionID}});
  await waitFor(() => got.some((m) => m.type === 'close' && m.data.sessionID === b.sessionID), 10_000, 'close for B');
});

test('after reconnect on a new connection, signalling for the session goes there; close still goes to the joining one', async () => {
  const first = await plugin();
  let current = first.conn;
  const callID = newId();
  const a = await joinVia(() => current, callID);
  const second = await plugin();
  second.conn.send({type: 'reconnect', data: {sessionID: a.sessionID}});
  current = second.conn;
  await sleep(100);
  // A second session makes the server renegotiate with A: that offer must reach A over the new connection.
  const b = await joinVia(() => first.conn, callID);
  await speak(b, 'mic-b', speech, stops);
  await waitFor(() => a.packetsFrom('voice', b.sessionID) >= 10, 15_000, 'A hearing B after reconnect');
  expect(second.got.some((m) => m.type === 'rtc' && m.data.session_id === a.sessionID)).toBe(true);
  second.conn.send({type: 'leave', data: {sessionID: a.sessionID}});
  await waitFor(
    () => first.got.some((m) => m.type === 'close' && m.data.sessionID === a.sessionID),
    10_000,
    'close on the joining connection',
  );
});

test("a group cannot leave, reconnect or signal another group's session; hostile frames leave the connection and the call alone", async () => {
  const owner = await plugin('install-a');
  const intruder = await plugin('install-b');
  const callID = newId();
  const a = await joinVia(() => owner.conn, callID);
  const b = await joinVia(() => owner.conn, callID);
  await speak(a, 'mic-a', speech, stops);
  await waitFor(() => b.packetsFrom('voice', a.sessionID) >= 5, 15_000, 'B hearing A');

  intruder.conn.send({type: 'leave', data: {sessionID: a.sessionID}});
  intruder.conn.send({type: 'reconnect', data: {sessionID: a.sessionID}});
  intruder.conn.send({type: 'rtc', data: inboundToRtcMessage({sessionID: a.sessionID, type: 'mute'})});
  // The same call id from another installation is another call: it gets none of A's media.
  const c = await joinVia(() => intruder.conn, callID);
  // Raw junk from an authenticated client.
  const junk = new WebSocket(`${svc.url.replace('http', 'ws')}/ws`, {
    headers: {authorization: `Basic ${Buffer.from(`install-b:${KEY}`).toString('base64')}`},
  });
  await new Promise((r) => junk.once('message', r));
  for (const frame of [
    Buffer.from([0xc1]),
    Buffer.from('text'),
    Buffer.alloc(0),
    Buffer.from([0xa3, 0x72, 0x74, 0x63, 0x80]),
  ])
    junk.send(frame, {binary: true});
  junk.send('a text frame');

  const before = b.trackOfType('voice', a.sessionID)!.payloads.length;
  await sleep(1500);
  expect(b.trackOfType('voice', a.sessionID)!.payloads.length).toBeGreaterThan(before + 20);
  expect(owner.got.some((m) => m.type === 'close' && m.data.sessionID === a.sessionID)).toBe(false);
  expect(intruder.got.some((m) => m.type === 'rtc' && m.data.session_id === a.sessionID)).toBe(false);
  expect(c.trackOfType('voice', a.sessionID)).toBeUndefined();
  expect(junk.readyState).toBe(WebSocket.OPEN);
  junk.close();
});

test('a draining host refuses a new call with close, keeps the running one, and is idle once it ends', async () => {
  const {conn, got} = await plugin();
  const callID = newId();
  const a = await joinVia(() => conn, callID);
  const b = await joinVia(() => conn, callID);
  await speak(a, 'mic-a', speech, stops);
  // Sessions of earlier tests end first, so only this call remains.
  for (const c of clients.filter((x) => x !== a && x !== b))
    owners.get(c.sessionID)?.send({type: 'leave', data: {sessionID: c.sessionID}});
  await waitFor(() => svc.sessions.size === 2, 10_000, 'only this call left');

  let drained: string | undefined;
  void svc.drain().then((how) => {
    drained = how;
  });
  const refused = newId();
  conn.send({
    type: 'join',
    data: {
      callID: newId(),
      userID: newId(),
      sessionID: refused,
      channelID: newId(),
      av1Support: false,
      dcSignaling: false,
    },
  });
  await waitFor(() => got.some((m) => m.type === 'close' && m.data.sessionID === refused), 5000, 'new call refused');
  const before = b.packetsFrom('voice', a.sessionID);
  await sleep(1000);
  expect(b.trackOfType('voice', a.sessionID)!.payloads.length).toBeGreaterThan(before + 10);
  expect(drained).toBeUndefined();

  conn.send({type: 'leave', data: {sessionID: a.sessionID}});
  conn.send({type: 'leave', data: {sessionID: b.sessionID}});
  await waitFor(() => drained !== undefined, 10_000, 'drained');
  expect(drained).toBe('idle');
});
