// The `calls-dc` data channel framing (reference calls-protocol.md §3.5): a msgpack-encoded message type followed,
// without an enclosing array, by an optional msgpack payload.

import {encode, decodeMulti} from '@msgpack/msgpack';

import {compressSDP, decompressSDP} from './sdp';
import type {TrackType} from '../types';

export enum DCMessageType {
    Ping = 1,
    Pong = 2,
    SDP = 3,
    LossRate = 4,
    RoundTripTime = 5,
    Jitter = 6,
    Lock = 7,
    Unlock = 8,
    MediaMap = 9,
}

export type MediaMap = Record<string, {type: TrackType; sender_id?: string}>;

export type DCMessage =
    | {type: DCMessageType.Ping | DCMessageType.Pong | DCMessageType.Unlock}
    | {type: DCMessageType.SDP; sdp: RTCSessionDescriptionInit}
    | {type: DCMessageType.LossRate | DCMessageType.RoundTripTime | DCMessageType.Jitter; value: number}
    | {type: DCMessageType.Lock; acquired?: boolean}
    | {type: DCMessageType.MediaMap; map: MediaMap};

function concat(a: Uint8Array, b?: Uint8Array): Uint8Array {
    if (!b) {
        return a;
    }
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
}

export function encodeDCMessage(msg: DCMessage): Uint8Array {
    const head = encode(msg.type);
    switch (msg.type) {
    case DCMessageType.SDP:
        return concat(head, encode(compressSDP(msg.sdp)));
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
}

export function decodeDCMessage(data: ArrayBuffer | Uint8Array): DCMessage {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    const values = [...decodeMulti(bytes)];
    const type = values[0];
    const payload = values[1];
    switch (type) {
    case DCMessageType.Ping:
    case DCMessageType.Pong:
    case DCMessageType.Unlock:
        return {type};
    case DCMessageType.SDP:
        if (!(payload instanceof Uint8Array)) {
            throw new Error('dc: sdp payload is not binary');
        }
        return {type, sdp: decompressSDP(payload)};
    case DCMessageType.LossRate:
    case DCMessageType.RoundTripTime:
    case DCMessageType.Jitter:
        return {type, value: Number(payload)};
    case DCMessageType.Lock:
        return {type, acquired: payload === undefined ? undefined : Boolean(payload)};
    case DCMessageType.MediaMap:
        return {type, map: (payload || {}) as MediaMap};
    default:
        throw new Error(`dc: unknown message type ${String(type)}`);
    }
}
