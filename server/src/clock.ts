// Time comes from one place so tests can control it.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = {now: () => Date.now()};
