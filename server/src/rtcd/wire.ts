// The rtcd websocket wire format (reference rtcd-offloader.md §2), used by the service and by the
// plugin's client: one binary frame = two back-to-back msgpack values, the message type (str) then
// its data. `join` is a map of str/bool; `hello`, `reconnect`, `leave`, `close` (and our `restart`) are maps of str
// only (Go decodes them as map[string]string); `rtc` and `vad` carry an rtc.Message struct whose
// numeric `type` is 1-based (ICE … VideoOff). Everything decoded is checked: a frame from the other
// side is as hostile as one from a browser.
import {decodeMulti, encode} from '@msgpack/msgpack';

export const RtcMsgType = {
  ICE: 1,
  SDP: 2,
  Mute: 3,
  Unmute: 4,
  ScreenOn: 5,
  ScreenOff: 6,
  VoiceOn: 7,
  VoiceOff: 8,
  VideoOn: 9,
  VideoOff: 10,
} as const;
export type RtcMsgType = (typeof RtcMsgType)[keyof typeof RtcMsgType];

/** rtc.Message: the four ids are filled by rtcd on what it sends; the plugin sends session_id, type, data. */
export interface RtcMessage {
  group_id: string;
  user_id: string;
  session_id: string;
  call_id: string;
  type: RtcMsgType;
  data?: Uint8Array;
}

export interface JoinData {
  callID: string;
  userID: string;
  sessionID: string;
  channelID: string;
  av1Support: boolean;
  dcSignaling: boolean;
}

export type ClientMessage =
  | {type: 'hello'; data: {clientID: string; connID: string}}
  | {type: 'join'; data: JoinData}
  | {type: 'reconnect'; data: {sessionID: string}}
  | {type: 'leave'; data: {sessionID: string}}
  | {type: 'close'; data: {sessionID: string}}
  /**
   * Ours, not upstream's: the session's media was re-created on this host (a media worker was lost);
   * the plugin asks its client to renegotiate (`rtc_reconnect`). Sent only to plugins that said they
   * understand it when connecting; upstream plugins are sent `close` instead.
   */
  | {type: 'restart'; data: {sessionID: string}}
  | {type: 'rtc'; data: RtcMessage}
  | {type: 'vad'; data: RtcMessage};

export type ClientMessageType = ClientMessage['type'];

export class WireError extends Error {}

/** 1 MiB, as upstream's read limit. */
export const MAX_FRAME_BYTES = 1024 * 1024;
const MAX_ID_LEN = 128;

export function encodeClientMessage(msg: ClientMessage): Uint8Array {
  const data = msg.type === 'rtc' || msg.type === 'vad' ? rtcMessageValue(msg.data) : msg.data;
  const a = encode(msg.type);
  const b = encode(data);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

// Field order as Go writes the struct; `data` is omitted when empty.
function rtcMessageValue(m: RtcMessage): Record<string, unknown> {
  const v: Record<string, unknown> = {
    group_id: m.group_id,
    user_id: m.user_id,
    session_id: m.session_id,
    call_id: m.call_id,
    type: m.type,
  };
  if (m.data && m.data.length > 0) v.data = m.data;
  return v;
}

/** Decodes and checks one frame; throws WireError saying what is wrong. */
export function decodeClientMessage(frame: Uint8Array): ClientMessage {
  if (frame.length > MAX_FRAME_BYTES) throw new WireError('frame too large');
  const values: unknown[] = [];
  try {
    for (const v of decodeMulti(frame, {
      maxStrLength: MAX_FRAME_BYTES,
      maxBinLength: MAX_FRAME_BYTES,
      maxArrayLength: 64,
      maxMapLength: 64,
    })) {
      values.push(v);
      if (values.length > 2) throw new WireError('more than two values in a frame');
    }
  } catch (err) {
    if (err instanceof WireError) throw err;
    throw new WireError('not msgpack');
  }
  if (values.length !== 2) throw new WireError('a frame must hold a type and its data');
  const [type, data] = values;
  switch (type) {
    case 'hello': {
      const m = stringMap(type, data);
      return {type, data: {clientID: m.clientID ?? '', connID: m.connID ?? ''}};
    }
    case 'reconnect':
    case 'leave':
    case 'close':
    case 'restart':
      return {type, data: {sessionID: requiredId(type, 'sessionID', stringMap(type, data).sessionID)}};
    case 'join':
      return {type, data: joinData(data)};
    case 'rtc':
    case 'vad':
      return {type, data: rtcMessage(type, data)};
    default:
      throw new WireError(
        typeof type === 'string'
          ? `unexpected message type ${JSON.stringify(type.slice(0, 40))}`
          : 'the message type must be a string',
      );
  }
}

function plainMap(type: string, v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array)
    throw new WireError(`${type}: data must be a map`);
  return v as Record<string, unknown>;
}

function stringMap(type: string, v: unknown): Record<string, string | undefined> {
  const m = plainMap(type, v);
  for (const [k, val] of Object.entries(m)) {
    if (typeof val !== 'string') throw new WireError(`${type}: ${k.slice(0, 40)} must be a string`);
  }
  return m as Record<string, string>;
}

function requiredId(type: string, key: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new WireError(`${type}: ${key} is required`);
  if (v.length > MAX_ID_LEN) throw new WireError(`${type}: ${key} is too long`);
  return v;
}

function joinData(v: unknown): JoinData {
  const m = plainMap('join', v);
  for (const [k, val] of Object.entries(m)) {
    if (typeof val !== 'string' && typeof val !== 'boolean')
      throw new WireError(`join: ${k.slice(0, 40)} must be a string or a bool`);
  }
  const optionalId = (key: string) => {
    const val = m[key];
    if (val === undefined) return '';
    if (typeof val !== 'string' || val.length > MAX_ID_LEN) throw new WireError(`join: ${key} must be a short string`);
    return val;
  };
  return {
    callID: requiredId('join', 'callID', m.callID),
    userID: requiredId('join', 'userID', m.userID),
    sessionID: requiredId('join', 'sessionID', m.sessionID),
    channelID: optionalId('channelID'),
    av1Support: m.av1Support === true,
    dcSignaling: m.dcSignaling === true,
  };
}

function rtcMessage(type: string, v: unknown): RtcMessage {
  const m = plainMap(type, v);
  const str = (key: string) => {
    const val = m[key];
    if (val === undefined || val === null) return '';
    if (typeof val !== 'string' || val.length > MAX_ID_LEN)
      throw new WireError(`${type}: ${key} must be a short string`);
    return val;
  };
  const t = m.type;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > 10)
    throw new WireError(`${type}: type must be 1 to 10`);
  const data = m.data;
  if (data !== undefined && data !== null && !(data instanceof Uint8Array))
    throw new WireError(`${type}: data must be bytes`);
  return {
    group_id: str('group_id'),
    user_id: str('user_id'),
    session_id: requiredId(type, 'session_id', m.session_id),
    call_id: str('call_id'),
    type: t as RtcMsgType,
    data: data ?? undefined,
  };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', {fatal: true});

/** JSON as the bytes of rtc.Message.data. */
export function jsonBytes(v: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(v));
}

/** The JSON in rtc.Message.data; throws WireError when it is not UTF-8 JSON. */
export function parseJsonBytes(data: Uint8Array | undefined): unknown {
  if (!data || data.length === 0) return undefined;
  try {
    return JSON.parse(fromUtf8.decode(data));
  } catch {
    throw new WireError('data is not JSON');
  }
}
