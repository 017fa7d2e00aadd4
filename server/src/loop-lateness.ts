// How late the event loop runs a timer, by the real clock: one sampler per period for the whole process, shared by
// its listeners (the stall warning and the lag metric both sample every 250 ms on one timer, not two). A sample due
// inside a stall comes at its end, so a stall shows in full.

export type LatenessListener = (lateMs: number) => void;

const samplers = new Map<number, {timer: NodeJS.Timeout; listeners: Set<LatenessListener>}>();

/** Calls `listener` every `everyMs` with how late (ms, ≥ 0) that sample ran; returns the stop. Never keeps the process alive. */
export function onLoopLateness(everyMs: number, listener: LatenessListener): () => void {
  let sampler = samplers.get(everyMs);
  if (!sampler) {
    const listeners = new Set<LatenessListener>();
    let due = performance.now() + everyMs;
    const timer = setInterval(() => {
      const now = performance.now();
      // A timer may run a hair early by this clock: that is no lateness.
      const late = Math.max(0, now - due);
      due = now + everyMs;
      for (const l of listeners) l(late);
    }, everyMs);
    timer.unref();
    sampler = {timer, listeners};
    samplers.set(everyMs, sampler);
  }
  const s = sampler;
  s.listeners.add(listener);
  return () => {
    s.listeners.delete(listener);
    if (s.listeners.size === 0 && samplers.get(everyMs) === s) {
      clearInterval(s.timer);
      samplers.delete(everyMs);
    }
  };
}
