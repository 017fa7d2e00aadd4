// The protocol's codecs bound to node:zlib (protocol/ itself stays free of Node imports): inflation stops at
// the cap instead of allocating whatever a hostile frame expands to.
import {deflateSync, inflateSync} from 'node:zlib';
import {createDCCodec, SdpTooLargeError, type Zlib} from './protocol';

export const nodeZlib: Zlib = {
  deflate: (data) => new Uint8Array(deflateSync(data)),
  inflate(data, maxBytes) {
    try {
      return new Uint8Array(inflateSync(data, {maxOutputLength: maxBytes}));
    } catch (err) {
      const tooBig =
        (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ||
        /maxOutputLength|too large/i.test(String(err));
      throw tooBig ? new SdpTooLargeError(maxBytes) : err;
    }
  },
};

/** The calls-dc codec as the SFU uses it: SDP from clients capped at 64 KiB decompressed. */
export const {encode: encodeDCMessage, decode: decodeDCMessage} = createDCCodec({zlib: nodeZlib});
