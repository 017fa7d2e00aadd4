// One run of a periodic sync at a time: a call while a run is in flight joins that run, and a failure is
// logged by the caller's handler, never thrown (the caller's timer simply tries again).

/** A function that starts `run` unless a run is in flight (then it returns that one); it never rejects. */
export function singleFlight(run: () => Promise<void>, onError: (err: Error) => void): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () =>
    (running ??= run()
      .catch((err: unknown) => {
        onError(err as Error);
      })
      .finally(() => (running = null)));
}
