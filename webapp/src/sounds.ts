// Join and leave sounds (reference webapp.md §2.1): join_self when this client's session joins, join_user when
// someone else joins a call we are in that has fewer participants than the user's threshold (default 8), leave_self
// when this client leaves. The files are static assets of the plugin, under the subpath when there is one.
import {basename} from './client/rest';
import {pluginId} from './manifest';

export type SoundName = 'join_self' | 'join_user' | 'leave_self';

declare global {
  interface Window {
    /** What the plugin played, for browser tests (as Mattermost's e2e hooks on window). */
    e2eCallsSoundsPlayed?: Array<{name: SoundName; at: number}>;
  }
}

export function soundURL(name: SoundName, base = basename()): string {
  return `${base}/static/plugins/${pluginId}/sounds/${name}.wav`;
}

export function playSound(name: SoundName): void {
  if (typeof window === 'undefined') {
    return;
  }
  (window.e2eCallsSoundsPlayed ||= []).push({name, at: Date.now()});
  if (typeof Audio === 'undefined') {
    return;
  }
  try {
    const audio = new Audio(soundURL(name));
    audio.play()?.catch?.(() => undefined);
  } catch {
    // No audio output (or jsdom): the sound is simply not heard.
  }
}

/** Whether someone else joining our call should be heard: only in calls below the participant threshold. */
export function shouldPlayJoinUser(participants: number, threshold: number): boolean {
  return participants < threshold;
}
