// What the media layer says about a session, told to its client: signaling (SDP, ICE), voice activity,
// refused input, media re-created elsewhere (rtc_reconnect) and media unavailable (rtc_unavailable).
// The events that end a session or a call (close, detach, orphan, abandoned) are sessions.ts's.
import type {AppError} from '../errors';
import type {RtcSignal} from '../rtc/types';
import type {CallsContext} from './context';

export class MediaEventRelay {
  readonly #c: CallsContext;

  constructor(c: CallsContext) {
    this.#c = c;
  }

  signal(sessionID: string, sig: RtcSignal): void {
    const local = this.#c.local.get(sessionID);
    if (!local) return;
    const payload = sig.type === 'sdp' ? sig.data : {type: 'candidate', candidate: sig.data};
    this.#c.pub.toConn('signal', {data: JSON.stringify(payload), connID: sessionID}, local.connID);
  }

  async voice(sessionID: string, on: boolean): Promise<void> {
    const local = this.#c.local.get(sessionID);
    if (!local) return;
    try {
      const userIDs = await this.#c.participantIDs(local.callID);
      this.#c.pub.toParticipants(
        on ? 'user_voice_on' : 'user_voice_off',
        {userID: local.userID, session_id: sessionID},
        local.channelID,
        userIDs,
      );
    } catch (err) {
      this.#c.log.warn({err: (err as Error).message, sessionID}, 'voice event failed');
    }
  }

  /**
   * The SFU refused this session's input (bad SDP or ICE, a bad data-channel message): only its client is
   * told, with the `error` event. A fatal refusal carries the connID, which the official client treats as
   * the end of its session — the SFU closes it and `close` removes it from the call.
   */
  rejected(sessionID: string, err: AppError, fatal: boolean): void {
    const local = this.#c.local.get(sessionID);
    if (!local || local.leaving) return;
    this.#c.log.info({sessionID, errorId: err.id, fatal}, 'client input refused by the media server');
    const data = fatal ? {data: err.message, connID: sessionID, id: err.id} : {data: err.message, id: err.id};
    this.#c.pub.toConn('error', data, local.connID);
  }

  /**
   * The session's media was re-created on another node (its node died or left). Our own event,
   * `custom_com.mattermost.calls_rtc_reconnect` {channelID, call_id, session_id, reason}, to the
   * session's connection: the client closes its peer connection without leaving and negotiates a new
   * one over the same websocket session, as after `join` (the server restores mute and screen state).
   */
  restart(sessionID: string, reason: string): void {
    this.#toSession('rtc_reconnect', sessionID, reason);
  }

  /**
   * No node may run the session's media now (single handler, no handler alive). Our own event,
   * `custom_com.mattermost.calls_rtc_unavailable` {channelID, call_id, session_id, reason}, to the
   * session's connection: the client keeps its place in the call and shows that it is reconnecting until
   * `rtc_reconnect` (a handler took the call over) or `call_end` (the handler wait ran out).
   */
  unavailable(sessionID: string, reason: string): void {
    this.#toSession('rtc_unavailable', sessionID, reason);
  }

  /** A media notice {channelID, call_id, session_id, reason} to a session's own connection, unless it is leaving. */
  #toSession(event: 'rtc_reconnect' | 'rtc_unavailable', sessionID: string, reason: string): void {
    const local = this.#c.local.get(sessionID);
    if (!local || local.leaving) return;
    this.#c.pub.toConn(
      event,
      {channelID: local.channelID, call_id: local.callID, session_id: sessionID, reason},
      local.connID,
    );
  }
}
