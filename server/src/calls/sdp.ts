// SDP from clients arrives as zlib-compressed JSON inside a msgpack binary field (reference §1.1);
// inflate it with a hard cap so a small frame cannot expand into a large allocation.
import {inflateSync} from 'node:zlib';
import {badRequest} from '../errors';

export const SDP_MAX_SIZE = 64 * 1024;

export function unpackSDPData(data: Uint8Array): string {
  let out: Buffer;
  try {
    out = inflateSync(data, {maxOutputLength: SDP_MAX_SIZE});
  } catch (err) {
    const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || /maxOutputLength|too large/i.test(String(err));
    throw badRequest('app.calls.ws.invalid_sdp', tooBig ? `invalid sdp message: decompressed data exceeds ${SDP_MAX_SIZE} bytes` : 'invalid sdp message: data is not zlib-compressed');
  }
  return out.toString('utf8');
}
