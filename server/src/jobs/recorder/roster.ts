// Who is in the call, who speaks and who shares, kept from the call's websocket events (call_state,
// user_joined/left, user_voice_on/off, user_screen_on/off), and turned into what the slate shows.
import type {CallState} from '../../protocol';
import type {SlateContent} from './slate';

interface Member {
  userID: string;
  speaking: boolean;
}

const MAX_SESSIONS = 1000;

export class Roster {
  title = '';
  screenSessionID = '';
  readonly #sessions = new Map<string, Member>();
  #names = new Map<string, string>();

  /** A display name learnt for a user (else a short form of the id is shown). */
  setName(userID: string, name: string): void {
    this.#names.set(userID, name);
  }

  hasName(userID: string): boolean {
    return this.#names.has(userID);
  }

  get userIDs(): string[] {
    return [...new Set([...this.#sessions.values()].map((m) => m.userID))];
  }

  /** Applies one calls event (suffix, data); returns whether what the slate shows changed. */
  apply(event: string, data: Record<string, unknown>): boolean {
    const sid = String(data.session_id ?? '');
    const uid = String(data.user_id ?? data.userID ?? '');
    switch (event) {
      case 'call_state': {
        let call: Partial<CallState>;
        try {
          call = JSON.parse(String(data.call)) as Partial<CallState>;
        } catch {
          return false;
        }
        this.#sessions.clear();
        for (const s of (call.sessions ?? []).slice(0, MAX_SESSIONS))
          if (s && typeof s.session_id === 'string')
            this.#sessions.set(s.session_id, {userID: String(s.user_id), speaking: false});
        this.screenSessionID = String(call.screen_sharing_session_id ?? '');
        return true;
      }
      case 'user_joined':
        if (!sid || this.#sessions.has(sid) || this.#sessions.size >= MAX_SESSIONS) return false;
        this.#sessions.set(sid, {userID: uid, speaking: false});
        return true;
      case 'user_left':
        if (this.screenSessionID === sid) this.screenSessionID = '';
        return this.#sessions.delete(sid);
      case 'user_voice_on':
      case 'user_voice_off': {
        const m = this.#sessions.get(sid);
        const speaking = event === 'user_voice_on';
        if (!m || m.speaking === speaking) return false;
        m.speaking = speaking;
        return true;
      }
      case 'user_muted': {
        const m = this.#sessions.get(sid);
        if (!m?.speaking) return false;
        m.speaking = false;
        return true;
      }
      case 'user_screen_on':
        this.screenSessionID = sid;
        return false;
      case 'user_screen_off':
        if (!sid || sid === this.screenSessionID) this.screenSessionID = '';
        return false;
      default:
        return false;
    }
  }

  slate(): SlateContent {
    return {
      title: this.title,
      participants: [...this.#sessions.values()].map((m) => ({
        name: this.#names.get(m.userID) ?? `user ${m.userID.slice(0, 8)}`,
        speaking: m.speaking,
      })),
    };
  }
}
