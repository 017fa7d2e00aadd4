// The host's notification sounds (Mattermost's WebappUtils.notificationSounds): the incoming-call ring, synthesized with
// Web Audio so the page needs no sound files. The times it started and stopped ringing are kept on window for tests,
// as Mattermost's e2e hooks do (e2eNotificationsSoundedAt / e2eNotificationsStoppedAt).

declare global {
  interface Window {
    e2eNotificationsSoundedAt?: number[];
    e2eNotificationsStoppedAt?: number[];
    e2eRingSound?: string[];
  }
}

const RING_MS = 30000;

let ctx: AudioContext | null = null;
let timer: ReturnType<typeof setInterval> | null = null;
let stopTimer: ReturnType<typeof setTimeout> | null = null;

function chirp(ac: AudioContext): void {
  for (const [freq, at] of [
    [880, 0],
    [660, 0.18],
  ] as const) {
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.15, ac.currentTime + at);
    gain.gain.exponentialRampToValueAtTime(0.001, ac.currentTime + at + 0.16);
    osc.connect(gain).connect(ac.destination);
    osc.start(ac.currentTime + at);
    osc.stop(ac.currentTime + at + 0.17);
  }
}

export function ring(sound: string): void {
  stopRing(false);
  (window.e2eNotificationsSoundedAt ||= []).push(Date.now());
  (window.e2eRingSound ||= []).push(sound);
  try {
    ctx ||= new AudioContext();
    const ac = ctx;
    chirp(ac);
    timer = setInterval(() => chirp(ac), 1500);
  } catch {
    // No audio output: ringing is only visual then.
  }
  stopTimer = setTimeout(() => stopRing(), RING_MS);
}

export function stopRing(record = true): void {
  const wasRinging = Boolean(timer || stopTimer);
  if (timer) {
    clearInterval(timer);
    timer = null;
  }
  if (stopTimer) {
    clearTimeout(stopTimer);
    stopTimer = null;
  }
  if (record && wasRinging) {
    (window.e2eNotificationsStoppedAt ||= []).push(Date.now());
  }
}
