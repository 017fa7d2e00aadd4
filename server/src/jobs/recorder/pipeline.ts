// The recording's media pipeline, independent of how tracks arrive: voice and screen-audio tracks are decoded
// and mixed on a 20 ms clock, the screen share's VP8 frames (or the slate) go to ffmpeg as one video stream,
// and stop() finishes the MP4. The participant (or a test) feeds it RTP packets.
import fs from 'node:fs/promises';
import path from 'node:path';
import type {Logger} from '../../log';
import {AudioMixer} from './audio-mixer';
import {Encoder, type EncoderOptions, type EncoderResult} from './encoder';
import {renderSlate, type SlateContent} from './slate';
import {VideoFeed} from './video-feed';
import {VoiceSource} from './voice-source';
import {Vp8Assembler} from './vp8-assembler';

export interface PipelineOptions extends EncoderOptions {
  log: Logger;
  /** Where slate text files go (the data dir). */
  workDir: string;
  fontFile?: string;
}

export interface RtpIn {
  seq: number;
  timestamp: number;
  marker: boolean;
  payload: Buffer;
}

export interface TrackHandle {
  push(rtp: RtpIn): void;
  /** The track ended (removed, its sender left). */
  end(): void;
}

/** Keyframe requests to one sender are at most this often. */
const KEYFRAME_REQUEST_MS = 500;
/** Slate renders are coalesced: speaking flips often. */
const SLATE_DEBOUNCE_MS = 300;

export class RecordingPipeline {
  readonly #opts: PipelineOptions;
  readonly #log: Logger;
  #encoder: Encoder | undefined;
  #mixer: AudioMixer | undefined;
  #feed: VideoFeed | undefined;
  #screenKeyframe: (() => void) | undefined;
  #slateWanted: SlateContent | undefined;
  #slateTimer: NodeJS.Timeout | undefined;
  #slateRendering: Promise<void> | undefined;
  #stopped = false;
  /** performance.now() at which the recording's clock (time 0 of the file) started. */
  startedAt = 0;
  readonly voices = new Set<VoiceSource>();

  constructor(opts: PipelineOptions) {
    this.#opts = opts;
    this.#log = opts.log;
  }

  get feed(): VideoFeed | undefined {
    return this.#feed;
  }

  get mixer(): AudioMixer | undefined {
    return this.#mixer;
  }

  /**
   * Starts ffmpeg and the clocks; the slate shows `content` from the start. Resolves once the file's clock runs;
   * `confirmStarted()` then tells whether ffmpeg stayed up.
   */
  async start(content: SlateContent): Promise<void> {
    await fs.mkdir(path.dirname(this.#opts.outputPath), {recursive: true});
    await fs.mkdir(this.#opts.workDir, {recursive: true});
    // The first slate is rendered before ffmpeg starts: its first video frame is then there at once.
    const slate = await renderSlate(this.#slateOptions(), content);
    const encoder = new Encoder(this.#opts, this.#log);
    this.#encoder = encoder;
    const t0 = performance.now();
    this.startedAt = t0;
    this.#mixer = new AudioMixer((pcm) => encoder.writeAudio(pcm));
    this.#feed = new VideoFeed(
      (frame, ptsMs, keyframe) => encoder.writeVideo(frame, ptsMs, keyframe),
      () => this.#screenKeyframe?.(),
    );
    this.#mixer.start(t0);
    this.#feed.start(t0);
    this.#feed.setSlate(slate);
  }

  /** Rejects (and stops everything) if ffmpeg could not start or exited in its first moments (bad options). */
  async confirmStarted(): Promise<void> {
    const encoder = this.#encoder;
    if (!encoder) throw new Error('the recording pipeline was not started');
    try {
      await encoder.started();
    } catch (err) {
      this.#mixer?.stop();
      this.#feed?.stop();
      await encoder.abort();
      throw err;
    }
  }

  #slateOptions() {
    return {
      ffmpegPath: this.#opts.ffmpegPath,
      width: this.#opts.width,
      height: this.#opts.height,
      workDir: this.#opts.workDir,
      fontFile: this.#opts.fontFile,
    };
  }

  /** The call's title/participants/speakers changed: the slate is rendered again (coalesced). */
  updateSlate(content: SlateContent): void {
    if (this.#stopped) return;
    this.#slateWanted = content;
    if (this.#slateTimer || this.#slateRendering) return;
    this.#slateTimer = setTimeout(() => {
      this.#slateTimer = undefined;
      this.#renderWanted();
    }, SLATE_DEBOUNCE_MS);
  }

  #renderWanted(): void {
    const content = this.#slateWanted;
    this.#slateWanted = undefined;
    if (!content || this.#stopped) return;
    this.#slateRendering = renderSlate(this.#slateOptions(), content)
      .then((frame) => {
        if (!this.#stopped) this.#feed?.setSlate(frame);
      })
      .catch((err: unknown) => this.#log.warn({err: String(err)}, 'slate render failed; keeping the previous one'))
      .finally(() => {
        this.#slateRendering = undefined;
        if (this.#slateWanted) this.updateSlate(this.#slateWanted);
      });
  }

  /** A voice or screen-audio track: its Opus is decoded and mixed. */
  addAudio(id: string): TrackHandle {
    const source = new VoiceSource(id);
    this.voices.add(source);
    this.#mixer?.add(source);
    return {
      push: (rtp) => {
        if (!this.#stopped) source.push(rtp.seq, rtp.payload);
      },
      end: () => {
        this.#mixer?.remove(source);
        this.voices.delete(source);
        source.close();
      },
    };
  }

  /**
   * A screen track of `owner` (the sharer's session): shown from its first keyframe, until end(). `requestKeyframe`
   * sends a PLI to its sender; it is called at the start and after losses, at most every 500 ms.
   */
  addScreen(owner: string, requestKeyframe: () => void): TrackHandle {
    let lastRequest = -Infinity;
    const request = () => {
      const now = performance.now();
      if (now - lastRequest < KEYFRAME_REQUEST_MS) return;
      lastRequest = now;
      requestKeyframe();
    };
    const assembler = new Vp8Assembler((frame) => this.#feed?.screenFrame(owner, frame), request);
    this.#screenKeyframe = request;
    this.#feed?.screenStarted(owner);
    request();
    return {
      push: (rtp) => {
        if (!this.#stopped) assembler.push(rtp.seq, rtp.timestamp, rtp.marker, rtp.payload);
      },
      end: () => {
        if (this.#screenKeyframe === request) this.#screenKeyframe = undefined;
        this.#feed?.screenStopped(owner);
      },
    };
  }

  /** Stops the clocks and lets ffmpeg finish the file; the result's path is set only for a whole file. */
  async stop(): Promise<EncoderResult> {
    if (this.#stopped) throw new Error('pipeline already stopped');
    this.#stopped = true;
    if (this.#slateTimer) clearTimeout(this.#slateTimer);
    await this.#slateRendering;
    this.#mixer?.stop();
    this.#feed?.stop();
    for (const v of this.voices) v.close();
    this.voices.clear();
    if (!this.#encoder) return {code: null, signal: null, stderr: 'not started'};
    const result = await this.#encoder.finish();
    if (!result.path)
      this.#log.error({code: result.code, signal: result.signal, stderr: result.stderr}, 'ffmpeg failed');
    return result;
  }
}
