// Turns a screen share's VP8 RTP packets into whole frames (RFC 7741): packets are grouped by RTP timestamp
// and ordered by sequence number, a frame is complete from its start packet to the marker with no gap, and
// after any loss nothing is passed on until the next keyframe (asking the sender for one).
import {Vp8RtpPayload} from 'werift';

export interface Vp8Frame {
  data: Buffer;
  keyframe: boolean;
  width?: number;
  height?: number;
}

interface Pending {
  packets: Map<number, {payload: Vp8RtpPayload; marker: boolean}>;
}

/** Frames held at once while their packets arrive out of order. */
const MAX_PENDING_FRAMES = 8;
const MAX_PACKETS_PER_FRAME = 2000;

export class Vp8Assembler {
  #pending = new Map<number, Pending>();
  /** RTP timestamps of frames already emitted or given up (so late packets are dropped). */
  #done = new Set<number>();
  #doneOrder: number[] = [];
  #needKeyframe = true;
  framesOut = 0;
  framesDropped = 0;

  constructor(
    private readonly onFrame: (frame: Vp8Frame) => void,
    /** Called when a keyframe is needed (start, loss); the caller rate-limits the PLI. */
    private readonly requestKeyframe: () => void,
  ) {}

  get waitingForKeyframe(): boolean {
    return this.#needKeyframe;
  }

  push(seq: number, timestamp: number, marker: boolean, payload: Buffer): void {
    if (this.#done.has(timestamp) || payload.length === 0) return;
    let parsed: Vp8RtpPayload;
    try {
      parsed = Vp8RtpPayload.deSerialize(payload);
    } catch {
      return;
    }
    let frame = this.#pending.get(timestamp);
    if (!frame) {
      frame = {packets: new Map()};
      this.#pending.set(timestamp, frame);
      // Too many incomplete frames: the oldest will never complete.
      while (this.#pending.size > MAX_PENDING_FRAMES) {
        const oldest = this.#pending.keys().next().value!;
        this.#giveUp(oldest);
      }
    }
    if (frame.packets.size >= MAX_PACKETS_PER_FRAME) return;
    frame.packets.set(seq, {payload: parsed, marker});
    this.#tryComplete(timestamp, frame);
  }

  #tryComplete(timestamp: number, frame: Pending): void {
    let start: number | undefined;
    let end: number | undefined;
    for (const [seq, p] of frame.packets) {
      if (p.payload.sBit === 1 && p.payload.pid === 0) start = seq;
      if (p.marker) end = seq;
    }
    if (start === undefined || end === undefined) return;
    const count = ((end - start) & 0xffff) + 1;
    if (count > frame.packets.size) return;
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const p = frame.packets.get((start + i) & 0xffff);
      if (!p) return;
      parts.push(p.payload.payload);
    }
    // Frames older than this one that are still incomplete are lost.
    for (const ts of [...this.#pending.keys()]) {
      if (ts === timestamp) break;
      this.#giveUp(ts);
    }
    this.#pending.delete(timestamp);
    this.#markDone(timestamp);
    const data = Buffer.concat(parts);
    const keyframe = isVp8Keyframe(data);
    if (this.#needKeyframe && !keyframe) {
      this.framesDropped++;
      this.requestKeyframe();
      return;
    }
    this.#needKeyframe = false;
    this.framesOut++;
    this.onFrame({data, keyframe, ...(keyframe ? vp8KeyframeSize(data) : {})});
  }

  #giveUp(timestamp: number): void {
    this.#pending.delete(timestamp);
    this.#markDone(timestamp);
    this.framesDropped++;
    this.#needKeyframe = true;
    this.requestKeyframe();
  }

  #markDone(timestamp: number): void {
    this.#done.add(timestamp);
    this.#doneOrder.push(timestamp);
    if (this.#doneOrder.length > 64) this.#done.delete(this.#doneOrder.shift()!);
  }

  /** The next frame must be a keyframe (the stream restarted or the consumer switched to it). */
  reset(): void {
    this.#pending.clear();
    this.#needKeyframe = true;
  }
}

/** RFC 6386 §9.1: the frame tag's P bit is 0 on keyframes. */
export function isVp8Keyframe(frame: Buffer): boolean {
  return frame.length >= 10 && (frame[0] & 0x01) === 0 && frame[3] === 0x9d && frame[4] === 0x01 && frame[5] === 0x2a;
}

export function vp8KeyframeSize(frame: Buffer): {width: number; height: number} {
  return {width: frame.readUInt16LE(6) & 0x3fff, height: frame.readUInt16LE(8) & 0x3fff};
}
