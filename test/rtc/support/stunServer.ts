// A loopback STUN server that answers every binding request with a fixed XOR-MAPPED-ADDRESS, standing
// in for a public STUN server seen from behind a NAT; and the forged binding request hostile-input tests send.
import {createSocket, type Socket} from 'node:dgram';

const MAGIC = 0x2112a442;

export interface FakeStunServer {
  port: number;
  requests: number;
  close(): Promise<void>;
}

export async function startFakeStun(mappedAddress: string, mappedPort: number): Promise<FakeStunServer> {
  const socket: Socket = createSocket('udp4');
  const state = {requests: 0};
  socket.on('message', (msg, rinfo) => {
    if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0001 || msg.readUInt32BE(4) !== MAGIC) return;
    state.requests++;
    const res = Buffer.alloc(20 + 12);
    res.writeUInt16BE(0x0101, 0);
    res.writeUInt16BE(12, 2);
    res.writeUInt32BE(MAGIC, 4);
    msg.copy(res, 8, 8, 20);
    res.writeUInt16BE(0x0020, 20);
    res.writeUInt16BE(8, 22);
    res.writeUInt8(0, 24);
    res.writeUInt8(1, 25);
    res.writeUInt16BE(mappedPort ^ (MAGIC >>> 16), 26);
    const ip = mappedAddress.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
    res.writeUInt32BE((ip ^ MAGIC) >>> 0, 28);
    socket.send(res, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: socket.address().port,
    get requests() {
      return state.requests;
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/**
 * A binding request naming the server's `ufrag` (USERNAME `ufrag:evil`, PRIORITY, optionally USE-CANDIDATE) with a
 * MESSAGE-INTEGRITY made with a guessed password: what anyone who read the ufrag (it travels in clear) can send.
 */
export function forgedBindingRequest(ufrag: string, nominate = false): Buffer {
  const attr = (type: number, value: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(type, 0);
    head.writeUInt16BE(value.length, 2);
    return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  };
  const body = Buffer.concat([
    attr(0x0006, Buffer.from(`${ufrag}:evil`)),
    attr(0x0024, Buffer.from([0x6e, 0, 1, 0xff])),
    ...(nominate ? [attr(0x0025, Buffer.alloc(0))] : []),
    attr(0x0008, Buffer.alloc(20, 7)),
  ]);
  const head = Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, ...Array(12).fill(9)]);
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}
