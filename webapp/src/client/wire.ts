// The protocol's codecs (@calls/protocol) bound to fflate, the browser's zlib: SDP packing for the websocket `sdp`
// action and the calls-dc codec. The server is trusted here, so its offers are not capped in size.

import {unzlibSync, zlibSync} from 'fflate';

import {createDCCodec, packSDP, SdpTooLargeError, type Zlib} from '@calls/protocol';

export const browserZlib: Zlib = {
  deflate: (data) => zlibSync(data),
  inflate(data, maxBytes) {
    const out = unzlibSync(data);
    if (out.length > maxBytes) {
      throw new SdpTooLargeError(maxBytes);
    }
    return out;
  },
};

export const {encode: encodeDCMessage, decode: decodeDCMessage} = createDCCodec({
  zlib: browserZlib,
  maxSdpBytes: Infinity,
});

/** A session description as the websocket `sdp` action carries it. */
export function compressSDP(desc: {type: string; sdp?: string}): Uint8Array {
  return packSDP(desc, browserZlib);
}
