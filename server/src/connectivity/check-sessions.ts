// Short-lived SFU sessions that a browser's connectivity check connects to: the same shared RTC ports and
// ICE agent as a call, but a call of their own, a data channel only, and closed after a few seconds.
// Bounded per user and in total so the check cannot be used to pile up peer connections.
import {AppError} from '../errors';
import {newId} from '../ids';
import type {Logger} from '../log';
import type {IceCandidate, RtcServer, RtcSignal, SessionDescription} from '../rtc/types';

export interface CheckSessionOptions {
  /** Sessions alive at once, all users. */
  maxTotal?: number;
  /** Sessions alive at once per user (one check opens four). */
  maxPerUser?: number;
  lifetimeMs?: number;
  answerTimeoutMs?: number;
  /** Wait after the answer for trickled candidates. */
  trickleMs?: number;
}

export interface CheckAnswer {
  session_id: string;
  answer: SessionDescription;
  candidates: IceCandidate[];
}

export class CheckSessions {
  readonly #live = new Map<
    string,
    {userID: string; timer: NodeJS.Timeout; rtc: RtcServer; onClose: (sid: string) => void}
  >();
  readonly #opts: Required<CheckSessionOptions>;
  readonly #log: Logger;

  constructor(
    private readonly rtc: () => RtcServer | null,
    logger: Logger,
    opts: CheckSessionOptions = {},
  ) {
    this.#log = logger.child({module: 'connectivity'});
    this.#opts = {maxTotal: 64, maxPerUser: 8, lifetimeMs: 30_000, answerTimeoutMs: 8_000, trickleMs: 300, ...opts};
  }

  async open(userID: string, offer: SessionDescription): Promise<CheckAnswer> {
    const rtc = this.rtc();
    if (!rtc) throw new AppError('app.calls.connectivity.no_media', 'this node runs no media server', 503);
    const mine = [...this.#live.values()].filter((s) => s.userID === userID).length;
    if (mine >= this.#opts.maxPerUser || this.#live.size >= this.#opts.maxTotal)
      throw new AppError('app.calls.too_many_requests', 'too many connectivity checks at once', 429);
    const sessionID = `check${newId()}`;
    const signals: RtcSignal[] = [];
    let gotAnswer: () => void = () => {};
    const answered = new Promise<void>((r) => (gotAnswer = r));
    let error: AppError | undefined;
    const onSignal = (sid: string, sig: RtcSignal) => {
      if (sid !== sessionID) return;
      signals.push(sig);
      if (sig.type === 'sdp' && sig.data.type === 'answer') gotAnswer();
    };
    const onRejected = (sid: string, err: AppError) => {
      if (sid !== sessionID) return;
      error = err;
      gotAnswer();
    };
    rtc.on('signal', onSignal);
    rtc.on('rejected', onRejected);
    const timer = setTimeout(() => this.#close(sessionID, 'lifetime over'), this.#opts.lifetimeMs);
    timer.unref();
    // The browser closing its side ends the SFU session: the user's slot is free again at once.
    const onClose = (sid: string) => {
      if (sid === sessionID) this.#forget(sessionID);
    };
    rtc.on('close', onClose);
    this.#live.set(sessionID, {userID, timer, rtc, onClose});
    try {
      await rtc.initSession({
        sessionID,
        userID,
        callID: `connectivity-${sessionID}`,
        channelID: 'connectivity-check',
        av1Support: false,
        dcSignaling: false,
      });
      rtc.send({sessionID, type: 'sdp', data: offer});
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([answered, new Promise<void>((r) => (waited = setTimeout(r, this.#opts.answerTimeoutMs)))]);
      clearTimeout(waited);
      if (error) throw new AppError(error.id, error.message, 400);
      const answer = signals.find((s) => s.type === 'sdp');
      if (!answer || answer.type !== 'sdp')
        throw new AppError('app.calls.connectivity.no_answer', 'the media server did not answer this offer', 400);
      await new Promise((r) => setTimeout(r, this.#opts.trickleMs));
      const candidates = signals.flatMap((s) => (s.type === 'ice' ? [s.data] : []));
      return {session_id: sessionID, answer: answer.data, candidates};
    } catch (err) {
      this.#close(sessionID, 'check failed to start');
      throw err;
    } finally {
      rtc.off('signal', onSignal);
      rtc.off('rejected', onRejected);
    }
  }

  /** Closes every check session (server shutdown). */
  close(): void {
    for (const id of [...this.#live.keys()]) this.#close(id, 'shutting down');
  }

  #forget(sessionID: string): {rtc: RtcServer} | undefined {
    const s = this.#live.get(sessionID);
    if (!s) return undefined;
    this.#live.delete(sessionID);
    clearTimeout(s.timer);
    s.rtc.off('close', s.onClose);
    return s;
  }

  #close(sessionID: string, reason: string): void {
    const s = this.#forget(sessionID);
    if (!s) return;
    s.rtc
      .closeSession(sessionID)
      .catch((err: unknown) =>
        this.#log.debug({err: (err as Error).message, sessionID, reason}, 'closing a check session failed'),
      );
  }
}
