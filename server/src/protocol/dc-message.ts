// The calls-dc data-channel framing (reference calls-protocol.md §3.5, rtcd dc/msg.go): a msgpack unsigned int
// message type immediately followed (no enclosing array) by an optional msgpack payload; SDP payloads are
// packed SDP (sdp.ts). One codec for the SFU, the browser peer and the test peers.
import {decodeMulti, encode} from '@msgpack/msgpack';
import {packSDP, SDP_MAX_SIZE, SdpUnpackError, unpackSDP, type SessionDescription, type Zlib} from './sdp';

export const DCMessageType = {
  Ping: 1,
  Pong: 2,
  SDP: 3,
  LossRate: 4,
  RoundTripTime: 5,
  Jitter: 6,
  Lock: 7,
  Unlock: 8,
  MediaMap: 9,
} as const;
export type DCMessageTypeValue = (typeof DCMessageType)[keyof typeof DCMessageType];

/** The track types the SFU labels its outgoing tracks with (track id prefix and MediaMap). */
export type TrackType = 'voice' | 'screen' | 'screen-audio' | 'video';

/** mid → what the server sends on that transceiver. */
export type MediaMap = Record<string, {type: TrackType; sender_id: string}>;

const TRACK_TYPES: TrackType[] = ['screen-audio', 'screen', 'voice', 'video'];

/**
 * A track's type from its id, `<type>_<senderSessionID>_<8 chars>` (reference rtcd-offloader §5.2): what a
 * receiver falls back on when the MediaMap for its mid did not arrive (the data channel was not open yet).
 */
export function trackTypeFromID(id: string): TrackType | undefined {
  return TRACK_TYPES.find((t) => id.startsWith(`${t}_`));
}

export type DCMessage =
  | {type: typeof DCMessageType.Ping}
  | {type: typeof DCMessageType.Pong}
  | {type: typeof DCMessageType.SDP; sdp: SessionDescription}
  | {
      type: typeof DCMessageType.LossRate | typeof DCMessageType.RoundTripTime | typeof DCMessageType.Jitter;
      value: number;
    }
  | {type: typeof DCMessageType.Lock; acquired?: boolean}
  | {type: typeof DCMessageType.Unlock}
  | {type: typeof DCMessageType.MediaMap; map: MediaMap};

/** Same cap as the websocket path (reference §12: 64 KiB decompressed SDP). */
export const MAX_SDP_BYTES = SDP_MAX_SIZE;

export class DCMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DCMessageError';
  }
}

export interface DCCodec {
  encode(msg: DCMessage): Uint8Array;
  /** Decodes one binary message; throws DCMessageError with a reason for anything malformed or unknown. */
  decode(data: Uint8Array | ArrayBuffer): DCMessage;
}

export interface DCCodecOptions {
  zlib: Zlib;
  /** Largest decompressed SDP accepted (default MAX_SDP_BYTES; a client trusting its server may raise it). */
  maxSdpBytes?: number;
}

function concat(head: Uint8Array, payload?: Uint8Array): Uint8Array {
  if (!payload) return head;
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

function toNumber(v: unknown): number {
  // calls-common before MediaMap sent metric payloads as JSON text inside a msgpack string.
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new DCMessageError('metric payload is not a number');
  return n;
}

export function createDCCodec(opts: DCCodecOptions): DCCodec {
  const maxSdpBytes = opts.maxSdpBytes ?? MAX_SDP_BYTES;

  function parseSdp(raw: unknown): SessionDescription {
    if (!(raw instanceof Uint8Array)) throw new DCMessageError('sdp payload is not binary');
    try {
      return unpackSDP(raw, opts.zlib, maxSdpBytes);
    } catch (err) {
      const reason = err instanceof SdpUnpackError ? err.reason : 'not_zlib';
      if (reason === 'not_json') throw new DCMessageError('sdp payload is not JSON');
      if (reason === 'not_sdp') throw new DCMessageError('sdp payload is not a session description');
      throw new DCMessageError(`sdp payload is not valid zlib or exceeds ${maxSdpBytes / 1024} KiB`);
    }
  }

  return {
    encode(msg: DCMessage): Uint8Array {
      const head = encode(msg.type);
      switch (msg.type) {
        case DCMessageType.SDP:
          return concat(head, encode(packSDP(msg.sdp, opts.zlib)));
        case DCMessageType.LossRate:
        case DCMessageType.RoundTripTime:
        case DCMessageType.Jitter:
          // Go decodes these as float64: force the float encoding even for whole numbers.
          return concat(head, encode(msg.value, {forceFloat32: false, forceIntegerToFloat: true}));
        case DCMessageType.Lock:
          return msg.acquired === undefined ? head : concat(head, encode(msg.acquired));
        case DCMessageType.MediaMap:
          return concat(head, encode(msg.map));
        default:
          return head;
      }
    },

    decode(data: Uint8Array | ArrayBuffer): DCMessage {
      const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
      const values: unknown[] = [];
      try {
        for (const v of decodeMulti(bytes)) {
          values.push(v);
          if (values.length === 2) break;
        }
      } catch {
        throw new DCMessageError('not msgpack');
      }
      const [type, payload] = values;
      switch (type) {
        case DCMessageType.Ping:
        case DCMessageType.Pong:
        case DCMessageType.Unlock:
          return {type};
        case DCMessageType.Lock:
          return typeof payload === 'boolean' ? {type, acquired: payload} : {type};
        case DCMessageType.SDP:
          return {type, sdp: parseSdp(payload)};
        case DCMessageType.LossRate:
        case DCMessageType.RoundTripTime:
        case DCMessageType.Jitter:
          return {type, value: toNumber(payload)};
        case DCMessageType.MediaMap:
          if (!payload || typeof payload !== 'object') throw new DCMessageError('media map payload is not a map');
          return {type, map: payload as MediaMap};
        default:
          throw new DCMessageError(`unknown dc message type ${String(type)}`);
      }
    },
  };
}
