// The call domain's façade (reference §3.2, §3.6, §3.7, §7.2): websocket actions dispatched to their part,
// the HTTP entry points, media and platform events wired to the parts, start and shutdown. The parts share one context
// (context.ts): join.ts, sessions.ts (grace, reconnect, leave, end), host.ts, media-actions.ts and
// media-events.ts. Every state change runs as "lock, reload, mutate, save, unlock" under the per-call
// lock; media goes through the MediaRouter, so this code is the same in every mode.
import {badRequest, forbidden, toAppError} from '../errors';
import type {Call} from '../store';
import * as A from './actions';
import {CallsContext, type CallsServiceDeps, type ConnContext} from './context';
import {type HostAction, HostControls} from './host';
import {JoinFlow} from './join';
import {SessionActions} from './media-actions';
import {MediaEventRelay} from './media-events';
import {SessionLifecycle} from './sessions';
import {clientCallState} from './state';

export {type CallsServiceDeps, type CallsTimings, type ConnContext, DEFAULT_TIMINGS} from './context';
export type {HostAction} from './host';

export class CallsService {
  readonly #c: CallsContext;
  readonly #sessions: SessionLifecycle;
  readonly #join: JoinFlow;
  readonly #host: HostControls;
  readonly #actions: SessionActions;

  constructor(deps: CallsServiceDeps) {
    const c = (this.#c = new CallsContext(deps));
    const sessions = (this.#sessions = new SessionLifecycle(c));
    this.#join = new JoinFlow(c, sessions);
    this.#host = new HostControls(c, sessions);
    this.#actions = new SessionActions(c);
    const relay = new MediaEventRelay(c);
    deps.media.on('signal', (sid, sig) => relay.signal(sid, sig));
    deps.media.on('voice', (sid, on) => void relay.voice(sid, on));
    deps.media.on('rejected', (sid, err, fatal) => relay.rejected(sid, err, fatal));
    deps.media.on('restart', (sid, reason) => relay.restart(sid, reason));
    deps.media.on('unavailable', (sid, reason) => relay.unavailable(sid, reason));
    deps.media.on('close', (sid, reason) => sessions.mediaClosed(sid, reason));
    deps.media.on('detach', (sid) => sessions.detached(sid));
    deps.media.on('orphan', (sid, callID, channelID) => void sessions.orphaned(sid, callID, channelID));
    deps.media.on('abandoned', (callID, channelID, reason) => void sessions.abandoned(callID, channelID, reason));
    deps.platform.on('channelMemberRemoved', (channelID, userID) => void sessions.memberRemoved(channelID, userID));
    deps.platform.on('userDeactivated', (userID) => void sessions.userDeactivated(userID));
    deps.platform.on('channelDeleted', (channelID) => void sessions.channelDeleted(channelID));
  }

  /** Number of call sessions whose websocket this node holds. */
  get localSessionCount(): number {
    return this.#c.local.size;
  }

  // ------------------------------------------------------------------ websocket entry points

  /** Dispatches one calls action (the suffix after custom_com.mattermost.calls_). Never throws. */
  async handleAction(conn: ConnContext, action: string, data: Record<string, unknown>): Promise<void> {
    try {
      if (!A.CALLS_ACTIONS.has(action))
        throw badRequest('app.calls.ws.unknown_action', `unknown calls action: ${action}`);
      switch (action) {
        case 'join':
          return await this.#join.join(conn, data);
        case 'leave':
          return await this.#sessions.leaveByConn(conn.connID);
        case 'reconnect':
          return await this.#sessions.reconnect(conn, data);
        case 'call_state':
          return await this.#callStateRequest(conn, data);
        case 'ping':
          return;
      }
      const local = this.#c.local.byConn(conn.connID);
      if (!local) {
        // Upstream drops actions of connections without a session silently; say why in the log.
        this.#c.log.debug({connID: conn.connID, action}, 'action without a call session dropped');
        return;
      }
      await this.#actions.handle(local, action, data);
    } catch (err) {
      const e = toAppError(err);
      if (e.status >= 500)
        this.#c.log.error({err: e.message, details: e.details, action, connID: conn.connID}, 'calls action failed');
      else this.#c.log.info({err: e.message, action, connID: conn.connID}, 'calls action refused');
      // No connID: the official client treats an `error` carrying its connID as a fatal join error.
      this.#c.pub.toConn('error', {data: e.message, id: e.id}, conn.connID);
    }
  }

  /** The websocket of this connection closed; the session (if any) gets the reconnect grace. */
  handleDisconnect(connID: string): void {
    this.#sessions.disconnected(connID);
  }

  /** The login behind this connection is no longer valid: remove its session at once. */
  handleAuthRevoked(connID: string): void {
    this.#sessions.authRevoked(connID);
  }

  async #callStateRequest(conn: ConnContext, data: Record<string, unknown>): Promise<void> {
    const msg = A.parseAction('call_state', A.callStateSchema, data);
    if (!(await this.#c.d.platform.hasChannelPermission(conn.userID, msg.channelID, 'read_channel'))) {
      throw forbidden('app.calls.call_state.forbidden', 'forbidden');
    }
    const state = await this.#c.d.lock.withLock(msg.channelID, () => this.callState(msg.channelID, conn.userID));
    if (!state) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
    this.#c.pub.toConn(
      'call_state',
      {channel_id: msg.channelID, channelID: msg.channelID, call: JSON.stringify(state)},
      conn.connID,
    );
  }

  // ------------------------------------------------------------------ HTTP entry points

  async getActiveCall(channelID: string): Promise<Call | null> {
    return this.#c.d.store.calls.getActiveCallByChannel(channelID);
  }

  /** The client call state of the channel's active call, or null. */
  async callState(channelID: string, forUserID: string) {
    const call = await this.getActiveCall(channelID);
    if (!call) return null;
    const store = this.#c.d.store.calls;
    const [sessions, jobs] = await Promise.all([store.getSessions(call.id), store.getActiveJobs(call.id)]);
    return clientCallState(call, sessions, jobs, forUserID, await this.#c.botUserID());
  }

  /** Host "end call for everyone" (POST /calls/{channel}/end and /host/end). */
  endCallByHost(requesterID: string, channelID: string): Promise<void> {
    return this.#host.endCall(requesterID, channelID);
  }

  /** Host controls (host.ts): the requester must be the host or a system admin. */
  hostControl(
    requesterID: string,
    channelID: string,
    action: HostAction,
    target: {session_id?: string; new_host_id?: string},
  ): Promise<void> {
    return this.#host.control(requesterID, channelID, action, target);
  }

  async dismissNotification(userID: string, channelID: string): Promise<void> {
    const {d, pub} = this.#c;
    const callID = await d.lock.withLock(channelID, async () => {
      const call = await this.getActiveCall(channelID);
      if (!call) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      call.props.dismissed_notification = {...call.props.dismissed_notification, [userID]: true};
      await d.store.calls.updateCall(call);
      return call.id;
    });
    pub.toUser('user_dismissed_notification', {userID, callID}, userID);
  }

  // ------------------------------------------------------------------ start and shutdown

  /**
   * At start, before any websocket: the calls still active in the store were left by a previous run (a
   * crash, a stop that could not end them) or by nodes gone meanwhile. Those the media layer cannot carry
   * on end now (posts updated); the others go on, and their sessions that do not come back within the
   * reconnect grace are removed (`orphan`), ending the call when none is left.
   */
  resumeAtStart(): Promise<void> {
    return this.#sessions.resumeAtStart();
  }

  /** Ends every active call this node hosts (shutdown): posts updated, sessions removed, media closed. */
  async shutdown(): Promise<void> {
    this.#c.stop();
    await this.#sessions.shutdown();
  }
}
