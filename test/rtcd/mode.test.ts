// The plugin in rtcd mode: a real node (SQLite, standalone platform) with RTCDServiceURL naming a host
// resolved by a DNS server on loopback, and a real rtcd service there. Users join over the calls
// websocket with real werift peers: the node runs no SFU, the call is pinned to the host in
// props.rtcd_host, audio flows both ways through rtcd, the node registered itself with rtcd and keeps
// its credentials in the store, and a user leaving ends its rtcd session.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createApp} from '../../server/src/app';
import type {RtcdService} from '../../server/src/rtcd/service/service';
import type {WsTestClient} from '../support/calls-client';
import {seededWorld} from '../support/fixtures';
import type {TestServer} from '../support/server';
import {waitFor} from '../support/wait';
import {type TestClient} from '../rtc/support/client';
import {joinWithPeer, speak, speech, startAudio} from '../rtc/support/harness';
import {rtcdModeOptions, startRtcdFleet, useRtcdModeServer} from './support';

jest.setTimeout(60_000);

const t = useRtcdModeServer(() => startRtcdFleet('rtcd.mode.test', ['127.0.0.1']));
const sockets: WsTestClient[] = [];
const peers: TestClient[] = [];
const stops: Array<() => void> = [];
t.cleanups.push(
  () => stops.forEach((s) => s()),
  () => Promise.all(peers.map((p) => p.close())),
  () => Promise.all(sockets.map((s) => s.close())),
);
/** The one rtcd host. */
const rtcd = (): RtcdService => t.fleet.services.get('127.0.0.1')!;

async function joinWithMedia(user: 'alice' | 'bob', channelID: string): Promise<{ws: WsTestClient; peer: TestClient}> {
  const ws = await t.w.connect(user);
  sockets.push(ws);
  return {ws, peer: await joinWithPeer(ws, channelID, peers)};
}

test('a call runs on the rtcd host: pinned in props.rtcd_host, audio both ways, the session ends there on leave', async () => {
  expect(t.srv.app.coordination.mode).toBe('rtcd');
  expect(t.srv.app.rtc).toBeNull();
  await waitFor(async () => rtcd().sessions.size === 0, 1000, 'idle host');

  const ch = await t.w.newChannel(['alice', 'bob']);
  const a = await joinWithMedia('alice', ch);
  const b = await joinWithMedia('bob', ch);
  const call = await t.srv.app.store.calls.getActiveCallByChannel(ch);
  expect(call?.props.rtcd_host).toBe('127.0.0.1');
  expect(rtcd().sessions.size).toBe(2);

  const aMic = await a.peer.addTrack('audio', 'mic-a');
  const bMic = await b.peer.addTrack('audio', 'mic-b');
  stops.push(
    startAudio(a.peer, aMic.track, aMic.transceiver, speech),
    startAudio(b.peer, bMic.track, bMic.transceiver, speech),
  );
  await waitFor(() => b.peer.packetsFrom('voice', a.peer.sessionID) >= 20, 15_000, 'B hearing A through rtcd');
  await waitFor(() => a.peer.packetsFrom('voice', b.peer.sessionID) >= 20, 15_000, 'A hearing B through rtcd');
  // Voice activity from rtcd reaches the call's users as the plugin's events.
  await b.ws.waitFor('user_voice_on', (e) => e.data.session_id === a.peer.sessionID, 10_000);

  // The node registered itself and keeps what it registered with.
  const stored = JSON.parse((await t.srv.app.store.kv.get('rtcd_config')) ?? '{}') as {
    ClientID?: string;
    AuthKey?: string;
  };
  expect(stored.ClientID).toBeTruthy();
  expect(stored.AuthKey?.length).toBeGreaterThanOrEqual(32);
  const auth = `Basic ${Buffer.from(`${stored.ClientID}:${stored.AuthKey}`).toString('base64')}`;
  const listed = (await (
    await fetch(`${rtcd().url}/calls/${call!.id}/sessions`, {headers: {authorization: auth}})
  ).json()) as Array<{SessionID: string}>;
  expect(listed.map((s) => s.SessionID).sort()).toEqual([a.ws.originalConnID, b.ws.originalConnID].sort());

  b.ws.send('leave');
  await waitFor(() => rtcd().sessions.size === 1, 10_000, "B's rtcd session closed");
});

test('a restart of the node leaves media flowing on rtcd; the call is kept, and sessions whose clients do not come back are removed after the grace', async () => {
  // A node of its own on a data directory that survives the restart, with a short reconnect grace.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtcd-mode-restart-'));
  const appOpts = {
    host: '127.0.0.1',
    seed: true,
    rateLimit: {perSecond: 1000, burst: 1000},
    dataDir,
    timings: {reconnectGraceMs: 3000},
    ...rtcdModeOptions(t.fleet),
  };
  let app = await createApp({...appOpts, port: 0});
  const port = app.port;
  try {
    const node = {url: app.url, app} as unknown as TestServer;
    const world = await seededWorld(node);
    const ch = await world.newChannel(['alice', 'bob']);
    const before = rtcd().sessions.size;
    const join = async (user: 'alice' | 'bob') => {
      const ws = await world.connect(user);
      return {ws, peer: await joinWithPeer(ws, ch, peers)};
    };
    const a = await join('alice');
    const b = await join('bob');
    await speak(a.peer, 'mic-a', speech, stops);
    const heard = () => b.peer.packetsFrom('voice', a.peer.sessionID);
    await waitFor(() => heard() >= 10, 15_000, 'B hearing A');
    const callID = (await app.store.calls.getActiveCallByChannel(ch))!.id;

    // The node goes away (its websockets with it) and comes back on the same data directory and port.
    await world.closeClients();
    await app.close();
    const whileDown = heard();
    await new Promise((r) => setTimeout(r, 1000));
    expect(heard()).toBeGreaterThan(whileDown + 20);
    app = await createApp({...appOpts, port});
    const active = await app.store.calls.getActiveCallByChannel(ch);
    expect(active?.id).toBe(callID);
    const afterStart = heard();
    await new Promise((r) => setTimeout(r, 1000));
    expect(heard()).toBeGreaterThan(afterStart + 20);

    // Nobody came back within the grace: the sessions leave, rtcd closes them, the call ends.
    await waitFor(
      async () => !(await app.store.calls.getActiveCallByChannel(ch)),
      15_000,
      'call ended after the grace',
    );
    await waitFor(() => rtcd().sessions.size === before, 10_000, 'rtcd sessions closed');
  } finally {
    await app.close();
    fs.rmSync(dataDir, {recursive: true, force: true});
  }
});
