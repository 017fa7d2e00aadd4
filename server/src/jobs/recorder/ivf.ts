// The IVF container (a 32-byte header, then a 12-byte header per frame): how VP8 frames reach ffmpeg on a
// pipe with their own timestamps. The header's size is only a hint; ffmpeg's decoder follows each keyframe.
export const IVF_TIMEBASE_MS = 1000;

export function ivfFileHeader(width: number, height: number): Buffer {
  const h = Buffer.alloc(32);
  h.write('DKIF', 0, 'ascii');
  h.writeUInt16LE(0, 4);
  h.writeUInt16LE(32, 6);
  h.write('VP80', 8, 'ascii');
  h.writeUInt16LE(width, 12);
  h.writeUInt16LE(height, 14);
  // Time base 1/1000: pts are milliseconds.
  h.writeUInt32LE(IVF_TIMEBASE_MS, 16);
  h.writeUInt32LE(1, 20);
  h.writeUInt32LE(0, 24);
  return h;
}

export function ivfFrameHeader(size: number, ptsMs: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(size, 0);
  h.writeBigUInt64LE(BigInt(Math.max(0, Math.round(ptsMs))), 4);
  return h;
}

/** The frames of an IVF file (for slates rendered by ffmpeg, and tests). */
export function readIvfFrames(buf: Buffer): Buffer[] {
  if (buf.length < 32 || buf.toString('ascii', 0, 4) !== 'DKIF') throw new Error('not an IVF file');
  const frames: Buffer[] = [];
  let off = buf.readUInt16LE(6);
  while (off + 12 <= buf.length) {
    const size = buf.readUInt32LE(off);
    if (off + 12 + size > buf.length) break;
    frames.push(buf.subarray(off + 12, off + 12 + size));
    off += 12 + size;
  }
  return frames;
}
