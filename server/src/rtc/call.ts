// The sessions of one call and the rule that decides who receives what: every session gets every
// other session's voice, screen, screen-audio (and camera video when enabled), AV1 only between
// AV1-capable peers, and nothing before its data channel is open. One screen sharer per call.
import type {Logger} from '../log';
import {isAv1} from './media/codecs';
import type {PublishedTrack} from './session/published';
import type {Session} from './session/session';

export interface CallOptions {
  enableVideo: boolean;
  enableAV1: boolean;
}

export class Call {
  readonly callID: string;
  readonly #opts: CallOptions;
  readonly #logger: Logger;
  readonly #sessions = new Map<string, Session>();
  #screenSessionID: string | undefined;
  #syncScheduled = false;
  #closed = false;

  constructor(callID: string, opts: CallOptions, logger: Logger) {
    this.callID = callID;
    this.#opts = opts;
    this.#logger = logger.child({callID});
  }

  get size(): number {
    return this.#sessions.size;
  }

  get screenSessionID(): string | undefined {
    return this.#screenSessionID;
  }

  sessions(): Session[] {
    return [...this.#sessions.values()];
  }

  add(session: Session): void {
    this.#sessions.set(session.sessionID, session);
    session.on('ready', () => this.#scheduleSync());
    session.on('publish', () => this.#scheduleSync());
    session.on('unpublish', () => this.#scheduleSync());
    session.on('close', () => this.#remove(session));
  }

  /** Reference §5.2: the first sharer wins; a second screen_on is refused (logged). */
  screenOn(session: Session, streamID: string): boolean {
    if (this.#screenSessionID && this.#screenSessionID !== session.sessionID) {
      this.#logger.warn(
        {sessionID: session.sessionID, sharer: this.#screenSessionID},
        'screen_on refused: someone else is sharing',
      );
      return false;
    }
    this.#screenSessionID = session.sessionID;
    session.setScreenStream(streamID);
    return true;
  }

  screenOff(session: Session): void {
    if (this.#screenSessionID !== session.sessionID) return;
    this.#screenSessionID = undefined;
    session.setScreenStream(undefined);
  }

  #remove(session: Session): void {
    if (this.#sessions.get(session.sessionID) !== session) return;
    this.#sessions.delete(session.sessionID);
    if (this.#screenSessionID === session.sessionID) this.#screenSessionID = undefined;
    this.#scheduleSync();
  }

  close(): void {
    this.#closed = true;
  }

  /** Batches the publications of one negotiation (e.g. VP8 and AV1 screen tracks) into one sync. */
  #scheduleSync(): void {
    if (this.#syncScheduled || this.#closed) return;
    this.#syncScheduled = true;
    queueMicrotask(() => {
      this.#syncScheduled = false;
      this.#sync();
    });
  }

  #sync(): void {
    const sessions = [...this.#sessions.values()];
    // Only the sessions that publish: a large call has a handful among a thousand listeners, and every join, leave
    // and publication syncs every receiver, so walking all sessions per receiver made each sync N² (a 1,000-person
    // call's joins and leaves held the event loop for seconds).
    const published = new Map<string, PublishedTrack[]>();
    for (const s of sessions) {
      const tracks = s.published;
      if (tracks.length > 0) published.set(s.sessionID, tracks);
    }
    for (const receiver of sessions) {
      if (!receiver.ready) continue;
      receiver.setWanted(this.#wantedBy(receiver, published));
    }
  }

  #wantedBy(receiver: Session, published: Map<string, PublishedTrack[]>): PublishedTrack[] {
    const receiverAv1 = this.#opts.enableAV1 && receiver.cfg.av1Support;
    const out: PublishedTrack[] = [];
    for (const [senderID, tracks] of published) {
      if (senderID === receiver.sessionID) continue;
      for (const t of tracks) {
        if (t.type === 'video' && !this.#opts.enableVideo) continue;
        if (t.kind === 'video') {
          if (isAv1(t.mimeType)) {
            if (!receiverAv1) continue;
          } else if (receiverAv1 && tracks.some((o) => o.type === t.type && isAv1(o.mimeType))) {
            // The sender also publishes AV1 of this media: AV1-capable receivers get that instead.
            continue;
          }
        }
        out.push(t);
      }
    }
    return out;
  }
}
