// The calls-dc data-channel framing (reference §3.5 / rtcd dc/msg.go): a msgpack unsigned int message
// type immediately followed by an optional msgpack payload; SDP payloads are msgpack bin of
// zlib(JSON RTCSessionDescription).
import {deflateSync, inflateSync} from 'node:zlib';
import {decodeMulti, encode} from '@msgpack/msgpack';
import type {SessionDescription} from './types';

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

export type TrackType = 'voice' | 'screen' | 'screen-audio' | 'video';

/** mid → what the server sends on that transceiver. */
export type MediaMap = Record<string, {type: TrackType; sender_id: string}>;

export type DCMessage =
  | {type: typeof DCMessageType.Ping}
  | {type: typeof DCMessageType.Pong}
  | {type: typeof DCMessageType.SDP; sdp: SessionDescription}
  | {type: typeof DCMessageType.LossRate | typeof DCMessageType.RoundTripTime | typeof DCMessageType.Jitter; value: number}
  | {type: typeof DCMessageType.Lock; acquired?: boolean}
  | {type: typeof DCMessageType.Unlock}
  | {type: typeof DCMessageType.MediaMap; map: MediaMap};

/** Same cap as the websocket path (reference §12: 64 KiB decompressed SDP). */
export const MAX_SDP_BYTES = 64 * 1024;

export class DCMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DCMessageError';
  }
}

export function encodeDCMessage(msg: DCMessage): Uint8Array {
  let payload: Uint8Array | undefined;
  switch (msg.type) {
    case DCMessageType.SDP:
      payload = encode(deflateSync(Buffer.from(JSON.stringify({type: msg.sdp.type, sdp: msg.sdp.sdp}))));
      break;
    case DCMessageType.LossRate:
    case DCMessageType.RoundTripTime:
    case DCMessageType.Jitter:
      payload = encode(msg.value);
      break;
    case DCMessageType.Lock:
      if (msg.acquired !== undefined) payload = encode(msg.acquired);
      break;
    case DCMessageType.MediaMap:
      payload = encode(msg.map);
      break;
    default:
      break;
  }
  const head = encode(msg.type);
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

function parseSdp(raw: unknown): SessionDescription {
  if (!(raw instanceof Uint8Array)) throw new DCMessageError('sdp payload is not binary');
  let json: Buffer;
  try {
    json = inflateSync(raw, {maxOutputLength: MAX_SDP_BYTES});
  } catch {
    throw new DCMessageError('sdp payload is not valid zlib or exceeds 64 KiB');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw new DCMessageError('sdp payload is not JSON');
  }
  const p = parsed as Partial<SessionDescription> | null;
  if (!p || typeof p !== 'object' || typeof p.sdp !== 'string' || !['offer', 'answer', 'pranswer', 'rollback'].includes(p.type ?? '')) {
    throw new DCMessageError('sdp payload is not a session description');
  }
  return {type: p.type as SessionDescription['type'], sdp: p.sdp};
}

/** Decodes one binary DC message; throws DCMessageError with a reason for anything malformed or unknown. */
export function decodeDCMessage(data: Uint8Array): DCMessage {
  const values: unknown[] = [];
  try {
    for (const v of decodeMulti(data)) {
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
    case DCMessageType.MediaMap: {
      if (!payload || typeof payload !== 'object') throw new DCMessageError('media map payload is not a map');
      return {type, map: payload as MediaMap};
    }
    default:
      throw new DCMessageError(`unknown dc message type ${String(type)}`);
  }
}
