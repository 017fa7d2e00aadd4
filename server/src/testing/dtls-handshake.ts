// A bare werift DTLS server on a loopback UDP port, and OpenSSL's or werift's DTLS client against it: for unit
// tests of the handshake patches (rtc/werift/dtlsCrypto.ts, dtlsSocket.ts) with an independent client —
// OpenSSL, as the browsers' BoringSSL, is strict where werift's own client is not (message sequence numbers,
// signatures, Finished). Every datagram the server sends is kept for the test to read.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {RTCCertificate} from 'werift';
import type {DtlsSocketInternals} from '../rtc/werift/dtlsSocket';
import {weriftModule} from '../rtc/werift/weriftModule';

interface DtlsSocketLike extends DtlsSocketInternals {
  onConnect: {subscribe(fn: () => void): void};
  close(): void;
}
interface UdpTransportLike {
  port: number;
  send(data: Buffer, addr?: [string, number]): Promise<void>;
  onData?: (data: Buffer) => void;
  close(): Promise<void>;
}
type DtlsSocketClass = new (o: object) => DtlsSocketLike;

export interface LoopbackDtlsServer {
  port: number;
  socket: DtlsSocketLike;
  /** Every datagram the server sent, in order. */
  sent: Buffer[];
  connected: Promise<'connected'>;
  close(): Promise<void>;
}

/** What werift's RTCDtlsTransport gives either side: the certificate, both SRTP profiles (GCM first), EMS. */
function socketOptions(transport: UdpTransportLike, certificate: RTCCertificate): object {
  return {
    transport,
    cert: certificate.certPem,
    key: certificate.privateKey,
    signatureHash: certificate.signatureHash,
    srtpProfiles: [7, 1],
    extendedMasterSecret: true,
  };
}

async function udpTransport(): Promise<UdpTransportLike> {
  const {UdpTransport} = weriftModule<{UdpTransport: {init(type: string, o: object): Promise<UdpTransportLike>}}>(
    'common/src/transport.js',
  );
  return UdpTransport.init('udp4', {interfaceAddresses: {udp4: '127.0.0.1'}});
}

/**
 * A DTLS server (werift's, with whatever patches are installed) with the certificate; `hook` runs before it
 * listens. `copies` says how many times each datagram really goes out (0 loses it, 2 repeats it); `sent` keeps
 * every datagram the server meant to send, once.
 */
export async function loopbackDtlsServer(
  certificate: RTCCertificate,
  hook?: (socket: DtlsSocketInternals) => void,
  copies: (datagram: Buffer) => number = () => 1,
): Promise<LoopbackDtlsServer> {
  const {DtlsServer} = weriftModule<{DtlsServer: DtlsSocketClass}>('dtls/src/index.js');
  const transport = await udpTransport();
  const sent: Buffer[] = [];
  const send = transport.send.bind(transport);
  transport.send = async (data, addr) => {
    sent.push(Buffer.from(data));
    for (let n = copies(data); n > 0; n--) await send(Buffer.from(data), addr);
  };
  // As the SFU's transports make it: the client must present a certificate.
  const socket = new DtlsServer({...socketOptions(transport, certificate), certificateRequest: true});
  hook?.(socket);
  const connected = new Promise<'connected'>((resolve) => socket.onConnect.subscribe(() => resolve('connected')));
  return {port: transport.port, socket, sent, connected, close: () => transport.close()};
}

/**
 * OpenSSL's DTLS 1.2 client against 127.0.0.1:port until the server reports connected; resolves with
 * 'connected' or what went wrong. `groups`: the key exchange groups it offers, in order.
 */
export async function opensslHandshake(
  server: LoopbackDtlsServer,
  certificate: RTCCertificate,
  groups = 'X25519:P-256',
): Promise<string> {
  // A WebRTC client always has a certificate, and the SFU asks for it (certificateRequest).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'calls-dtls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  fs.writeFileSync(cert, certificate.certPem);
  fs.writeFileSync(key, certificate.privateKey);
  const target = `127.0.0.1:${server.port}`;
  const client = spawn(
    'openssl',
    ['s_client', '-dtls1_2', '-connect', target, '-groups', groups, '-cert', cert, '-key', key],
    {
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let errors = '';
  client.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const failed = new Promise<string>((resolve) => client.on('exit', () => resolve(`openssl exited: ${errors}`)));
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(`timed out: ${errors}`), 10_000).unref());
  try {
    return await Promise.race([server.connected, failed, timeout]);
  } finally {
    client.kill();
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

/**
 * werift's own DTLS client against the server; `sent` keeps the client's datagrams. `outgoing` may take a datagram
 * the client sends instead of the network (true: taken), to deliver it some other way.
 */
export async function weriftHandshake(
  server: LoopbackDtlsServer,
  certificate: RTCCertificate,
  hook?: (socket: DtlsSocketInternals) => void,
  outgoing?: (data: Buffer) => boolean,
): Promise<{result: string; sent: Buffer[]}> {
  const {DtlsClient} = weriftModule<{DtlsClient: DtlsSocketClass}>('dtls/src/index.js');
  const transport = await udpTransport();
  const sent: Buffer[] = [];
  const send = transport.send.bind(transport);
  transport.send = (data) => {
    sent.push(Buffer.from(data));
    if (outgoing?.(Buffer.from(data))) return Promise.resolve();
    return send(data, ['127.0.0.1', server.port]);
  };
  const client = new DtlsClient(socketOptions(transport, certificate));
  hook?.(client);
  const connected = new Promise<string>((resolve) => client.onConnect.subscribe(() => resolve('connected')));
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timed out'), 10_000).unref());
  try {
    void client.connect?.().catch(() => {});
    const result = await Promise.race([Promise.all([connected, server.connected]).then(() => 'connected'), timeout]);
    return {result, sent};
  } finally {
    await transport.close();
  }
}

/** The handshake messages in a DTLS datagram (record type 22, epoch 0): [msg_type, message_seq] each. */
export function handshakeMessages(datagram: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let at = 0; at + 13 <= datagram.length;) {
    const length = datagram.readUInt16BE(at + 11);
    const epoch = datagram.readUInt16BE(at + 3);
    if (datagram[at] === 22 && epoch === 0 && length >= 12)
      out.push([datagram[at + 13], datagram.readUInt16BE(at + 17)]);
    at += 13 + length;
  }
  return out;
}
