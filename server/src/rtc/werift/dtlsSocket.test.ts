import {spawnSync} from 'node:child_process';
import dgram from 'node:dgram';
import {once} from 'node:events';
import {type RTCCertificate, RTCDtlsTransport} from 'werift';
import {handshakeMessages, loopbackDtlsServer, opensslHandshake, weriftHandshake} from '../../testing/dtls-handshake';
import {nativeDtlsCrypto} from './dtlsCrypto';
import {waitFor} from '../../../../test/support/wait';
import {
  answerHelloWithoutCookieOn,
  describeHandshakeError,
  dtlsHandshakeError,
  keepHandshakeError,
  ignoreRepeatedClientFlightOn,
  releaseHandshakeMessagesOn,
  ignoreRepeatedHelloVerifyOn,
} from './dtlsSocket';

const OPENSSL = spawnSync('openssl', ['version']).status === 0;
const CLIENT_HELLO = 1;
const SERVER_HELLO = 2;
const HELLO_VERIFY_REQUEST = 3;

interface Handshake {
  msg_type: number;
  fragment: Buffer;
}

let certificate: RTCCertificate;
beforeAll(async () => {
  nativeDtlsCrypto();
  certificate = await RTCDtlsTransport.SetupCertificate();
});

const types = (datagrams: Buffer[]) => datagrams.flatMap(handshakeMessages).map(([type]) => type);

describe('a DTLS server that answers a ClientHello without a cookie round trip', () => {
  it('werift alone asks for a cookie first: its client sends two ClientHellos (the round trip this removes)', async () => {
    const server = await loopbackDtlsServer(certificate);
    try {
      const {result, sent} = await weriftHandshake(server, certificate);
      expect(result).toBe('connected');
      expect(types(server.sent)[0]).toBe(HELLO_VERIFY_REQUEST);
      expect(types(sent).filter((t) => t === CLIENT_HELLO)).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('completes with werift’s client (the recorder, test and load-test peers) after one ClientHello', async () => {
    const server = await loopbackDtlsServer(certificate, answerHelloWithoutCookieOn);
    try {
      const {result, sent} = await weriftHandshake(server, certificate);
      expect(result).toBe('connected');
      expect(types(server.sent)).not.toContain(HELLO_VERIFY_REQUEST);
      expect(types(sent).filter((t) => t === CLIENT_HELLO)).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  // OpenSSL, like the browsers' BoringSSL, waits for the server's handshake message numbered 0 and checks the
  // transcript in the Finished messages: a ServerHello numbered 1 after no HelloVerifyRequest would stall it.
  (OPENSSL ? it.each(['X25519:P-256', 'P-256']) : it.skip.each(['X25519:P-256']))(
    'completes with OpenSSL’s client offering %s, the ServerHello numbered 0',
    async (groups) => {
      const server = await loopbackDtlsServer(certificate, answerHelloWithoutCookieOn);
      try {
        expect(await opensslHandshake(server, certificate, groups)).toBe('connected');
        const messages = server.sent.flatMap(handshakeMessages);
        expect(messages.map(([type]) => type)).not.toContain(HELLO_VERIFY_REQUEST);
        expect(messages[0]).toEqual([SERVER_HELLO, 0]);
      } finally {
        await server.close();
      }
    },
  );

  it('answers a repeated ClientHello with the very flight it sent, at most every 250 ms', async () => {
    // A real ClientHello, as werift's client sends it first.
    const source = await loopbackDtlsServer(certificate);
    const {sent: clientSent} = await weriftHandshake(source, certificate);
    await source.close();
    const hello = clientSent.find((d) => types([d])[0] === CLIENT_HELLO)!;

    const server = await loopbackDtlsServer(certificate, answerHelloWithoutCookieOn);
    const client = dgram.createSocket('udp4');
    const received: Buffer[] = [];
    client.on('message', (m) => received.push(m));
    client.bind(0, '127.0.0.1');
    await once(client, 'listening');
    const sendHello = () => client.send(hello, server.port, '127.0.0.1');
    const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    try {
      sendHello();
      await settle(150);
      const first = received.splice(0);
      expect(types(first)[0]).toBe(SERVER_HELLO);
      sendHello(); // within 250 ms of the answer: not answered again
      await settle(150);
      expect(received.splice(0)).toHaveLength(0);
      sendHello();
      await settle(150);
      const again = received.splice(0);
      expect(again.length).toBeGreaterThan(0);
      expect(again.map((d) => d.toString('hex'))).toEqual(first.map((d) => d.toString('hex')));
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('a DTLS server that is connected', () => {
  it('ignores a late or forged ClientHello: no new handshake, the session stays connected', async () => {
    const server = await loopbackDtlsServer(certificate, answerHelloWithoutCookieOn);
    const client = dgram.createSocket('udp4');
    try {
      const {result, sent} = await weriftHandshake(server, certificate);
      expect(result).toBe('connected');
      const hello = sent.find((d) => types([d])[0] === CLIENT_HELLO)!;
      const before = server.sent.length;
      client.bind(0, '127.0.0.1');
      await once(client, 'listening');
      client.send(hello, server.port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(types(server.sent.slice(before))).toEqual([]);
      expect((server.socket as unknown as {connected: boolean}).connected).toBe(true);
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('a connected DTLS server', () => {
  it("keeps which handshake messages it saw, not their bytes (werift kept both sides' for the connection's life)", async () => {
    const server = await loopbackDtlsServer(certificate, (socket) => {
      answerHelloWithoutCookieOn(socket);
      releaseHandshakeMessagesOn(socket);
    });
    try {
      const {result} = await weriftHandshake(server, certificate);
      expect(result).toBe('connected');
      const cache = (server.socket as unknown as {dtls: {handshakeCache: Record<number, {data: Handshake[]}>}}).dtls
        .handshakeCache;
      const messages = Object.values(cache).flatMap((f) => f.data);
      expect(messages.map((m) => m.msg_type).sort((a, b) => a - b)).toEqual(
        expect.arrayContaining([CLIENT_HELLO, SERVER_HELLO, 11, 12, 14, 16, 20]),
      );
      expect(messages.map((m) => m.fragment.length)).toEqual(messages.map(() => 0));
    } finally {
      await server.close();
    }
  });
});

describe('a DTLS server whose last flight is lost', () => {
  // Flight 6 (ChangeCipherSpec, then Finished in epoch 1): the client, not connected, sends its flight 5 again.
  const isFlight6 = (d: Buffer) => d[0] === 20 || (d[0] === 22 && d.readUInt16BE(3) === 1);

  it('sends it again when the client repeats its flight: the handshake completes', async () => {
    let lost = 0;
    // The server counts itself connected once it has sent flight 6, so its handshake messages are already released
    // when the client's repeat comes.
    const server = await loopbackDtlsServer(
      certificate,
      (socket) => {
        answerHelloWithoutCookieOn(socket);
        releaseHandshakeMessagesOn(socket);
      },
      (d) => (isFlight6(d) && lost++ < 2 ? 0 : 1),
    );
    try {
      const {result} = await weriftHandshake(server, certificate);
      expect(lost).toBeGreaterThanOrEqual(2);
      expect(result).toBe('connected');
    } finally {
      await server.close();
    }
  });
});

describe("a DTLS server that reads the client's flight 5 twice in one batch", () => {
  // A client that got flight 4 twice answers both; on a loaded SFU both copies are read in one receive batch, so the
  // second ClientKeyExchange is handled after the first CertificateVerify was cached (seen at 1×1000×2).
  const fixes = (socket: Parameters<typeof answerHelloWithoutCookieOn>[0]) => {
    answerHelloWithoutCookieOn(socket);
    ignoreRepeatedClientFlightOn(socket);
  };

  it('derives its keys once: both sides connect', async () => {
    const server = await loopbackDtlsServer(certificate, fixes);
    const held: Buffer[] = [];
    let delivered = false;
    const deliverTwice = (d: Buffer): boolean => {
      const inFlight5 = held.length > 0 || handshakeMessages(d).some(([type]) => type === 11);
      if (!inFlight5 || delivered) return false;
      held.push(d);
      // Epoch 1 (bytes 3–4): the Finished ends the flight; both copies go to the server in one synchronous batch.
      if (d[0] === 22 && d.readUInt16BE(3) === 1) {
        delivered = true;
        const socket = server.socket as unknown as {udpOnMessage(data: Buffer): void};
        for (const copy of [held, held]) for (const datagram of copy) socket.udpOnMessage(Buffer.from(datagram));
      }
      return true;
    };
    try {
      const {result} = await weriftHandshake(server, certificate, undefined, deliverTwice);
      expect(delivered).toBe(true);
      expect(held.length).toBeGreaterThanOrEqual(4);
      expect(result).toBe('connected');
    } finally {
      await server.close();
    }
  });
});

describe('a werift DTLS client that gets a HelloVerifyRequest twice', () => {
  it('ignores the repeat and completes the handshake (the recorder and test peers against a server that asks for a cookie)', async () => {
    const server = await loopbackDtlsServer(certificate, undefined, (d) =>
      types([d])[0] === HELLO_VERIFY_REQUEST ? 2 : 1,
    );
    try {
      const {result} = await weriftHandshake(server, certificate, ignoreRepeatedHelloVerifyOn);
      expect(result).toBe('connected');
      expect(types(server.sent)).toContain(HELLO_VERIFY_REQUEST);
    } finally {
      await server.close();
    }
  });
});

describe('a DTLS handshake error', () => {
  it("is described with werift's message and the werift file and line that threw it (the step that failed)", () => {
    const error = new Error('not exist');
    error.stack = [
      'Error: not exist',
      '    at Flight6.handlers.<computed> (/srv/calls/node_modules/werift/lib/dtls/src/flight/server/flight6.js:89:19)',
      '    at Flight6.handleHandshake (/srv/calls/node_modules/werift/lib/dtls/src/flight/server/flight6.js:40:9)',
    ].join('\n');
    expect(describeHandshakeError(error)).toBe('not exist (at server/flight6.js:89)');
    expect(describeHandshakeError('waitForReady timeout')).toBe('waitForReady timeout');
    expect(describeHandshakeError(new Error('x'.repeat(1000))).length).toBeLessThanOrEqual(300);
  });

  it('is kept for the session that failed: a client offering only a curve werift lacks', async () => {
    const holder = {};
    const server = await loopbackDtlsServer(certificate, (socket) => {
      answerHelloWithoutCookieOn(socket);
      keepHandshakeError(holder, socket);
    });
    // openssl waits for an answer that never comes; the helper kills it when the handshake is given up (10 s).
    const handshake = opensslHandshake(server, certificate, 'P-384');
    try {
      await waitFor(() => dtlsHandshakeError(holder) !== undefined, 8_000, 'the handshake error');
      // Where werift threw, then the state: werift has no P-384, so no curve was chosen and no key pair made.
      expect(dtlsHandshakeError(holder)).toMatch(/\(at [\w-]+\/[\w-]+\.(js|ts):\d+\) \[flight \d; missing: .+\]$/);
      expect(dtlsHandshakeError(holder)).toMatch(/missing: .*namedCurve/);
      expect(await handshake).not.toBe('connected');
    } finally {
      await server.close();
    }
  }, 20_000);
});
