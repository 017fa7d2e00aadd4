// Channel changes made in Mattermost, found by re-reading the channels calls are using: a member gone
// becomes `channelMemberRemoved` (their sessions end), a channel archived or deleted `channelDeleted`.
// A service beside Mattermost cannot receive its plugin hooks; polling REST is the reliable part
// (Mattermost's own websocket would be quicker: issue 15 §2).
import type {Logger} from '../../log';

export interface ChannelSnapshot {
  /** Archived (delete_at > 0) or gone (404). */
  deleted: boolean;
  memberIDs: string[];
}

export interface MembershipWatchOptions {
  /** Reads a channel as Mattermost has it now (not from a cache). */
  load: (channelID: string) => Promise<ChannelSnapshot>;
  onMemberRemoved: (channelID: string, userID: string) => void;
  onChannelDeleted: (channelID: string) => void;
  logger: Logger;
  /** How often watched channels are re-read (default 10 s). */
  intervalMs?: number;
  /** A channel nobody asked about for this long is dropped (default 1 h: calls ask on every event). */
  idleMs?: number;
  /** At most this many channels are watched (the least recently asked about are dropped). */
  maxChannels?: number;
}

interface Watched {
  members: Set<string> | null;
  lastInterest: number;
}

export class MembershipWatch {
  readonly #o: MembershipWatchOptions;
  readonly #watched = new Map<string, Watched>();
  readonly #timer: NodeJS.Timeout;
  #polling = false;

  constructor(o: MembershipWatchOptions) {
    this.#o = o;
    this.#timer = setInterval(() => void this.poll(), o.intervalMs ?? 10_000);
    this.#timer.unref();
  }

  /** Calls use this channel (a join's permission check, an event to its members): keep it watched. */
  interest(channelID: string): void {
    const w = this.#watched.get(channelID);
    this.#watched.delete(channelID);
    this.#watched.set(channelID, {members: w?.members ?? null, lastInterest: Date.now()});
    const max = this.#o.maxChannels ?? 500;
    while (this.#watched.size > max) this.#watched.delete(this.#watched.keys().next().value!);
  }

  /** The members as read elsewhere: the baseline the next poll compares with, until a poll has read its own. */
  observe(channelID: string, memberIDs: string[]): void {
    const w = this.#watched.get(channelID);
    if (w && !w.members) w.members = new Set(memberIDs);
  }

  /** Re-reads every watched channel once (the timer's tick; tests may call it). */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      const idle = Date.now() - (this.#o.idleMs ?? 3600_000);
      for (const [channelID, w] of [...this.#watched]) {
        if (w.lastInterest < idle) {
          this.#watched.delete(channelID);
          continue;
        }
        let snap: ChannelSnapshot;
        try {
          snap = await this.#o.load(channelID);
        } catch (err) {
          // Mattermost down or busy: nothing is concluded; the next tick tries again.
          this.#o.logger.debug({channelID, err: (err as Error).message}, 'membership poll failed');
          continue;
        }
        if (snap.deleted) {
          this.#watched.delete(channelID);
          this.#o.onChannelDeleted(channelID);
          continue;
        }
        const now = new Set(snap.memberIDs);
        for (const uid of w.members ?? []) if (!now.has(uid)) this.#o.onMemberRemoved(channelID, uid);
        const current = this.#watched.get(channelID);
        if (current) current.members = now;
      }
    } finally {
      this.#polling = false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.#watched.clear();
  }
}
