// A client's DTLS first flight that reaches the SFU before the session's own ICE agent reports connected
// (a browser starts DTLS the moment its checks succeed) is kept for the handshake instead of dropped, so
// the join does not wait out a DTLS retransmission; the handshake, data channel and media still work.
import {newId} from '../../server/src/ids';
import {UdpMuxSocket} from '../../server/src/rtc/net/udpMux';
import {SfuServer} from '../../server/src/rtc/server';
import {TestClient} from './support/client';
import {
  directSignaling,
  join,
  newSession,
  speak,
  speech,
  testLogger,
  testOptions,
  useRtcServer,
} from './support/harness';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(30_000);

/** How long the server's DTLS start is held back after its ICE agent connected. */
const LATE_START_MS = 300;

/** The handshake type of a DTLS datagram's first record, if it is an unencrypted handshake message. */
function handshakeType(data: Buffer): number | undefined {
  return data.length > 13 && data[0] === 22 && data.readUInt16BE(3) === 0 ? data[13] : undefined;
}
const SERVER_HELLO = 2;
const HELLO_VERIFY_REQUEST = 3;

/** Counts the server's datagrams by their first handshake message type while `fn` runs. */
async function withServerHandshakes<T>(fn: (sent: (type: number) => number) => Promise<T>): Promise<T> {
  const original = UdpMuxSocket.prototype.send;
  const counts = new Map<number, number>();
  UdpMuxSocket.prototype.send = function (data, addr) {
    const type = handshakeType(data);
    if (type !== undefined) counts.set(type, (counts.get(type) ?? 0) + 1);
    return original.call(this, data, addr);
  };
  try {
    return await fn((type) => counts.get(type) ?? 0);
  } finally {
    UdpMuxSocket.prototype.send = original;
  }
}

/** DTLS handshake records of type client_hello with message_seq 0 (the first ClientHello, before any cookie). */
function isFirstClientHello(data: Buffer): boolean {
  // Record header: type(1) version(2) epoch(2) sequence(6) length(2); then msg_type(1) length(3) message_seq(2).
  return data.length > 19 && data[0] === 22 && data[13] === 1 && data.readUInt16BE(17) === 0;
}

/** Counts the datagrams the client sends that `match`, from now on; read the count with the returned function. */
function countClientSent(client: TestClient, match: (data: Buffer) => boolean): () => number {
  let count = 0;
  for (const t of client.pc.iceTransports) {
    const conn = t.connection as unknown as {send: (data: Buffer) => Promise<void>};
    const send = conn.send.bind(conn);
    conn.send = (data: Buffer) => {
      if (match(data)) count++;
      return send(data);
    };
  }
  return () => count;
}

describe('a DTLS first flight that arrives before the server is ready', () => {
  let server: SfuServer;
  const {clients, stops} = useRtcServer(
    (s) => (server = s as SfuServer),
    // In-process on purpose: the test reaches the session's peer connection.
    () => SfuServer.create(testOptions({workers: 1}), testLogger(), {}),
  );

  it('is answered: the client sends its first ClientHello once and the session carries media', async () => {
    const callID = newId();
    const a = await join(server, {callID});
    clients.push(a);

    const sessionID = await newSession(server, callID);
    const b = new TestClient({sessionID, signaling: directSignaling(server)});
    clients.push(b);
    // Count the first ClientHellos b sends (a lost one is sent again after werift's 0.5 s retransmission).
    const firstHellos = countClientSent(b, isFirstClientHello);
    // The server's DTLS transport starts LATE_START_MS after its agent connected, so b's first flight,
    // sent as b's own checks succeed, is certain to arrive before the server listens.
    const pc = server.session(sessionID)!.peerConnection;
    const answered = new Promise<void>((resolve) =>
      pc.signalingStateChange.subscribe((state) => {
        if (state !== 'stable') return;
        for (const t of pc.dtlsTransports) {
          const start = t.start.bind(t);
          t.start = async () => {
            await sleep(LATE_START_MS);
            return start();
          };
        }
        resolve();
      }),
    );
    await b.start();
    await answered;
    await b.waitConnected();
    expect(firstHellos()).toBe(1);

    // And the session works: b hears a.
    await speak(a, 'mic', speech, stops);
    await waitFor(() => b.received.some((r) => r.payloads.length >= 10), 10_000, 'b receives a');
  });
  it('answers a ClientHello sent again while it was not listening once, not once per copy', async () => {
    const callID = newId();
    const sessionID = await newSession(server, callID);
    const b = new TestClient({sessionID, signaling: directSignaling(server)});
    clients.push(b);
    const pc = server.session(sessionID)!.peerConnection;
    // What reaches the session's transport: first ClientHellos while it is not started (held) and after.
    let held = 0;
    let live = 0;
    const answered = new Promise<void>((resolve) =>
      pc.signalingStateChange.subscribe((state) => {
        if (state !== 'stable') return;
        for (const t of pc.dtlsTransports) {
          const data = (t.iceTransport.connection as unknown as {onData: {execute: (d: Buffer) => void}}).onData;
          const inner = data.execute;
          data.execute = (d: Buffer) => {
            if (isFirstClientHello(d)) {
              if (t.state === 'new') held++;
              else live++;
            }
            inner(d);
          };
          const start = t.start.bind(t);
          // Long enough for werift's client to send its first ClientHello again (after 0.5 s).
          t.start = async () => {
            await sleep(1200);
            return start();
          };
        }
        resolve();
      }),
    );
    await withServerHandshakes(async (sent) => {
      await b.start();
      await answered;
      await b.waitConnected();
      expect(held).toBeGreaterThanOrEqual(2);
      // The held copies are answered once; a copy that arrived live may be answered again (the same flight).
      expect(sent(SERVER_HELLO)).toBeGreaterThanOrEqual(1);
      expect(sent(SERVER_HELLO)).toBeLessThanOrEqual(live + 1);
    });
  });

  it('answers the first ClientHello with its ServerHello: no HelloVerifyRequest round trip', async () => {
    await withServerHandshakes(async (sent) => {
      const sessionID = await newSession(server, newId());
      const b = new TestClient({sessionID, signaling: directSignaling(server)});
      clients.push(b);
      const clientHellos = countClientSent(b, (data) => handshakeType(data) === 1);
      await b.start();
      await b.waitConnected();
      expect(sent(HELLO_VERIFY_REQUEST)).toBe(0);
      expect(sent(SERVER_HELLO)).toBeGreaterThanOrEqual(1);
      expect(clientHellos()).toBe(1);
    });
  });
});
