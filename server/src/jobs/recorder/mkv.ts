// A minimal live Matroska writer: the recording's one input to ffmpeg, carrying the mixed PCM and the VP8 video
// (slate or screen) with their millisecond timestamps. One input instead of two pipes matters for CPU: ffmpeg 5.1
// polls every 10 ms when it reads several inputs, but blocks on a single one (see encoder.ts).
// Layout: EBML header, a Segment of unknown size (streamed), Info (1 ms ticks), Tracks, then one Cluster per block.

/** Track numbers in the stream. */
export const VIDEO_TRACK = 1;
export const AUDIO_TRACK = 2;

/** An EBML variable-length size (the shortest form; sizes here stay far below 2^53). */
function vint(n: number): Buffer {
  for (let len = 1; len <= 8; len++) {
    // All ones in the value bits means "unknown": such a value needs the next length.
    if (n < 2 ** (7 * len) - 1) {
      const b = Buffer.alloc(len);
      let v = n;
      for (let i = len - 1; i >= 0; i--) {
        b[i] = v % 256;
        v = Math.floor(v / 256);
      }
      b[0] |= 0x80 >> (len - 1);
      return b;
    }
  }
  throw new RangeError(`EBML size too large: ${n}`);
}

function id(hex: number): Buffer {
  const bytes: number[] = [];
  for (let v = hex; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes);
}

function element(hexID: number, ...body: Buffer[]): Buffer {
  const data = Buffer.concat(body);
  return Buffer.concat([id(hexID), vint(data.length), data]);
}

function uint(hexID: number, value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return element(hexID, Buffer.from(bytes.length ? bytes : [0]));
}

function str(hexID: number, value: string): Buffer {
  return element(hexID, Buffer.from(value, 'ascii'));
}

function float(hexID: number, value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(value);
  return element(hexID, b);
}

export interface MkvStreamOptions {
  /** The video track's nominal size (the decoder follows each keyframe's own size). */
  width: number;
  height: number;
  sampleRate: number;
  channels: number;
}

/** The stream's start: EBML header, the Segment's opening (size unknown), Info and the two tracks. */
export function mkvHeader(o: MkvStreamOptions): Buffer {
  const ebml = element(
    0x1a45dfa3,
    uint(0x4286, 1),
    uint(0x42f7, 1),
    uint(0x42f2, 4),
    uint(0x42f3, 8),
    str(0x4282, 'matroska'),
    uint(0x4287, 4),
    uint(0x4285, 2),
  );
  const segmentUnknownSize = Buffer.concat([
    id(0x18538067),
    Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
  ]);
  const info = element(
    0x1549a966,
    uint(0x2ad7b1, 1_000_000),
    str(0x4d80, 'calls-recorder'),
    str(0x5741, 'calls-recorder'),
  );
  const video = element(
    0xae,
    uint(0xd7, VIDEO_TRACK),
    uint(0x73c5, VIDEO_TRACK),
    uint(0x83, 1),
    uint(0x9c, 0),
    str(0x86, 'V_VP8'),
    element(0xe0, uint(0xb0, o.width), uint(0xba, o.height)),
  );
  const audio = element(
    0xae,
    uint(0xd7, AUDIO_TRACK),
    uint(0x73c5, AUDIO_TRACK),
    uint(0x83, 2),
    uint(0x9c, 0),
    str(0x86, 'A_PCM/INT/LIT'),
    element(0xe1, float(0xb5, o.sampleRate), uint(0x9f, o.channels), uint(0x6264, 16)),
  );
  return Buffer.concat([ebml, segmentUnknownSize, info, element(0x1654ae6b, video, audio)]);
}

/**
 * One block in its own Cluster (timestamp `ptsMs`, the block's offset 0): blocks of the two tracks may then come
 * in any order, and no cluster-relative offset can overflow. Written in one piece (one pipe write).
 */
export function mkvBlock(track: number, ptsMs: number, keyframe: boolean, data: Buffer): Buffer {
  // SimpleBlock: track number (vint), a 16-bit offset from the cluster's timestamp, flags, the frame.
  const blockHead = Buffer.from([0x80 | track, 0, 0, keyframe ? 0x80 : 0]);
  const simpleBlockSize = blockHead.length + data.length;
  const simpleBlockHead = Buffer.concat([id(0xa3), vint(simpleBlockSize)]);
  const timecode = uint(0xe7, Math.max(0, Math.round(ptsMs)));
  const clusterSize = timecode.length + simpleBlockHead.length + simpleBlockSize;
  return Buffer.concat([id(0x1f43b675), vint(clusterSize), timecode, simpleBlockHead, blockHead, data]);
}
