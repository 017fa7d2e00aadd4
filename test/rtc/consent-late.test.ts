// The SFU sends no consent checks once a pair is selected (server/src/rtc/werift/clientConsent.ts): the client's own
// checks, every ≈ 5 s on the selected pair, are its consent to keep sending there. A listener whose path suddenly
// gets slow — every check it sends reaches the SFU a second late, as behind a filling uplink queue — stays in the
// call and keeps hearing; one whose checks stop is dropped once the consent expires, and the log line says what
// its pair saw. The consent timings are shortened for the test (checks every 2 s instead of 5, expiry after 8 s
// instead of 30), the way werift's agents and the SFU's sweep read them; the server and the clients share this
// process.
import pino from 'pino';
import type {RTCPeerConnection} from 'werift';
import {newId} from '../../server/src/ids';
import {createRtcServer, type EmbeddedRtcServer} from '../../server/src/rtc';
import {weriftIceBase} from '../../server/src/rtc/werift/fixes';
import {sleep, waitFor} from '../support/wait';
import {TestClient} from './support/client';
import {directSignaling, join, newSession, speech, startAudio, startServer, testOptions} from './support/harness';

jest.setTimeout(60_000);

const iceBase = weriftIceBase();
const saved = {interval: iceBase.CONSENT_INTERVAL, timeout: iceBase.CONSENT_TIMEOUT};
let server: EmbeddedRtcServer;
const clients: TestClient[] = [];
const closed = new Map<string, string>();

beforeAll(async () => {
  iceBase.CONSENT_INTERVAL = 2;
  iceBase.CONSENT_TIMEOUT = 8;
  server = await startServer();
  server.on('close', (id, reason) => closed.set(id, reason));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
  iceBase.CONSENT_INTERVAL = saved.interval;
  iceBase.CONSENT_TIMEOUT = saved.timeout;
});

test('checks that arrive a second late keep the listener in the call, hearing the speaker', async () => {
  const callID = newId();
  const speaker = await join(server, {callID});
  clients.push(speaker);
  const mic = await speaker.addTrack('audio', 'mic');
  const stop = startAudio(speaker, mic.track, mic.transceiver, speech);
  try {
    const listener = await join(server, {callID});
    clients.push(listener);
    const heard = () => listener.packetsFrom('voice', speaker.sessionID);
    await waitFor(() => heard() > 10, 10_000, 'the listener hearing the speaker');

    delayOutgoingStunRequests(listener.pc, 1000);
    // Beyond the (shortened) consent expiry, with a check every 1.6–2.4 s, each a second late.
    await sleep(12_000);
    expect(closed.get(listener.sessionID)).toBeUndefined();
    const before = heard();
    await sleep(1_000);
    // Still forwarded to: 50 packets a second.
    expect(heard() - before).toBeGreaterThan(25);
  } finally {
    stop();
  }
});

test('a listener whose checks stop is dropped when its consent expires, the SFU having sent none of its own', async () => {
  // Its own logger: the line is read back (pino writes synchronously into this stream).
  const lines: Array<{msg: string; sessionID?: string; pair?: Record<string, number>}> = [];
  const logged = await createRtcServer(
    testOptions({workers: 1}),
    pino({level: 'warn'}, {write: (line: string) => lines.push(JSON.parse(line))}),
  );
  const gone = new Map<string, string>();
  logged.on('close', (id, reason) => gone.set(id, reason));
  const listener = await join(logged, {callID: newId()});
  try {
    // Checks for a few seconds first: the pair is in use, then the client's checks no longer reach the SFU.
    await sleep(4_500);
    const stoppedAt = Date.now();
    delayOutgoingStunRequests(listener.pc, Infinity);
    await waitFor(() => gone.has(listener.sessionID), 20_000, 'the silent listener dropped');
    // Not before the (shortened, 8 s) expiry: the last check may have left just before they stopped.
    expect(Date.now() - stoppedAt).toBeGreaterThan(5_500);
    expect(gone.get(listener.sessionID)).toBe('rtc connection failed');
    const line = lines.find((l) => l.msg.startsWith('rtc connection failed') && l.sessionID === listener.sessionID);
    expect(line?.pair).toBeDefined();
    // The client's checks came while they could; the SFU sent no consent checks (only its connectivity checks).
    expect(line!.pair!.checksReceived).toBeGreaterThan(1);
    expect(line!.pair!.consentChecksSent).toBe(0);
  } finally {
    await listener.close();
    await logged.close();
  }
});

test('a session that never connects says, as it closes, how far ICE and DTLS got (a client that checks no pair)', async () => {
  const lines: Array<{msg: string; sessionID?: string; neverConnected?: Record<string, unknown>}> = [];
  const logged = await createRtcServer(
    testOptions({workers: 1}),
    pino({level: 'info'}, {write: (line: string) => lines.push(JSON.parse(line))}),
  );
  const callID = newId();
  const sessionID = await newSession(logged, callID);
  // The client checks no candidate pair: its offer is answered, and nothing more happens.
  const client = new TestClient({sessionID, signaling: directSignaling(logged), pairFilter: () => false});
  try {
    await client.start();
    await sleep(1_500);
    await logged.closeSession(sessionID);
    const line = lines.find((l) => l.msg === 'rtc session closing' && l.sessionID === sessionID);
    // Where it stopped: the SFU's ICE may conclude on the client's answers to its own checks, but no DTLS record
    // ever came, so DTLS is waiting (or never began) and the pair carried nothing beyond STUN.
    expect(line?.neverConnected).toEqual(
      expect.objectContaining({ice: expect.any(String), dtls: expect.stringMatching(/^(new|connecting)$/)}),
    );
    const pair = line!.neverConnected!.pair as {packetsReceived: number} | undefined;
    if (pair) expect(pair.packetsReceived).toBe(0);
    expect(line!.neverConnected!.upForMs).toBeGreaterThanOrEqual(1_500);
    // A session that did connect says nothing of the kind.
    const fine = await join(logged, {callID});
    await logged.closeSession(fine.sessionID);
    await fine.close();
    const fineLine = lines.find((l) => l.msg === 'rtc session closing' && l.sessionID === fine.sessionID);
    expect(fineLine).toBeDefined();
    expect(fineLine!.neverConnected).toBeUndefined();
  } finally {
    await client.close();
    await logged.close();
  }
});

/** Every STUN binding request the peer sends (its checks) leaves `ms` later (Infinity: never). */
function delayOutgoingStunRequests(pc: RTCPeerConnection, ms: number): void {
  type Transport = {send(data: Buffer, addr: unknown): Promise<void>};
  for (const t of pc.iceTransports) {
    for (const p of (t.connection as unknown as {protocols: {transport: Transport}[]}).protocols) {
      const transport = p.transport;
      const original = transport.send.bind(transport);
      transport.send = async (data, addr) => {
        // A STUN binding request: message type 0x0001 in the first two bytes.
        if (data.length >= 20 && data[0] === 0x00 && data[1] === 0x01) {
          if (Number.isFinite(ms)) setTimeout(() => void original(data, addr).catch(() => {}), ms);
        } else await original(data, addr);
      };
    }
  }
}
