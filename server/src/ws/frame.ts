// Websocket frames from clients: JSON text or msgpack binary, {action, seq, data}, checked before anything
// reads them.
import {decode as msgpackDecode} from '@msgpack/msgpack';
import type {RawData} from 'ws';
import {hasUnstorableText, UNSTORABLE_TEXT} from '../unstorable';

export interface Frame {
  action: string;
  seq: number;
  data: Record<string, unknown>;
}

export function frameBytes(raw: RawData): number {
  return Array.isArray(raw) ? raw.reduce((n, b) => n + b.length, 0) : (raw as Buffer | ArrayBuffer).byteLength;
}

/** JSON text or msgpack binary → {action, seq, data}; throws with a reason on anything else. */
export function parseFrame(raw: RawData, isBinary: boolean): Frame {
  const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer);
  let value: unknown;
  if (isBinary) {
    try {
      value = msgpackDecode(buf);
    } catch {
      throw new Error('binary frame is not valid msgpack');
    }
  } else {
    try {
      value = JSON.parse(buf.toString('utf8'));
    } catch {
      throw new Error('frame is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('frame must be an object');
  if (hasUnstorableText(value)) throw new Error(`frame contains ${UNSTORABLE_TEXT}`);
  const v = value as Record<string, unknown>;
  if (typeof v.action !== 'string' || v.action.length === 0 || v.action.length > 128)
    throw new Error('frame needs an "action" string');
  const seq = typeof v.seq === 'number' && Number.isFinite(v.seq) ? v.seq : 0;
  let data: Record<string, unknown> = {};
  if (v.data !== undefined && v.data !== null) {
    if (typeof v.data !== 'object' || Array.isArray(v.data) || v.data instanceof Uint8Array)
      throw new Error('"data" must be an object');
    data = v.data as Record<string, unknown>;
  }
  return {action: v.action, seq, data};
}
