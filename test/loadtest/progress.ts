// The load test's progress bar on stderr: redrawn in place on a terminal, a line every few seconds
// (and at each phase change) when stderr is a file or pipe.

const WIDTH = 30;
const PLAIN_INTERVAL_MS = 5000;

export class Progress {
  readonly #out: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #phase = '';
  #lastPlain = 0;
  #drawn = false;

  constructor(enabled = true, out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#enabled = enabled;
  }

  /** Shows `phase` at done/total (a bar), with a short note after it. */
  update(phase: string, done: number, total: number, note = ''): void {
    if (!this.#enabled) return;
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(frac * WIDTH);
    const line = `${phase.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${done}/${total}${note ? `  ${note}` : ''}`;
    if (this.#out.isTTY) {
      this.#out.write(`\r${line.padEnd(this.#out.columns ? Math.min(this.#out.columns - 1, 110) : 100)}`);
      this.#drawn = true;
      return;
    }
    const now = Date.now();
    if (phase !== this.#phase || done >= total || now - this.#lastPlain >= PLAIN_INTERVAL_MS) {
      this.#out.write(`${line}\n`);
      this.#lastPlain = now;
    }
    this.#phase = phase;
  }

  /** A message on its own line (ends the current bar). */
  log(message: string): void {
    if (!this.#enabled) return;
    this.done();
    this.#out.write(`${message}\n`);
  }

  done(): void {
    if (this.#drawn) this.#out.write('\n');
    this.#drawn = false;
  }
}
