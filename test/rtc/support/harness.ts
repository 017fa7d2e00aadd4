// Starts an RtcServer on loopback ephemeral ports and joins TestClients to it the way the call domain
// would (initSession, then the client's first offer), plus an Opus-like RTP source.
import {randomBytes} from 'node:crypto';
import type {MediaStreamTrack, RTCRtpTransceiver} from 'werift';
import {newId} from '../../../server/src/ids';
import {silentLogger, createLogger, type Logger} from '../../../server/src/log';
import {createRtcServer, type EmbeddedRtcServer, type RtcServerOptions} from '../../../server/src/rtc';
import type {WsTestClient} from '../../support/calls-client';
import {TestClient, type SignalingPort, type TestClientOptions} from './client';
import {sleep, waitFor} from '../../support/wait';

export function testLogger(): Logger {
  return process.env.RTC_TEST_LOG ? createLogger({level: process.env.RTC_TEST_LOG}) : silentLogger();
}

export function testOptions(overrides: Partial<RtcServerOptions> = {}): RtcServerOptions {
  return {
    udpAddresses: ['127.0.0.1'],
    udpPort: 0,
    tcpAddresses: [],
    tcpPort: 0,
    enableIPv6: false,
    iceHostOverride: '',
    iceHostPortOverride: null,
    iceServers: [],
    turnStaticAuthSecret: '',
    turnCredentialsExpirationMinutes: 240,
    serverSideTURN: false,
    enableVideo: false,
    enableAV1: false,
    enableSimulcast: false,
    forwarding: (process.env.RTC_FORWARDING as 'fast' | 'stock' | undefined) ?? 'fast',
    workers: Number(process.env.RTC_WORKERS ?? 1),
    ...overrides,
  };
}

/** RTC_WORKERS=2 runs every rtc test against the multi-worker server. */
export function startServer(overrides: Partial<RtcServerOptions> = {}): Promise<EmbeddedRtcServer> {
  return createRtcServer(testOptions(overrides), testLogger());
}

/** What a describe block closes after its tests: its audio/video loops' stoppers, then its clients, then its SFUs. */
export interface RtcTeardown {
  clients: TestClient[];
  stops: (() => void)[];
  servers: EmbeddedRtcServer[];
}

export function useRtcTeardown(): RtcTeardown {
  const t: RtcTeardown = {clients: [], stops: [], servers: []};
  afterAll(async () => {
    for (const s of t.stops) s();
    await Promise.all(t.clients.map((c) => c.close()));
    await Promise.all(t.servers.map((s) => s.close()));
  });
  return t;
}

/**
 * A describe block's SFU: started before its tests (handed to `ready`), closed after them with the
 * clients pushed to `clients` and the audio loops whose stoppers were pushed to `stops`. `start` is the
 * test options with `overrides`, or a server of the test's own making.
 */
export function useRtcServer(
  ready: (server: EmbeddedRtcServer) => void,
  start: Partial<RtcServerOptions> | (() => Promise<EmbeddedRtcServer>) = {},
): RtcTeardown {
  const t = useRtcTeardown();
  beforeAll(async () => {
    const server = typeof start === 'function' ? await start() : await startServer(start);
    t.servers.push(server);
    ready(server);
  });
  return t;
}

export function directSignaling(server: EmbeddedRtcServer): SignalingPort {
  return {
    send: (msg) => server.send(msg),
    onSignal: (sessionID, fn) => {
      const listener = (id: string, signal: Parameters<typeof fn>[0]) => {
        if (id === sessionID) fn(signal);
      };
      server.on('signal', listener);
      return () => server.off('signal', listener);
    },
  };
}

export interface JoinOptions extends Partial<Omit<TestClientOptions, 'signaling'>> {
  callID: string;
  userID?: string;
  wait?: boolean;
}

/** A session of the call created on the server (its client not started yet); returns its id. */
export async function newSession(
  server: Pick<EmbeddedRtcServer, 'initSession'>,
  callID: string,
  o: {sessionID?: string; userID?: string; av1?: boolean; dcSignaling?: boolean} = {},
): Promise<string> {
  const sessionID = o.sessionID ?? newId();
  await server.initSession({
    sessionID,
    userID: o.userID ?? newId(),
    callID,
    channelID: 'channel' + callID.slice(0, 10),
    av1Support: !!o.av1,
    dcSignaling: !!o.dcSignaling,
  });
  return sessionID;
}

export async function join(server: EmbeddedRtcServer, o: JoinOptions): Promise<TestClient> {
  const sessionID = await newSession(server, o.callID, o);
  const client = new TestClient({...o, sessionID, signaling: directSignaling(server)});
  await client.start();
  if (o.wait !== false) await client.waitConnected();
  return client;
}

/** Two clients joined to a new call, A first (with `aOptions`), pushed to `clients` to be closed after the block. */
export async function joinTwo(
  server: EmbeddedRtcServer,
  clients: TestClient[],
  aOptions: Partial<JoinOptions> = {},
): Promise<{callID: string; a: TestClient; b: TestClient}> {
  const callID = newId();
  const a = await join(server, {...aOptions, callID});
  const b = await join(server, {callID});
  clients.push(a, b);
  return {callID, a, b};
}

/** Calls `send` with a packet counter and one random SSRC every `intervalMs`; returns a stop function. */
function pumpRtp(intervalMs: number, send: (i: number, ssrc: number) => void): () => void {
  let i = 0;
  const ssrc = randomBytes(4).readUInt32BE(0);
  const timer = setInterval(() => send(i++, ssrc), intervalMs);
  return () => clearInterval(timer);
}

/** Sends Opus-sized packets every 20 ms with the given audio-level pattern; returns a stop function. */
/** `sender` mutes: `heard` (what a listener received of its voice) stops growing; it unmutes: it grows again. */
export async function expectMuteStopsVoice(sender: TestClient, heard: () => number): Promise<void> {
  sender.sendAction('mute');
  await sleep(200);
  const afterMute = heard();
  await sleep(600);
  expect(heard()).toBe(afterMute);
  sender.sendAction('unmute');
  await waitFor(() => heard() >= afterMute + 10, 5000, 'voice after unmute');
}

export function startAudio(
  client: TestClient,
  track: MediaStreamTrack,
  transceiver: RTCRtpTransceiver,
  level: (i: number) => number,
  sent?: Buffer[],
): () => void {
  return pumpRtp(20, (i, ssrc) => {
    const payload = randomBytes(80 + (i % 60));
    sent?.push(payload);
    client.sendRtp(track, transceiver, {payload, seq: i, ts: i * 960, pt: 111, audioLevel: level(i), ssrc});
  });
}

/**
 * Publishes a microphone from the client and sends Opus-sized packets on it at `level` (startAudio); its stop
 * function goes to `stops`. Returns the track and its transceiver.
 */
export async function speak(
  client: TestClient,
  label: string,
  level: (i: number) => number,
  stops: (() => void)[],
): Promise<{track: MediaStreamTrack; transceiver: RTCRtpTransceiver}> {
  const mic = await client.addTrack('audio', label);
  stops.push(startAudio(client, mic.track, mic.transceiver, level));
  return mic;
}

export interface VideoPump {
  /** Payload type (default 96). */
  pt?: number;
  /** One packet (a whole frame, marked) every intervalMs (default 33, about 30 fps). */
  intervalMs?: number;
  /** Payload size of packet i (default 300 bytes). */
  size?: (i: number) => number;
  /** Collects the payloads sent. */
  sent?: Buffer[];
}

/** Sends one-packet video frames (90 kHz clock); returns a stop function. */
export function startVideo(
  client: TestClient,
  track: MediaStreamTrack,
  transceiver: RTCRtpTransceiver,
  o: VideoPump = {},
): () => void {
  return pumpRtp(o.intervalMs ?? 33, (i, ssrc) => {
    const payload = randomBytes(o.size?.(i) ?? 300);
    o.sent?.push(payload);
    client.sendRtp(track, transceiver, {payload, seq: i, ts: i * 3000, pt: o.pt ?? 96, ssrc, marker: true});
  });
}

/** Speech-like levels (varying, std-dev well above 10). */
export const speech = (i: number): number => [10, 60, 25, 90, 40, 5, 70, 30][i % 8];
export const silence = (): number => 127;

/**
 * Joins the websocket's user to the channel's call and connects a werift peer through the websocket's
 * signalling, as a browser does; `peers` collects it for teardown.
 */
export async function joinWithPeer(
  ws: WsTestClient,
  channelID: string,
  peers: TestClient[],
  connectTimeoutMs?: number,
): Promise<TestClient> {
  await ws.join(channelID);
  const peer = new TestClient({sessionID: ws.originalConnID, signaling: ws.signaling()});
  peers.push(peer);
  await peer.start();
  await peer.waitConnected(connectTimeoutMs);
  return peer;
}
