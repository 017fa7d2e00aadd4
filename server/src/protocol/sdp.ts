// SDP packing (reference calls-protocol.md §1.2 `sdp`, §3.5): a session description travels as zlib of its
// JSON `{type, sdp}`, in a msgpack bin (the websocket `sdp` action, the data channel's SDP message). The
// zlib itself is the caller's (node:zlib on the server, fflate in the browser), so this module stays pure.

export interface SessionDescription {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp: string;
}

/** Largest decompressed SDP a server accepts from a client (upstream sdpDataMaxSize, 64 KiB). */
export const SDP_MAX_SIZE = 64 * 1024;

/** A zlib (RFC 1950, with header) implementation. */
export interface Zlib {
  deflate(data: Uint8Array): Uint8Array;
  /** Inflates; throws SdpTooLargeError when the output would exceed maxBytes, any error when the data is not zlib. */
  inflate(data: Uint8Array, maxBytes: number): Uint8Array;
}

export class SdpTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`decompressed data exceeds ${maxBytes} bytes`);
    this.name = 'SdpTooLargeError';
  }
}

/** Why packed SDP could not be read. */
export type SdpUnpackFailure = 'too_large' | 'not_zlib' | 'not_json' | 'not_sdp';

export class SdpUnpackError extends Error {
  constructor(
    readonly reason: SdpUnpackFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SdpUnpackError';
  }
}

const SDP_TYPES: readonly string[] = ['offer', 'answer', 'pranswer', 'rollback'];

export function packSDP(desc: {type: string; sdp?: string}, zlib: Zlib): Uint8Array {
  return zlib.deflate(new TextEncoder().encode(JSON.stringify({type: desc.type, sdp: desc.sdp})));
}

/** The JSON text inside packed SDP, inflated with a hard cap so a small frame cannot become a large allocation. */
export function unpackSDPText(data: Uint8Array, zlib: Zlib, maxBytes = SDP_MAX_SIZE): string {
  let out: Uint8Array;
  try {
    out = zlib.inflate(data, maxBytes);
  } catch (err) {
    if (err instanceof SdpTooLargeError) throw new SdpUnpackError('too_large', err.message);
    throw new SdpUnpackError('not_zlib', 'data is not zlib-compressed');
  }
  return new TextDecoder().decode(out);
}

/** Packed SDP → a checked session description; throws SdpUnpackError with the reason. */
export function unpackSDP(data: Uint8Array, zlib: Zlib, maxBytes = SDP_MAX_SIZE): SessionDescription {
  const text = unpackSDPText(data, zlib, maxBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SdpUnpackError('not_json', 'data is not JSON');
  }
  const p = parsed as Partial<SessionDescription> | null;
  if (!p || typeof p !== 'object' || typeof p.sdp !== 'string' || !SDP_TYPES.includes(p.type ?? '')) {
    throw new SdpUnpackError('not_sdp', 'data is not a session description');
  }
  return {type: p.type as SessionDescription['type'], sdp: p.sdp};
}
