// The IVF container (a 32-byte header, then a 12-byte header per frame): how ffmpeg hands back the slate it
// rendered, and how tests read VP8 frames.
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
