// Hooks on werift's DTLS sockets (werift 0.25.2: lib/dtls/src/socket.js, client.js, server.js): how a peer
// connection's socket is reached as werift creates it, and the two handshake corrections made through that.
// Reached through internals.ts.
import type {RTCPeerConnection} from 'werift';
import {weriftModule} from './weriftModule';

/** werift's DTLS socket as the hooks below use it. */
export interface DtlsSocketInternals {
  constructor: {name: string};
  dtls: {flight: number};
  connect?: () => Promise<void>;
  onHandleHandshakes: (assembled: HandshakeInternals[]) => Promise<void>;
  /** What fails the handshake (werift fails the transport with it and logs it only under DEBUG). */
  onError: {subscribe(listener: (error: unknown) => void): unknown};
}

/** An assembled handshake message (lib/dtls/src/record/message/fragment.js). */
interface HandshakeInternals {
  msg_type: number;
  fragment: Buffer;
}

const DTLS_SOCKET_HOOKS = Symbol('callsDtlsSocketHooks');
type DtlsSocketHook = (socket: DtlsSocketInternals) => void;

/**
 * Runs `hook` on each DTLS socket werift creates for the peer connection's transports, right after start() made it
 * and before it handles anything it receives (a client sends its first flight 100 ms later). Several hooks may be
 * added; transports created later need another call. A wrapped start(), not an accessor on `dtls`: redefining a
 * data property as an accessor put every transport in dictionary mode.
 */
export function onDtlsSocket(pc: RTCPeerConnection, hook: DtlsSocketHook): void {
  for (const transport of pc.dtlsTransports) {
    const t = transport as unknown as {
      [DTLS_SOCKET_HOOKS]?: DtlsSocketHook[];
      dtls?: DtlsSocketInternals;
      start(): Promise<void>;
    };
    let hooks = t[DTLS_SOCKET_HOOKS];
    if (!hooks) {
      const list: DtlsSocketHook[] = (hooks = t[DTLS_SOCKET_HOOKS] = []);
      const start = t.start.bind(t);
      // werift makes the socket in start()'s promise executor, before its first await.
      t.start = () => {
        const before = t.dtls;
        const done = start();
        const socket = t.dtls;
        if (socket && socket !== before) for (const h of list) h(socket);
        return done;
      };
    }
    hooks.push(hook);
  }
}

/** DTLS handshake types (RFC 6347 §4.2.1, RFC 5246 §7.4). */
const CLIENT_HELLO = 1;
const HELLO_VERIFY_REQUEST = 3;

/**
 * werift's DTLS client fails its transport when a second HelloVerifyRequest arrives after it sent its ClientHello
 * with the cookie — which happens whenever its first ClientHello was sent again before the answer came (a slow
 * server, a loaded machine) and the server answered both, as servers that ask for a cookie do (werift's own,
 * pion's; the SFU no longer asks, below). A browser ignores the repeat; so do our
 * werift clients (the recorder, the test and load-test peers) with this.
 */
export function ignoreRepeatedHelloVerify(pc: RTCPeerConnection): void {
  onDtlsSocket(pc, (socket) => {
    if (socket.constructor.name === 'DtlsClient') ignoreRepeatedHelloVerifyOn(socket);
  });
}

/** The same on one DTLS client socket (tests). */
export function ignoreRepeatedHelloVerifyOn(socket: DtlsSocketInternals): void {
  const handle = socket.onHandleHandshakes;
  socket.onHandleHandshakes = (assembled) =>
    handle(socket.dtls.flight >= 3 ? assembled.filter((h) => h.msg_type !== HELLO_VERIFY_REQUEST) : assembled);
}

/** werift's DTLS server (lib/dtls/src/server.js) and the handshake state its flights share. */
interface DtlsServerInternals extends DtlsSocketInternals {
  connected: boolean;
  transport: unknown;
  dtls: {flight: number; sequenceNumber: number};
  cipher: unknown;
  srtp: unknown;
  options: {certificateRequest?: boolean};
}
interface Flight4Internals {
  exec(clientHello: HandshakeInternals, certificateRequest?: boolean): Promise<void>;
  sendServerHello(): Buffer;
}
type Flight2 = (
  udp: {send(buf: Buffer): void},
  dtls: DtlsServerInternals['dtls'],
  cipher: unknown,
  srtp: unknown,
) => (clientHello: unknown) => void;
interface WeriftServerFlights {
  flight2: Flight2;
  Flight4: new (udp: unknown, dtls: unknown, cipher: unknown, srtp: unknown) => Flight4Internals;
  ClientHello: {deSerialize(fragment: Buffer): {cookie: Buffer}};
}

let flights: WeriftServerFlights | undefined;
function serverFlights(): WeriftServerFlights {
  return (flights ??= {
    ...weriftModule<Pick<WeriftServerFlights, 'flight2'>>('dtls/src/flight/server/flight2.js'),
    ...weriftModule<Pick<WeriftServerFlights, 'Flight4'>>('dtls/src/flight/server/flight4.js'),
    ...weriftModule<Pick<WeriftServerFlights, 'ClientHello'>>('dtls/src/handshake/message/client/hello.js'),
  });
}

/** A client repeating its ClientHello gets flight 4 again at most this often (each answer is ≈ 1 KB). */
const REPEAT_ANSWER_MS = 250;

/**
 * werift's DTLS server answers every first ClientHello with a HelloVerifyRequest (RFC 6347 §4.2.1's cookie
 * exchange) and sends its ServerHello…ServerHelloDone only to the ClientHello that returns the cookie: one more
 * round trip in every join, waiting behind whatever else both event loops are doing. The cookie keeps a server
 * from answering spoofed sources with a large flight; over ICE the source was verified by the connectivity checks
 * before DTLS starts, so browsers' own DTLS servers do without it, and so does this: a ClientHello without a
 * cookie gets flight 4 at once — werift's own flight-2 bookkeeping (cipher suite, curve, SRTP profile, randoms)
 * without the HelloVerifyRequest, then werift's flight 4 with the ServerHello numbered 0 as the server's first
 * handshake message (§4.2.2). A client's repeated ClientHello gets the same flight again, at most every 250 ms;
 * one that arrives once the handshake is done is dropped. Clients that send a cookie anyway are answered as before.
 */
export function answerHelloWithoutCookie(pc: RTCPeerConnection): void {
  onDtlsSocket(pc, (socket) => {
    if (socket.constructor.name !== 'DtlsServer') return;
    answerHelloWithoutCookieOn(socket);
    ignoreRepeatedClientFlightOn(socket);
    keepHandshakeError(pc, socket);
    releaseHandshakeMessagesOn(socket);
  });
}

/** werift's cache of the handshake's messages, by flight (lib/dtls/src/context/dtls.js). */
interface HandshakeCacheInternals {
  dtls: {handshakeCache: Record<number, {data: HandshakeInternals[]}>};
}

const NO_BYTES = Buffer.alloc(0);

/**
 * werift keeps every handshake message of both sides (≈ 2 KB: certificates, key exchanges, hellos) for the life of
 * the connection, only to hash them for the Finished messages. Once connected the bytes are needed no more: a
 * client's repeated flight 5 (our last flight was lost) is answered from the flight werift kept as sent, and only
 * which message types were seen is read again. The messages stay, their bytes go.
 */
export function releaseHandshakeMessagesOn(socket: DtlsSocketInternals): void {
  const server = socket as DtlsSocketInternals &
    HandshakeCacheInternals & {onConnect: {subscribe(listener: () => void): unknown}};
  server.onConnect.subscribe(() => {
    for (const flight of Object.values(server.dtls.handshakeCache)) {
      for (const message of flight.data) message.fragment = NO_BYTES;
    }
  });
}

const HANDSHAKE_ERROR = Symbol('callsDtlsHandshakeError');

/** The first error that failed a DTLS handshake kept on `holder` (diagnostics of a join that never connected). */
export function dtlsHandshakeError(holder: object): string | undefined {
  return (holder as {[HANDSHAKE_ERROR]?: string})[HANDSHAKE_ERROR];
}

/**
 * Keeps the first error that fails `socket`'s handshake on `holder` (the peer connection), for dtlsHandshakeError,
 * with the handshake's state at that moment (handshakeState).
 */
export function keepHandshakeError(holder: object, socket: DtlsSocketInternals): void {
  socket.onError.subscribe((error) => {
    (holder as {[HANDSHAKE_ERROR]?: string})[HANDSHAKE_ERROR] ??=
      `${describeHandshakeError(error)} [${handshakeState(socket)}]`;
  });
}

/** What werift's key exchange needs from the earlier flights (dtls/src/flight/server/flight6.js, "not exist"). */
const KEY_EXCHANGE_INPUTS = ['namedCurve', 'cipherSuite', 'localKeyPair', 'localRandom', 'remoteRandom'] as const;

/**
 * The handshake's flight and which of the key exchange's inputs are not set: werift throws the same "not exist"
 * for any of them, and a rare join at 1×1000×2 failed so (which one, and why, is still open).
 */
export function handshakeState(socket: DtlsSocketInternals): string {
  const {cipher} = socket as DtlsSocketInternals & {cipher?: Record<string, unknown>};
  const missing: string[] = KEY_EXCHANGE_INPUTS.filter((k) => cipher?.[k] === undefined);
  if ((cipher?.remoteKeyPair as {publicKey?: unknown} | undefined)?.publicKey === undefined) {
    missing.push('remote public key');
  }
  return `flight ${socket.dtls.flight}; missing: ${missing.length > 0 ? missing.join(', ') : 'none'}`;
}

/**
 * The error's message and where werift threw it (file:line of its first frame: werift's messages, "not exist", do
 * not say which handshake step failed). For the server's log only.
 */
export function describeHandshakeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 300);
  const frame = /\(?([^()\s]+):(\d+):\d+\)?\s*$/m.exec(error.stack?.split('\n')[1] ?? '');
  const at = frame ? ` (at ${frame[1].split('/').slice(-2).join('/')}:${frame[2]})` : '';
  return `${error.message}${at}`.slice(0, 300);
}

/** The client's flight 5 messages that werift's server acts on (RFC 5246 §7.4): each may come more than once. */
const CERTIFICATE = 11;
const CERTIFICATE_VERIFY = 15;
const CLIENT_KEY_EXCHANGE = 16;
const FLIGHT5 = new Set([CERTIFICATE, CERTIFICATE_VERIFY, CLIENT_KEY_EXCHANGE]);

/**
 * werift's DTLS server acts on every copy of the client's flight 5 until it is connected, and its ClientKeyExchange
 * handler derives the keys from the handshake messages cached so far (the extended master secret's session hash).
 * A client that got our flight 4 twice (we sent it again while a loaded machine delayed its answer) sends its
 * flight 5 twice; when both copies are read in one batch, the second ClientKeyExchange is handled after the first
 * CertificateVerify was cached, so the keys are derived again over one message too many. The server then sends a
 * Finished the client cannot decrypt and cannot decrypt the client's: the join hangs in DTLS "connecting" until its
 * 30 s timeout (seen at 1×1000×2 with the server's log: DTLS connected on the server, "decrypt failed" for every
 * copy of the client's Finished). A copy of a flight-5 message already handled is ignored; once connected werift
 * ignores them itself, and a repeated Finished still gets our last flight again.
 */
export function ignoreRepeatedClientFlightOn(socket: DtlsSocketInternals): void {
  const server = socket as DtlsServerInternals & HandshakeCacheInternals;
  const handle = server.onHandleHandshakes;
  server.onHandleHandshakes = (assembled) => {
    if (server.connected) return handle(assembled);
    const seen = server.dtls.handshakeCache[5]?.data ?? [];
    const fresh = assembled.filter((h) => !FLIGHT5.has(h.msg_type) || !seen.some((c) => c.msg_type === h.msg_type));
    return fresh.length > 0 ? handle(fresh) : Promise.resolve();
  };
}

/** The same on one DTLS server socket (tests). */
export function answerHelloWithoutCookieOn(socket: DtlsSocketInternals): void {
  const server = socket as DtlsServerInternals;
  const handle = server.onHandleHandshakes;
  let answeredAt = 0;
  server.onHandleHandshakes = async (assembled) => {
    const hello = assembled.find((h) => h.msg_type === CLIENT_HELLO);
    if (!hello) return handle(assembled);
    const rest = assembled.filter((h) => h !== hello);
    // Once connected, a ClientHello is a late copy of the first (or a forged one): werift would start the handshake
    // over and drop the session's keys, and WebRTC never renegotiates DTLS. Ignored.
    if (server.connected) return rest.length > 0 ? handle(rest) : undefined;
    const {flight2, Flight4, ClientHello} = serverFlights();
    const parsed = ClientHello.deSerialize(hello.fragment);
    if (parsed.cookie.length > 0) return handle(assembled);
    const {dtls} = server;
    // Past flight 4 the client has our flight already (its next one is on its way): a late copy of its hello.
    if (dtls.flight > 4) return;
    const now = performance.now();
    if (dtls.flight === 4 && now - answeredAt < REPEAT_ANSWER_MS) return;
    answeredAt = now;
    if (dtls.flight < 4) flight2({send: () => {}}, dtls, server.cipher, server.srtp)(parsed);
    const flight = new Flight4(server.transport, dtls, server.cipher, server.srtp);
    const serverHello = flight.sendServerHello.bind(flight);
    flight.sendServerHello = () => {
      dtls.sequenceNumber = 0;
      return serverHello();
    };
    // A repeat (flight 4 already) is answered by werift's flight with the messages it sent the first time.
    await flight.exec(hello, server.options.certificateRequest);
    if (rest.length > 0) await handle(rest);
  };
}
