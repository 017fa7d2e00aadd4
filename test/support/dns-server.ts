// A real DNS server on loopback for tests where name resolution is the feature: answers A queries from
// a record map the test changes while it runs (NXDOMAIN for unknown names), over UDP, TTL 0.
import {createSocket, type Socket} from 'node:dgram';

export interface TestDnsServer {
  /** host:port, for dns.Resolver.setServers. */
  readonly address: string;
  /** name → IPv4 addresses; change it at will. */
  readonly records: Map<string, string[]>;
  close(): Promise<void>;
}

export async function startDnsServer(records: Record<string, string[]> = {}): Promise<TestDnsServer> {
  const map = new Map(Object.entries(records));
  const sock: Socket = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    const reply = answer(msg, map);
    if (reply) sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${sock.address().port}`,
    records: map,
    close: () => new Promise((resolve) => sock.close(() => resolve())),
  };
}

function answer(q: Buffer, records: Map<string, string[]>): Buffer | undefined {
  if (q.length < 12) return undefined;
  let off = 12;
  const labels: string[] = [];
  while (off < q.length && q[off] !== 0) {
    const len = q[off];
    labels.push(q.subarray(off + 1, off + 1 + len).toString('ascii'));
    off += 1 + len;
  }
  off += 1;
  if (off + 4 > q.length) return undefined;
  const qtype = q.readUInt16BE(off);
  const question = q.subarray(12, off + 4);
  const name = labels.join('.').toLowerCase();
  const ips = qtype === 1 ? records.get(name) : undefined;
  const known = records.has(name);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.readUInt16BE(0), 0);
  // QR, opcode 0, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for unknown names.
  header.writeUInt16BE(0x8400 | (q.readUInt16BE(2) & 0x0100) | 0x0080 | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(ips?.length ?? 0, 6);
  const answers = (ips ?? []).map((ip) => {
    const a = Buffer.alloc(16);
    a.writeUInt16BE(0xc00c, 0);
    a.writeUInt16BE(1, 2);
    a.writeUInt16BE(1, 4);
    a.writeUInt32BE(0, 6);
    a.writeUInt16BE(4, 10);
    ip.split('.').forEach((p, i) => a.writeUInt8(Number(p), 12 + i));
    return a;
  });
  return Buffer.concat([header, question, ...answers]);
}
