// The life of a call session after its join (reference §3.6, §3.7): the reconnect grace, reconnect and
// adopt, leave, removal and the end of the call — at start, at shutdown, and when a session ends from
// outside (its media closed, its websocket moved to another node, orphaned, its login revoked, and the
// platform's events: its user left the channel or was deactivated, the channel was deleted).
import {badRequest, forbidden} from '../errors';
import type {Call} from '../store';
import * as A from './actions';
import type {CallsContext, ConnContext} from './context';
import type {LocalSession} from './local-sessions';
import {endCallPost} from './post';
import {RemovalBatcher} from './removal-batch';
import {computeHost, stopScreenShare, stopVideo} from './state';

export class SessionLifecycle {
  readonly #c: CallsContext;
  /** Removals of one call's sessions that arrive together share a lock turn (see removal-batch.ts). */
  readonly #removals: RemovalBatcher;

  constructor(c: CallsContext) {
    this.#c = c;
    this.#removals = new RemovalBatcher(c.d.lock, (callID, ids) => this.removeSessions(callID, ids));
  }

  // ------------------------------------------------------------------ grace, leave, removal

  startGrace(local: LocalSession): void {
    clearTimeout(local.graceTimer);
    local.graceTimer = setTimeout(() => {
      local.graceTimer = undefined;
      void this.leave(local, 'websocket reconnect timeout');
    }, this.#c.timings.reconnectGraceMs);
  }

  async leaveByConn(connID: string): Promise<void> {
    const local = this.#c.local.byConn(connID);
    if (local) await this.leave(local, 'left');
  }

  /** Tears a session down: media closed, row removed, events sent, call ended if it was the last. Idempotent. */
  async leave(local: LocalSession, reason: string): Promise<void> {
    if (local.leaving) return;
    const {d, log} = this.#c;
    local.leaving = true;
    clearTimeout(local.graceTimer);
    this.#c.local.remove(local);
    try {
      await d.media.closeSession(local.call, local.sessionID);
    } catch (err) {
      log.warn({err: (err as Error).message, sessionID: local.sessionID}, 'closing rtc session failed');
    }
    try {
      await this.#removals.remove(local.channelID, local.callID, local.sessionID);
      log.info({sessionID: local.sessionID, callID: local.callID, reason}, 'session left');
    } catch (err) {
      log.error(
        {err: (err as Error).message, sessionID: local.sessionID, callID: local.callID},
        'removing session failed',
      );
    }
  }

  /**
   * Under the call lock: reference §3.7 removeSession for several sessions of one call at once. It sends the events a
   * removal of each in turn would (screen and video off, a user_left per session) but reads the call's sessions once,
   * deletes once and computes the host once: a host change is announced once, for the host the call ends up with.
   * Sessions not (or no longer) in this call are skipped.
   */
  async removeSessions(callID: string, sessionIDs: readonly string[]): Promise<void> {
    const {d, pub} = this.#c;
    const store = d.store.calls;
    const call = await store.getCall(callID);
    if (!call || call.endAt > 0) return;
    const wanted = new Set(sessionIDs);
    const all = await store.getSessions(callID);
    const leaving = all.filter((s) => wanted.has(s.id));
    if (!leaving.length) return;
    const sessions = all.filter((s) => !wanted.has(s.id));
    await store.deleteSessions(leaving.map((s) => s.id));
    const botID = await this.#c.botUserID();
    const now = d.clock.now();
    for (const [i, session] of leaving.entries()) {
      const sessionID = session.id;
      const isBot = Boolean(botID) && session.userId === botID;
      if (isBot) await d.jobs?.botLeft(call, sessionID);
      // Who is still in the call as this one goes: the rest of the batch leaves after it.
      const audience = () => [session, ...leaving.slice(i + 1), ...sessions].map((s) => s.userId);
      if (call.props.screen_sharing_session_id === sessionID) {
        stopScreenShare(call, now);
        // Upstream sends this one with empty data when the sharer's session goes away.
        pub.toParticipants('user_screen_off', {}, call.channelId, audience());
      }
      if (session.video) {
        stopVideo(call, sessionID, now);
        pub.toParticipants(
          'user_video_off',
          {userID: session.userId, session_id: sessionID},
          call.channelId,
          audience(),
        );
      }
      if (!isBot) pub.toChannel('user_left', {user_id: session.userId, session_id: sessionID}, call.channelId);
    }
    // Only the recorder left: the call ends (its recording stops, reference §8.2 step 8), the recorder is let go.
    const humans = sessions.filter((s) => s.userId !== botID);
    if (humans.length === 0) {
      await store.updateCall(call);
      await this.endCall(callID);
      for (const s of sessions) {
        const bot = this.#c.local.get(s.id);
        if (bot) queueMicrotask(() => void this.leave(bot, 'call ended'));
        else await d.media.closeSession(call, s.id).catch(() => undefined);
      }
      return;
    }
    const prevHost = call.props.hosts?.[0] ?? '';
    const host = computeHost(call, sessions, botID);
    call.props.hosts = host ? [host] : null;
    await store.updateCall(call);
    if (host !== prevHost)
      pub.toParticipants(
        'call_host_changed',
        {hostID: host, call_id: call.id},
        call.channelId,
        sessions.map((s) => s.userId),
      );
  }

  // ------------------------------------------------------------------ the end of a call

  /** Under the call lock: marks the call ended, deletes its sessions, ends jobs, updates the post (cleanCallState). */
  async endCall(callID: string): Promise<void> {
    const {d, log} = this.#c;
    const store = d.store.calls;
    const call = await store.getCall(callID);
    if (!call || call.endAt > 0) return;
    const now = d.clock.now();
    if (call.props.screen_sharing_session_id) stopScreenShare(call, now);
    for (const sid of Object.keys(call.props.video_start_at ?? {})) stopVideo(call, sid, now);
    call.endAt = now;
    call.participants = Object.keys(call.props.participants ?? {});
    const {
      rtcd_host: _r,
      dismissed_notification: _d,
      node_id: _n,
      hosts: _h,
      participants: _p,
      media_unavailable_at: _m,
      ...rest
    } = call.props;
    call.props = rest;
    await store.updateCall(call);
    await store.deleteSessionsByCall(callID);
    const jobs = await store.getActiveJobs(callID);
    for (const job of jobs) {
      job.endAt = now;
      await store.updateJob(job);
    }
    if (jobs.length) d.jobs?.callEnded(call, jobs);
    try {
      await endCallPost(d.platform, call);
    } catch (err) {
      log.warn({err: (err as Error).message, callID}, 'updating the call post failed');
    }
    log.info({callID, channelID: call.channelId, durationMs: call.endAt - call.startAt}, 'call ended');
  }

  /** Every session of the call leaves (here) or has its media closed (elsewhere); then the call ends. */
  async forceEnd(channelID: string, callID: string, reason: string): Promise<void> {
    const {d} = this.#c;
    for (const local of this.#c.local.all()) {
      if (local.callID === callID) await this.leave(local, reason);
    }
    const call = await d.store.calls.getCall(callID);
    if (!call || call.endAt > 0) return;
    // Sessions held by other nodes: close their media; then end the call whatever remains.
    for (const s of await d.store.calls.getSessions(callID)) {
      await d.media.closeSession(call, s.id).catch(() => undefined);
    }
    await d.lock.withLock(channelID, () => this.endCall(callID));
  }

  async #endAtOnce(call: Call, when: 'start' | 'shutdown'): Promise<void> {
    try {
      await this.#c.d.lock.withLock(call.channelId, () => this.endCall(call.id));
      // Participants whose websockets are on other nodes stay connected: tell them the call is over.
      this.#c.pub.toChannel('call_end', {}, call.channelId);
    } catch (err) {
      this.#c.log.warn({err: (err as Error).message, callID: call.id}, `could not end call at ${when}`);
    }
  }

  /** See CallsService.resumeAtStart. */
  async resumeAtStart(): Promise<void> {
    const {d} = this.#c;
    for (const call of await d.store.calls.listActiveCalls()) {
      if (await d.media.endAtStart(call)) await this.#endAtOnce(call, 'start');
    }
  }

  /** Ends the active calls the media layer says cannot go on without this node, and forgets every session. */
  async shutdown(): Promise<void> {
    const {d, local} = this.#c;
    const calls = await d.store.calls.listActiveCalls();
    for (const call of calls) {
      const hasLocal = local.all().some((s) => s.callID === call.id);
      // The media layer knows whether another node can carry the call on.
      if (await d.media.endAtShutdown(call, hasLocal)) await this.#endAtOnce(call, 'shutdown');
    }
    local.clear();
  }

  // ------------------------------------------------------------------ reconnect and adopt

  async reconnect(conn: ConnContext, data: Record<string, unknown>): Promise<void> {
    const msg = A.parseAction('reconnect', A.reconnectSchema, data);
    if (!(await this.#c.d.platform.hasChannelPermission(conn.userID, msg.channelID, 'create_post'))) {
      throw forbidden('app.calls.reconnect.forbidden', 'forbidden');
    }
    const local = this.#c.local.get(msg.originalConnID);
    if (!local) return this.#adopt(conn, msg);
    this.#rebind(local, conn, msg);
  }

  /** The session's websocket is now this connection. */
  #rebind(local: LocalSession, conn: ConnContext, msg: {channelID: string; prevConnID: string}): void {
    if (local.leaving || local.userID !== conn.userID || local.channelID !== msg.channelID) {
      throw badRequest('app.calls.reconnect.no_session', 'session not found for reconnect');
    }
    clearTimeout(local.graceTimer);
    local.graceTimer = undefined;
    this.#c.local.rebind(local, conn.connID);
    this.#c.log.info(
      {sessionID: local.sessionID, connID: conn.connID, prevConnID: msg.prevConnID},
      'session reconnected',
    );
    // The socket may have closed while we were reconnecting: without a grace the session would stay forever.
    if (!this.#c.d.isConnOpen(conn.connID)) this.startGrace(local);
  }

  /** A reconnect for a session this node does not hold (its websocket moved here, or this node restarted): take it over. */
  async #adopt(conn: ConnContext, msg: {channelID: string; originalConnID: string; prevConnID: string}): Promise<void> {
    const {d, local: sessions} = this.#c;
    const session = await d.store.calls.getSession(msg.originalConnID);
    const call = session ? await d.store.calls.getCall(session.callId) : null;
    if (
      !session ||
      !call ||
      call.endAt > 0 ||
      session.userId !== conn.userID ||
      call.channelId !== msg.channelID ||
      sessions.carries(conn.connID)
    ) {
      throw badRequest('app.calls.reconnect.no_session', 'session not found for reconnect');
    }
    // Another reconnect of the same session got here first (two sockets of one client): it holds the session.
    const current = sessions.get(session.id);
    if (current) return this.#rebind(current, conn, msg);
    const local: LocalSession = {
      sessionID: session.id,
      userID: conn.userID,
      channelID: call.channelId,
      callID: call.id,
      call,
      connID: conn.connID,
      leaving: false,
    };
    sessions.add(local);
    try {
      await d.media.adoptSession(call, local.sessionID);
    } catch (err) {
      sessions.remove(local);
      throw err;
    }
    this.#c.log.info(
      {sessionID: local.sessionID, connID: conn.connID, prevConnID: msg.prevConnID},
      'session adopted (its websocket came back on this node)',
    );
    if (!d.isConnOpen(conn.connID)) this.startGrace(local);
  }

  // ------------------------------------------------------------------ ended from outside

  /** The websocket of this connection closed; the session (if any) gets the reconnect grace. */
  disconnected(connID: string): void {
    const local = this.#c.local.byConn(connID);
    if (!local || local.leaving) return;
    this.startGrace(local);
  }

  /** The login behind this connection is no longer valid: remove its session at once. */
  authRevoked(connID: string): void {
    const local = this.#c.local.byConn(connID);
    if (local) void this.leave(local, 'auth session expired');
  }

  /**
   * A user left or was removed from a channel: their sessions in its call end (reference §7.4
   * UserHasLeftChannel), and they are told with a user_left of their own (the channel's no longer reaches them).
   */
  async memberRemoved(channelID: string, userID: string): Promise<void> {
    await this.#guard('ending the sessions of a removed member', {channelID, userID}, async () => {
      const call = await this.#c.d.store.calls.getActiveCallByChannel(channelID);
      if (!call) return;
      for (const sessionID of await this.#endSessionsOf(call, userID, 'user left the channel')) {
        this.#c.pub.toUser('user_left', {user_id: userID, session_id: sessionID}, userID, channelID);
      }
    });
  }

  /** A user was deactivated: their sessions in every call end. */
  async userDeactivated(userID: string): Promise<void> {
    await this.#guard('ending the sessions of a deactivated user', {userID}, async () => {
      for (const call of await this.#c.d.store.calls.listActiveCalls())
        await this.#endSessionsOf(call, userID, 'user deactivated');
    });
  }

  /** A channel was deleted (archived): its call ends for everyone, at once. */
  async channelDeleted(channelID: string): Promise<void> {
    await this.#guard('ending the call of a deleted channel', {channelID}, async () => {
      const call = await this.#c.d.store.calls.getActiveCallByChannel(channelID);
      if (!call) return;
      this.#c.pub.toChannel('call_end', {}, channelID);
      await this.forceEnd(channelID, call.id, 'channel deleted');
    });
  }

  /**
   * Ends the user's sessions in the call wherever they are: a leave here; elsewhere their media is closed,
   * and the node holding their websocket removes them as it would after any media close.
   */
  async #endSessionsOf(call: Call, userID: string, reason: string): Promise<string[]> {
    const ended: string[] = [];
    for (const s of await this.#c.d.store.calls.getSessions(call.id)) {
      if (s.userId !== userID) continue;
      const local = this.#c.local.get(s.id);
      if (local) await this.leave(local, reason);
      else await this.#c.d.media.closeSession(call, s.id).catch(() => undefined);
      ended.push(s.id);
    }
    return ended;
  }

  /** Platform events arrive without a caller to answer: a failure is logged, never thrown. */
  async #guard(what: string, ctx: Record<string, string>, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.#c.log.warn({...ctx, err: (err as Error).message}, `${what} failed`);
    }
  }

  mediaClosed(sessionID: string, reason: string): void {
    const local = this.#c.local.get(sessionID);
    if (local && !local.leaving) void this.leave(local, `rtc closed: ${reason}`);
  }

  /** Another node took this session's websocket over: forget it without tearing anything down. */
  detached(sessionID: string): void {
    const local = this.#c.local.get(sessionID);
    if (!local) return;
    local.leaving = true;
    clearTimeout(local.graceTimer);
    this.#c.local.remove(local);
    this.#c.log.info({sessionID}, 'session moved to another node');
  }

  /** A session nobody holds any more (its node died, its client never came back): remove it as a leave would. */
  async orphaned(sessionID: string, callID: string, channelID: string): Promise<void> {
    const {d, log} = this.#c;
    if (this.#c.local.has(sessionID)) return;
    try {
      const call = await d.store.calls.getCall(callID);
      if (call) await d.media.closeSession(call, sessionID).catch(() => undefined);
      await this.#removals.remove(channelID, callID, sessionID);
      log.info({sessionID, callID}, 'orphaned session removed');
    } catch (err) {
      log.warn({err: (err as Error).message, sessionID, callID}, 'removing an orphaned session failed');
    }
  }

  /** No node could run the call's media for the whole handler wait: the call ends for everyone. */
  async abandoned(callID: string, channelID: string, reason: string): Promise<void> {
    const {d, log} = this.#c;
    try {
      const ended = await d.lock.withLock(channelID, async () => {
        const call = await d.store.calls.getCall(callID);
        if (!call || call.endAt > 0) return false;
        await this.endCall(callID);
        return true;
      });
      if (!ended) return;
      this.#c.pub.toChannel('call_end', {}, channelID);
      log.warn({callID, channelID, reason}, 'call ended: no node could run its media');
    } catch (err) {
      log.warn({err: (err as Error).message, callID}, 'ending a call without media failed');
    }
  }
}
