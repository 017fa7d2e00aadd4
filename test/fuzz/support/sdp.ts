// Hostile SDP and the bytes the webapp wraps it in: a real werift offer mutated line by line, field by
// field and byte by byte, truncated, inflated; zlib bombs (megabytes of zeros deflated to a few KiB).
import {deflateSync} from 'node:zlib';
import type {Rng} from './rng';
import {hostileNumber, scrub} from './values';

const FIELD_JUNK = [
  '',
  '-1',
  '0',
  '65536',
  '4294967296',
  '99999999999999999999',
  'NaN',
  'x'.repeat(3000),
  '%',
  ':',
  '::::',
  '\u0000',
  'UDP/TLS/RTP/SAVPF',
  'sha-256',
  'actpass',
  'inactive',
  '*',
  'IN IP6 ::1',
  '0.0.0.0',
  '255.255.255.255',
  '🎉',
];

const EXTRA_LINES = [
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'm=video 0 RTP/AVP 96',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'a=mid:0',
  'a=mid:',
  'a=ssrc:1 cname:x',
  'a=ssrc:4294967295 msid:a b',
  'a=ssrc-group:FID 1 2 3 4 5',
  'a=rid:h send',
  'a=simulcast:send h;l;m;x;y',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:-1 x/0',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=fingerprint:sha-256 00',
  'a=setup:active',
  'a=setup:passive',
  'a=ice-ufrag:',
  'a=ice-pwd:',
  'a=candidate:1 1 udp 1 127.0.0.1 1 typ host',
  'a=group:BUNDLE 0 1 2 3 4 5 6 7 8 9',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:15 x',
  'a=msid-semantic: WMS *',
  'b=AS:-5',
  'c=IN IP4 1.2.3.4/999',
  'a=sctp-port:0',
  'a=max-message-size:-1',
  't=0 0',
  'v=1',
  'o=- 0 0 IN IP4 0',
  's=',
  'a=rtcp-fb:* nack',
  'a=recvonly',
  'a=sendrecv',
];

/** One mutation of an SDP text (its lines, its fields, its bytes, or its size). */
export function mutateSdp(rng: Rng, sdp: string): string {
  const lines = sdp.split('\r\n').filter((l) => l !== '');
  const n = rng.range(1, 4);
  for (let k = 0; k < n; k++) {
    const op = rng.weighted([
      [3, 'deleteLine'],
      [2, 'duplicateLine'],
      [2, 'swapLines'],
      [4, 'field'],
      [3, 'insertLine'],
      [1, 'repeatMedia'],
      [1, 'bytes'],
    ] as const);
    const i = rng.int(Math.max(1, lines.length));
    switch (op) {
      case 'deleteLine':
        lines.splice(i, 1);
        break;
      case 'duplicateLine':
        lines.splice(i, 0, ...Array(rng.range(1, 40)).fill(lines[i] ?? 'a=x'));
        break;
      case 'swapLines': {
        const j = rng.int(Math.max(1, lines.length));
        // With every line deleted there is nothing to swap (a swap would put a hole in the list).
        if (i < lines.length && j < lines.length) [lines[i], lines[j]] = [lines[j], lines[i]];
        break;
      }
      case 'field': {
        const parts = (lines[i] ?? '').split(/([ :=/])/);
        const f = rng.int(parts.length);
        parts[f] = rng.chance(0.5) ? rng.pick(FIELD_JUNK) : String(hostileNumber(rng));
        lines[i] = parts.join('');
        break;
      }
      case 'insertLine':
        lines.splice(i, 0, rng.pick(EXTRA_LINES));
        break;
      case 'repeatMedia': {
        const m = lines.findIndex((l) => l.startsWith('m='));
        if (m >= 0) {
          const section = lines.slice(m);
          for (let r = rng.range(2, 30); r > 0; r--) lines.push(...section);
        }
        break;
      }
      case 'bytes': {
        const text = lines.join('\r\n');
        const chars = [...text];
        for (let b = rng.range(1, 20); b > 0; b--) chars[rng.int(chars.length)] = String.fromCharCode(rng.int(256));
        return scrub(chars.join(''));
      }
    }
  }
  let out = lines.join(rng.chance(0.9) ? '\r\n' : '\n') + '\r\n';
  if (rng.chance(0.15)) out = out.slice(0, rng.int(out.length)); // truncated
  return scrub(out);
}

/** A hostile RTCSessionDescription, as the JSON the webapp deflates. */
export function hostileDescriptionJSON(rng: Rng, offer: string): string {
  const kind = rng.weighted([
    [6, 'mutated'],
    [1, 'type'],
    [1, 'shape'],
    [1, 'garbage'],
  ] as const);
  switch (kind) {
    case 'mutated':
      return JSON.stringify({type: rng.chance(0.85) ? 'offer' : 'answer', sdp: mutateSdp(rng, offer)});
    case 'type':
      return JSON.stringify({type: rng.pick(['rollback', 'pranswer', 'OFFER', '', 'candidate', 7]), sdp: offer});
    case 'shape':
      return rng.pick([
        JSON.stringify({type: 'offer'}),
        JSON.stringify({sdp: offer}),
        JSON.stringify({type: 'offer', sdp: 5}),
        JSON.stringify({type: 'offer', sdp: [offer]}),
        JSON.stringify([offer]),
        'null',
        '"offer"',
        JSON.stringify({type: 'offer', sdp: ''}),
      ]);
    case 'garbage':
      return rng.chance(0.5) ? '{"type":"offer","sdp":"not sdp"}' : rng.bytes(rng.range(0, 500)).toString('latin1');
  }
}

/** Deflated zeros that inflate to `megabytes` MiB (a few KiB on the wire). Cached: building one takes a while. */
const bombs = new Map<number, Buffer>();
export function zlibBomb(megabytes: number): Buffer {
  let b = bombs.get(megabytes);
  if (!b) bombs.set(megabytes, (b = deflateSync(Buffer.alloc(megabytes * 1024 * 1024), {level: 9})));
  return b;
}

/** The `data` bytes of an sdp action: zlib of hostile JSON, a bomb, truncated zlib, or raw junk. */
export function hostileSdpBytes(rng: Rng, offer: string): Buffer {
  const kind = rng.weighted([
    [10, 'desc'],
    [2, 'bomb'],
    [2, 'truncated'],
    [1, 'raw'],
    [1, 'gzip-header'],
    [1, 'huge-valid'],
  ] as const);
  switch (kind) {
    case 'desc':
      return deflateSync(Buffer.from(hostileDescriptionJSON(rng, offer)));
    case 'bomb':
      return zlibBomb(rng.pick([1, 8, 48]));
    case 'truncated': {
      const full = deflateSync(Buffer.from(JSON.stringify({type: 'offer', sdp: offer})));
      return full.subarray(0, rng.int(full.length));
    }
    case 'raw':
      return rng.bytes(rng.range(0, 2000));
    case 'gzip-header':
      return Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), rng.bytes(rng.range(0, 200))]);
    case 'huge-valid': {
      // Just under and just over the 64 KiB inflate cap.
      const pad = 'a=x-pad:' + 'p'.repeat(rng.pick([60_000, 66_000, 200_000])) + '\r\n';
      return deflateSync(Buffer.from(JSON.stringify({type: 'offer', sdp: offer + pad})));
    }
  }
}
