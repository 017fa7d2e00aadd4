// The screen another participant shares, as this client receives it: shown when its track arrives, gone when the
// track ends or leaves its stream, or the peer connection is dropped; each change is reported once.

export class RemoteScreen {
  readonly #onChange: (stream: MediaStream | null) => void;
  #stream: MediaStream | null = null;

  constructor(onChange: (stream: MediaStream | null) => void) {
    this.#onChange = onChange;
  }

  get stream(): MediaStream | null {
    return this.#stream;
  }

  show(track: MediaStreamTrack, stream: MediaStream): void {
    this.#stream = stream;
    this.#onChange(stream);
    const gone = () => {
      if (this.#stream === stream) {
        this.clear();
      }
    };
    track.addEventListener('ended', gone);
    stream.addEventListener('removetrack', gone);
  }

  clear(): void {
    if (this.#stream) {
      this.#stream = null;
      this.#onChange(null);
    }
  }
}
