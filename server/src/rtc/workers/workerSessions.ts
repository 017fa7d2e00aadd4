// What the pool keeps of each session so it can re-create it on another worker in the same state: its
// config and what the signaling side told it (mute, screen and video streams).
import type {MediaWorker} from './mediaWorker';
import {streamIDOf, type RtcInbound, type SessionConfig} from '../types';

/**
 * What the primary keeps of a session: its worker, and what it needs to re-create it on another worker
 * (its config and the state the signaling side gave it).
 */
export interface PoolSession {
  worker: MediaWorker;
  readonly cfg: SessionConfig;
  readonly callID: string;
  muted: boolean;
  screenStreamID: string | undefined;
  videoStreamID: string | undefined;
  /** Being re-created after its worker was lost (one recovery at a time, which retries if it loses its worker too). */
  recovering: boolean;
  /** The outcome of the last recovery (true: re-created). */
  recovered?: Promise<boolean>;
  /** Its first initSession answered: its client may have negotiated, so a re-created session needs `restart`. */
  initialized: boolean;
  /** closeSession was asked for it. */
  closing: boolean;
}

/** Keeps what the signaling side told a session, so it can be re-created elsewhere in the same state. */
export function noteState(e: PoolSession, msg: RtcInbound): void {
  switch (msg.type) {
    case 'mute':
    case 'unmute':
      e.muted = msg.type === 'mute';
      break;
    // An *_off has no stream id: streamIDOf gives undefined.
    case 'screen_on':
    case 'screen_off':
      e.screenStreamID = streamIDOf(msg);
      break;
    case 'video_on':
    case 'video_off':
      e.videoStreamID = streamIDOf(msg);
      break;
    default:
      break;
  }
}

/** The messages that put a re-created session back in the state it had. */
export function restoreMessages(e: PoolSession): RtcInbound[] {
  const sessionID = e.cfg.sessionID;
  // A new SFU session starts unmuted, as the lost one did.
  const out: RtcInbound[] = e.muted ? [{sessionID, type: 'mute'}] : [];
  if (typeof e.screenStreamID === 'string')
    out.push({sessionID, type: 'screen_on', data: {screenStreamID: e.screenStreamID}});
  if (typeof e.videoStreamID === 'string')
    out.push({sessionID, type: 'video_on', data: {videoStreamID: e.videoStreamID}});
  return out;
}
