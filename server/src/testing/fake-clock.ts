// A clock that moves only when a test moves it: what a unit test passes where the code wants a Clock.
import type {Clock} from '../clock';

export class FakeClock implements Clock {
  #now: number;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
