// The libuv handle under a dgram socket. Node has no public call to stop a socket reading (a media worker's copy
// of the shared port, a socket read by the native addon or read in batches); its handle's recvStop() does it.
// Node's internal state: looked up by its symbol's description and checked before use.
import type {Socket} from 'node:dgram';

export interface UdpHandle {
  recvStart(): number;
  recvStop(): number;
  /** The address lookup each send makes (replaced in media workers by a synchronous one for literal addresses). */
  lookup?: (address: string, cb: (err: Error | null, ip: string) => void) => void;
}

export function udpHandleOf(socket: Socket): UdpHandle | undefined {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = key ? (socket as unknown as Record<symbol, {handle?: Partial<UdpHandle>}>)[key]?.handle : undefined;
  return typeof handle?.recvStart === 'function' && typeof handle.recvStop === 'function'
    ? (handle as UdpHandle)
    : undefined;
}
