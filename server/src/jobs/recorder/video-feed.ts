// The one video stream ffmpeg encodes, VP8 frames with wall-clock timestamps (ms since the start): the slate while nobody shares, the
// screen share's frames (from its first keyframe) while someone does. A static screen sends few frames, so
// an idle keyframe is repeated and a new one requested: ffmpeg never waits long for video, and audio never
// piles up behind it.
import type {Vp8Frame} from './vp8-assembler';

/** How often the slate (or an idle screen keyframe) is written again. */
const REPEAT_MS = 1000;
/** An idle screen waiting for a keyframe is looked at this often. */
const MIN_WAKE_MS = REPEAT_MS / 4;
/**
 * A timer may fire a little before `now()` says its time has come (libuv's clock is whole milliseconds, read once
 * per loop turn); without this slack such a wake-up found the repeat not yet due and the next came 250 ms later.
 */
const TIMER_SLACK_MS = 5;

export class VideoFeed {
  #slate: Buffer | undefined;
  #screenOwner: string | undefined;
  #screenLive = false;
  #lastFrame: Vp8Frame | undefined;
  #lastWriteMs = -Infinity;
  #lastPts = -1;
  #start = 0;
  #timer: NodeJS.Timeout | undefined;
  framesWritten = 0;
  screenFrames = 0;

  constructor(
    private readonly write: (frame: Buffer, ptsMs: number, keyframe: boolean) => void,
    /** Asks the sharer for a keyframe (rate-limited by the caller). */
    private readonly requestKeyframe: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(startMs = this.now()): void {
    this.#start = startMs;
    this.#schedule(REPEAT_MS);
  }

  /** One wake-up when the next repeat may be due (not a fixed tick: a still slate then costs one a second). */
  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#repeat();
      if (this.#timer) this.#schedule(Math.max(MIN_WAKE_MS, this.#lastWriteMs + REPEAT_MS - this.now()));
    }, ms);
  }

  get showingScreen(): boolean {
    return this.#screenLive;
  }

  /** A new slate picture (a VP8 keyframe); shown now when nobody shares. */
  setSlate(frame: Buffer): void {
    this.#slate = frame;
    if (!this.#screenLive) this.#emit({data: frame, keyframe: true});
  }

  /** A screen share started (its frames are shown from the next keyframe on). */
  screenStarted(owner: string): void {
    this.#screenOwner = owner;
    this.#screenLive = false;
  }

  /** The share of `owner` ended: back to the slate. */
  screenStopped(owner: string): void {
    if (this.#screenOwner !== owner) return;
    this.#screenOwner = undefined;
    this.#screenLive = false;
    if (this.#slate) this.#emit({data: this.#slate, keyframe: true});
  }

  screenFrame(owner: string, frame: Vp8Frame): void {
    if (owner !== this.#screenOwner) return;
    if (!this.#screenLive) {
      if (!frame.keyframe) return;
      this.#screenLive = true;
    }
    this.screenFrames++;
    this.#emit(frame);
  }

  #repeat(): void {
    if (this.now() - this.#lastWriteMs < REPEAT_MS - TIMER_SLACK_MS) return;
    if (!this.#screenLive) {
      if (this.#slate) this.#emit({data: this.#slate, keyframe: true});
      return;
    }
    // An idle screen: its picture is still the last frame; a keyframe can be shown again as it is.
    if (this.#lastFrame?.keyframe) this.#emit(this.#lastFrame);
    else this.requestKeyframe();
  }

  #emit(frame: Vp8Frame): void {
    const pts = Math.max(Math.round(this.now() - this.#start), this.#lastPts + 1);
    this.#lastPts = pts;
    this.#lastWriteMs = this.now();
    this.#lastFrame = frame;
    this.framesWritten++;
    this.write(frame.data, pts, frame.keyframe);
  }

  /**
   * Stops the repeats. The picture on show is written once more at the stop time when it can be (a keyframe: the
   * slate or a still screen), so the video lasts as long as the audio instead of ending at the last repeat.
   */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lastFrame?.keyframe) this.#emit(this.#lastFrame);
  }
}
