// The call domain: start, join, leave, reconnect, end, and every per-session action, following the
// upstream lifecycle (reference §3.2, §3.6, §3.7, §7.2). Every state change runs as
// "lock, reload, mutate, save, unlock" under the per-call lock. Media goes through the MediaRouter,
// so this code is the same in every mode.
import type {Clock} from '../clock';
import type {ConfigService} from '../config/service';
import type {MediaRouter} from '../cluster/types';
import {AppError, badRequest, forbidden, notFound, toAppError} from '../errors';
import {newId} from '../ids';
import type {Logger} from '../log';
import type {Channel, Platform} from '../platform/types';
import type {RtcSignal} from '../rtc/types';
import type {Call, CallSession, CallsChannel, Store} from '../store';
import type {CallLock} from './lock';
import * as A from './actions';
import {type JoinCaps, JoinLimiter} from './join-limits';
import {createCallPost, endCallPost} from './post';
import {CallsPublisher} from './publish';
import {unpackSDPData} from './sdp';
import {clientCallState, computeHost} from './state';

export interface CallsTimings {
  /** Grace after a websocket drop before the session is removed (upstream 10 s). */
  reconnectGraceMs: number;
  /** Delay between a host ending the call and force-closing remaining sessions (upstream 5 s). */
  hostEndForceCloseMs: number;
  /** Delay between a host removing a session and force-closing it (upstream 3 s). */
  hostRemoveForceCloseMs: number;
}

export type HostAction = 'make' | 'mute' | 'mute-others' | 'screen-off' | 'lower-hand' | 'remove';

export const DEFAULT_TIMINGS: CallsTimings = {reconnectGraceMs: 10_000, hostEndForceCloseMs: 5_000, hostRemoveForceCloseMs: 3_000};

/** The websocket connection an action came from. */
export interface ConnContext {
  connID: string;
  userID: string;
}

export interface CallsServiceDeps {
  store: Store;
  platform: Platform;
  config: ConfigService;
  media: MediaRouter;
  lock: CallLock;
  publisher: CallsPublisher;
  clock: Clock;
  logger: Logger;
  /** Whether a websocket connection is currently open on this node. */
  isConnOpen: (connID: string) => boolean;
  timings?: Partial<CallsTimings>;
  /** Per-user join limits (config/limits.ts); none when absent. */
  joinLimits?: JoinCaps;
  /** Calls outside DMs allowed on an unlicensed server (MM_CALLS_GROUP_CALLS_ALLOWED, config/env.ts). */
  groupCallsAllowed?: boolean;
  /** Observes every ICE candidate pair metric a client reports (metrics module). */
  onICEPairMetric?: (m: {state: string; local_type: string; local_protocol: string; remote_type: string; remote_protocol: string}) => void;
}

/** This node's view of a call session whose websocket it holds. */
interface LocalSession {
  readonly sessionID: string;
  readonly userID: string;
  readonly channelID: string;
  readonly callID: string;
  /** Snapshot used to route media messages; refreshed when the call moves. */
  call: Call;
  /** The current websocket connection id (changes on reconnect). */
  connID: string;
  graceTimer?: NodeJS.Timeout;
  leaving: boolean;
}

const unixSeconds = (ms: number) => Math.floor(ms / 1000);

export class CallsService {
  readonly #d: CallsServiceDeps;
  readonly #log: Logger;
  readonly #timings: CallsTimings;
  readonly #pub: CallsPublisher;
  readonly #sessions = new Map<string, LocalSession>();
  readonly #byConn = new Map<string, string>();
  readonly #joining = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #limits: JoinLimiter;
  #closed = false;

  constructor(deps: CallsServiceDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({module: 'calls'});
    this.#timings = {...DEFAULT_TIMINGS, ...deps.timings};
    this.#pub = deps.publisher;
    this.#limits = new JoinLimiter(deps.joinLimits ?? {sessionsPerUserPerCall: 0, joinsPerSecondPerUser: 0, joinBurstPerUser: 0}, () => deps.clock.now());
    deps.media.on('signal', (sid, sig) => this.#onSignal(sid, sig));
    deps.media.on('voice', (sid, on) => void this.#onVoice(sid, on));
    deps.media.on('close', (sid, reason) => this.#onMediaClose(sid, reason));
    deps.media.on('rejected', (sid, err, fatal) => this.#onMediaRejected(sid, err, fatal));
    deps.media.on('restart', (sid, reason) => this.#onMediaRestart(sid, reason));
    deps.media.on('detach', (sid) => this.#onDetach(sid));
    deps.media.on('orphan', (sid, callID, channelID) => void this.#onOrphan(sid, callID, channelID));
    deps.media.on('unavailable', (sid, reason) => this.#onMediaUnavailable(sid, reason));
    deps.media.on('abandoned', (callID, channelID, reason) => void this.#onAbandoned(callID, channelID, reason));
  }

  /** Number of call sessions whose websocket this node holds. */
  get localSessionCount(): number {
    return this.#sessions.size;
  }

  // ------------------------------------------------------------------ websocket entry points

  /** Dispatches one calls action (the suffix after custom_com.mattermost.calls_). Never throws. */
  async handleAction(conn: ConnContext, action: string, data: Record<string, unknown>): Promise<void> {
    try {
      if (!A.CALLS_ACTIONS.has(action)) throw badRequest('app.calls.ws.unknown_action', `unknown calls action: ${action}`);
      switch (action) {
        case 'join':
          return await this.#join(conn, data);
        case 'leave':
          return await this.#leaveByConn(conn.connID);
        case 'reconnect':
          return await this.#reconnect(conn, data);
        case 'call_state':
          return await this.#callStateRequest(conn, data);
        case 'ping':
          return;
      }
      const local = this.#localByConn(conn.connID);
      if (!local) {
        // Upstream drops actions of connections without a session silently; say why in the log.
        this.#log.debug({connID: conn.connID, action}, 'action without a call session dropped');
        return;
      }
      await this.#sessionAction(local, action, data);
    } catch (err) {
      const e = toAppError(err);
      if (e.status >= 500) this.#log.error({err: e.message, details: e.details, action, connID: conn.connID}, 'calls action failed');
      else this.#log.info({err: e.message, action, connID: conn.connID}, 'calls action refused');
      // No connID: the official client treats an `error` carrying its connID as a fatal join error.
      this.#pub.toConn('error', {data: e.message, id: e.id}, conn.connID);
    }
  }

  /** The websocket of this connection closed; the session (if any) gets the reconnect grace. */
  handleDisconnect(connID: string): void {
    const local = this.#localByConn(connID);
    if (!local || local.leaving) return;
    this.#startGrace(local);
  }

  /** The login behind this connection is no longer valid: remove its session at once. */
  handleAuthRevoked(connID: string): void {
    const local = this.#localByConn(connID);
    if (local) void this.#leave(local, 'auth session expired');
  }

  /** A user left or was removed from a channel: their sessions in its call end (reference §7.4 UserHasLeftChannel). */
  handleChannelMemberRemoved(channelID: string, userID: string): void {
    for (const local of [...this.#sessions.values()]) {
      if (local.channelID !== channelID || local.userID !== userID) continue;
      void this.#leave(local, 'user left the channel').then(() => {
        this.#pub.toUser('user_left', {user_id: userID, session_id: local.sessionID}, userID, channelID);
      });
    }
  }

  // ------------------------------------------------------------------ HTTP entry points

  async getActiveCall(channelID: string): Promise<Call | null> {
    return this.#d.store.calls.getActiveCallByChannel(channelID);
  }

  /** The client call state of the channel's active call, or null. */
  async callState(channelID: string, forUserID: string) {
    const call = await this.getActiveCall(channelID);
    if (!call) return null;
    const [sessions, jobs] = await Promise.all([this.#d.store.calls.getSessions(call.id), this.#d.store.calls.getActiveJobs(call.id)]);
    return clientCallState(call, sessions, jobs, forUserID);
  }

  /** Host "end call for everyone" (POST /calls/{channel}/end and /host/end). */
  async endCallByHost(requesterID: string, channelID: string): Promise<void> {
    const call = await this.#hostCall(requesterID, channelID);
    this.#pub.toChannel('call_end', {}, channelID);
    this.#after(this.#timings.hostEndForceCloseMs, () => this.#forceEnd(channelID, call.id));
  }

  /**
   * Host controls (reference §8.1): the requester must be the host or a system admin. The target client
   * acts on host_mute / host_screen_off / host_lower_hand itself; removal is enforced after a grace.
   */
  async hostControl(requesterID: string, channelID: string, action: HostAction, target: {session_id?: string; new_host_id?: string}): Promise<void> {
    const call = await this.#hostCall(requesterID, channelID);
    const sessions = await this.#d.store.calls.getSessions(call.id);
    const userIDs = sessions.map((s) => s.userId);
    const targetSession = () => {
      const s = sessions.find((x) => x.id === target.session_id);
      if (!s) throw badRequest('app.calls.host.not_in_call', 'requested session or user is not in the call');
      return s;
    };
    switch (action) {
      case 'make': {
        const newHost = target.new_host_id ?? '';
        if (!userIDs.includes(newHost)) throw badRequest('app.calls.host.not_in_call', 'requested session or user is not in the call');
        const user = await this.#d.platform.getUser(newHost);
        if (user?.is_bot) throw badRequest('app.calls.host.bot', 'not allowed to make a bot the host');
        await this.#d.lock.withLock(channelID, async () => {
          const fresh = await this.#d.store.calls.getCall(call.id);
          if (!fresh || fresh.endAt > 0) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
          const changed = fresh.props.hosts?.[0] !== newHost;
          fresh.props.hosts = [newHost];
          fresh.props.host_locked_user_id = newHost;
          await this.#d.store.calls.updateCall(fresh);
          if (changed) this.#pub.toParticipants('call_host_changed', {hostID: newHost, call_id: call.id}, channelID, userIDs);
        });
        return;
      }
      case 'mute': {
        const s = targetSession();
        if (s.unmuted) this.#pub.toUser('host_mute', {channel_id: channelID, session_id: s.id}, s.userId, channelID);
        return;
      }
      case 'mute-others':
        for (const s of sessions) {
          if (s.unmuted && s.userId !== requesterID) this.#pub.toUser('host_mute', {channel_id: channelID, session_id: s.id}, s.userId, channelID);
        }
        return;
      case 'screen-off': {
        const s = targetSession();
        if (call.props.screen_sharing_session_id !== s.id) throw badRequest('app.calls.host.not_sharing', 'not allowed: the session is not sharing its screen');
        this.#pub.toUser('host_screen_off', {channel_id: channelID, session_id: s.id}, s.userId, channelID);
        return;
      }
      case 'lower-hand': {
        const s = targetSession();
        if (!s.raisedHand) throw badRequest('app.calls.host.hand_not_raised', 'not allowed: the hand is not raised');
        this.#pub.toUser('host_lower_hand', {call_id: call.id, channel_id: channelID, session_id: s.id, host_id: requesterID}, s.userId, channelID);
        return;
      }
      case 'remove': {
        const s = targetSession();
        this.#pub.toParticipants('host_removed', {call_id: call.id, channel_id: channelID, session_id: s.id, user_id: s.userId}, channelID, userIDs);
        this.#after(this.#timings.hostRemoveForceCloseMs, async () => {
          const still = await this.#d.store.calls.getSession(s.id);
          if (!still) return;
          const local = this.#sessions.get(s.id);
          if (local) await this.#leave(local, 'removed by host');
          else await this.#d.media.closeSession(call, s.id);
        });
        return;
      }
    }
  }

  /** The active call of a channel, if the requester may control it. */
  async #hostCall(requesterID: string, channelID: string): Promise<Call> {
    const call = await this.getActiveCall(channelID);
    if (!call) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
    const isHost = call.props.hosts?.[0] === requesterID;
    if (!isHost && !(await this.#d.platform.isSystemAdmin(requesterID))) {
      throw badRequest('app.calls.no_permissions', 'no permissions', {requesterID, channelID});
    }
    return call;
  }

  async dismissNotification(userID: string, channelID: string): Promise<void> {
    const callID = await this.#d.lock.withLock(channelID, async () => {
      const call = await this.getActiveCall(channelID);
      if (!call) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      call.props.dismissed_notification = {...call.props.dismissed_notification, [userID]: true};
      await this.#d.store.calls.updateCall(call);
      return call.id;
    });
    this.#pub.toUser('user_dismissed_notification', {userID, callID}, userID);
  }

  /** Ends every active call this node hosts (shutdown): posts updated, sessions removed, media closed. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const local of this.#sessions.values()) clearTimeout(local.graceTimer);
    const calls = await this.#d.store.calls.listActiveCalls();
    for (const call of calls) {
      const hasLocal = [...this.#sessions.values()].some((s) => s.callID === call.id);
      // The media layer knows whether another node can carry the call on.
      if (await this.#d.media.endAtShutdown(call, hasLocal)) await this.#endAtOnce(call, 'shutdown');
    }
    this.#sessions.clear();
    this.#byConn.clear();
  }

  /**
   * At start, before any websocket: the calls still active in the store were left by a previous run (a
   * crash, a stop that could not end them) or by nodes gone meanwhile. Those the media layer cannot carry
   * on end now (posts updated); the others go on, and their sessions that do not come back within the
   * reconnect grace are removed (`orphan`), ending the call when none is left.
   */
  async resumeAtStart(): Promise<void> {
    for (const call of await this.#d.store.calls.listActiveCalls()) {
      if (await this.#d.media.endAtStart(call)) await this.#endAtOnce(call, 'start');
    }
  }

  async #endAtOnce(call: Call, when: 'start' | 'shutdown'): Promise<void> {
    try {
      await this.#d.lock.withLock(call.channelId, () => this.#endCall(call.id));
      // Participants whose websockets are on other nodes stay connected: tell them the call is over.
      this.#pub.toChannel('call_end', {}, call.channelId);
    } catch (err) {
      this.#log.warn({err: (err as Error).message, callID: call.id}, `could not end call at ${when}`);
    }
  }

  // ------------------------------------------------------------------ join

  async #join(conn: ConnContext, data: Record<string, unknown>): Promise<void> {
    const {connID, userID} = conn;
    try {
      if (this.#closed) throw new AppError('app.calls.shutting_down', 'server is shutting down', 503);
      if (this.#byConn.has(connID) || this.#joining.has(connID)) throw badRequest('app.calls.session_already_connected', 'session is already connected');
      const msg = A.parseAction('join', A.joinSchema, data);
      // Before any lock or store work: a user's join storm costs the server next to nothing.
      this.#limits.takeJoin(userID);
      this.#joining.add(connID);
      const channel = await this.#d.platform.getChannel(msg.channelID);
      if (!channel) throw notFound('app.calls.channel_not_found', 'channel not found');
      if (!(await this.#d.platform.hasChannelPermission(userID, channel.id, 'create_post'))) {
        throw forbidden('app.calls.join.forbidden', 'forbidden', {userID, channelID: channel.id});
      }
      if (channel.delete_at > 0) throw badRequest('app.calls.join.archived_channel', 'cannot join call in archived channel');
      const threadID = msg.threadID ?? '';
      if (threadID) await this.#checkThread(threadID, channel.id);

      const {call, sessions} = await this.#d.lock.withLock(channel.id, () =>
        this.#addSession(channel, userID, connID, msg.title ?? '', threadID));

      const local: LocalSession = {sessionID: connID, userID, channelID: channel.id, callID: call.id, call, connID, leaving: false};
      this.#sessions.set(connID, local);
      this.#byConn.set(connID, connID);
      try {
        await this.#d.media.initSession(call, {
          sessionID: connID, userID, callID: call.id, channelID: channel.id,
          av1Support: Boolean(msg.av1Support), dcSignaling: Boolean(msg.dcSignaling) && this.#d.config.get().EnableDCSignaling,
        });
      } catch (err) {
        await this.#leave(local, 'rtc init failed');
        // Cluster errors (no handler node, node unavailable) say what is wrong; keep them. Logged once, below.
        if (err instanceof AppError && err.id.startsWith('app.calls.')) throw err;
        throw new AppError('app.calls.rtc_init_failed', 'failed to start the media session', 500,
          {cause: (err as Error).message, sessionID: connID, callID: call.id});
      }
      this.#pub.toConn('join', {connID}, connID);
      this.#pub.toChannel('user_joined', {user_id: userID, session_id: connID}, channel.id);
      const jobs = await this.#d.store.calls.getActiveJobs(call.id);
      this.#pub.toUser('call_state', {channel_id: channel.id, call: JSON.stringify(clientCallState(call, sessions, jobs, userID))}, userID, channel.id);
      this.#log.info({callID: call.id, channelID: channel.id, userID, sessionID: connID}, 'session joined');
      // The socket may have closed while we were joining (upstream's race guard).
      if (!this.#d.isConnOpen(connID)) this.#startGrace(local);
    } catch (err) {
      const e = toAppError(err);
      if (e.status >= 500) this.#log.error({err: e.message, details: e.details, connID, userID}, 'join failed');
      else this.#log.info({err: e.message, connID, userID}, 'join refused');
      this.#pub.toConn('error', {data: e.message, connID, id: e.id}, connID);
    } finally {
      this.#joining.delete(connID);
    }
  }

  async #checkThread(threadID: string, channelID: string): Promise<void> {
    const post = await this.#d.platform.getPost(threadID);
    if (!post || post.channel_id !== channelID) throw forbidden('app.calls.join.thread_forbidden', 'forbidden');
    if (post.delete_at > 0) throw badRequest('app.calls.join.thread_deleted', 'thread is deleted');
    if (post.root_id) throw badRequest('app.calls.join.thread_not_root', 'thread is not a root post');
  }

  /** Start rules (reference §3.2 userCanStartOrJoin); only apply to starting a call. */
  async #checkCanStart(userID: string, channel: Channel): Promise<void> {
    const license = this.#d.platform.license();
    const groupAllowed = license.professional || Boolean(this.#d.groupCallsAllowed);
    if (channel.type !== 'D' && !groupAllowed) {
      await this.#d.platform.sendEphemeralPost(userID, channel.id, 'Unlicensed servers only allow calls in DMs.');
      throw forbidden('app.calls.unlicensed_group_call', 'unlicensed servers only allow calls in DMs');
    }
    const row: CallsChannel | null = await this.#d.store.calls.getChannel(channel.id);
    if (row && !row.enabled) throw forbidden('app.calls.channel_disabled', 'calls are disabled in the channel');
    if (row?.enabled || this.#d.config.get().DefaultEnabled) return;
    if (await this.#d.platform.isSystemAdmin(userID)) return;
    throw forbidden('app.calls.insufficient_permissions', 'insufficient permissions');
  }

  /** Under the call lock: creates the call if needed and adds the session (reference §3.2 addUserSession). */
  async #addSession(channel: Channel, userID: string, sessionID: string, title: string, threadID: string) {
    const store = this.#d.store.calls;
    const now = this.#d.clock.now();
    let call = await store.getActiveCallByChannel(channel.id);
    const starting = !call;
    if (!call) {
      await this.#checkCanStart(userID, channel);
      call = {
        id: newId(), channelId: channel.id, startAt: now, endAt: 0, createAt: now, deleteAt: 0, title, postId: '',
        threadId: '', ownerId: userID, participants: [],
        stats: {screen_duration: 0, video_duration: 0, has_used_video: false, has_used_screen_share: false},
        props: {node_id: await this.#d.media.nodeForNewCall()},
      };
    }
    const sessions = starting ? [] : await store.getSessions(call.id);
    if (sessions.some((s) => s.id === sessionID)) throw badRequest('app.calls.session_already_connected', 'session is already connected');
    this.#limits.checkSessions(userID, sessions);
    const max = this.#d.config.get().MaxCallParticipants;
    if (max > 0 && sessions.length >= max) throw forbidden('app.calls.limit_reached', 'user cannot join because of limits', {max});

    const session: CallSession = {id: sessionID, callId: call.id, userId: userID, joinAt: now, unmuted: false, raisedHand: 0, video: false};
    sessions.push(session);
    const prevHost = call.props.hosts?.[0] ?? '';
    const host = computeHost(call, sessions);
    call.props.hosts = host ? [host] : null;
    call.props.participants = {...call.props.participants, [userID]: {}};
    if (starting) await store.createCall(call);
    else await store.updateCall(call);
    await store.createSession(session);
    const userIDs = sessions.map((s) => s.userId);
    if (host !== prevHost) this.#pub.toParticipants('call_host_changed', {hostID: host, call_id: call.id}, channel.id, userIDs);

    if (starting) {
      const starter = await this.#d.platform.getUser(userID);
      const post = await createCallPost(this.#d.platform, call, starter, title, threadID);
      call.postId = post.id;
      call.threadId = threadID || post.id;
      await store.updateCall(call);
      if (!this.#d.config.get().DefaultEnabled && (await this.#d.platform.isSystemAdmin(userID))) {
        await this.#d.platform.sendEphemeralPost(userID, channel.id,
          'Currently calls are not enabled for non-admin users. You can change the setting through the system console', call.threadId);
      }
      this.#pub.toChannel('call_start', {
        id: call.id, channelID: channel.id, start_at: call.startAt, thread_id: call.threadId, post_id: call.postId,
        owner_id: call.ownerId, host_id: host,
      }, channel.id);
      this.#log.info({callID: call.id, channelID: channel.id, ownerID: userID}, 'call started');
    }
    return {call, sessions};
  }

  // ------------------------------------------------------------------ leave, grace, reconnect

  #localByConn(connID: string): LocalSession | undefined {
    const sid = this.#byConn.get(connID);
    return sid ? this.#sessions.get(sid) : undefined;
  }

  #startGrace(local: LocalSession): void {
    clearTimeout(local.graceTimer);
    local.graceTimer = setTimeout(() => {
      local.graceTimer = undefined;
      void this.#leave(local, 'websocket reconnect timeout');
    }, this.#timings.reconnectGraceMs);
  }

  async #leaveByConn(connID: string): Promise<void> {
    const local = this.#localByConn(connID);
    if (local) await this.#leave(local, 'left');
  }

  /** Tears a session down: media closed, row removed, events sent, call ended if it was the last. Idempotent. */
  async #leave(local: LocalSession, reason: string): Promise<void> {
    if (local.leaving) return;
    local.leaving = true;
    clearTimeout(local.graceTimer);
    this.#sessions.delete(local.sessionID);
    if (this.#byConn.get(local.connID) === local.sessionID) this.#byConn.delete(local.connID);
    try {
      await this.#d.media.closeSession(local.call, local.sessionID);
    } catch (err) {
      this.#log.warn({err: (err as Error).message, sessionID: local.sessionID}, 'closing rtc session failed');
    }
    try {
      await this.#d.lock.withLock(local.channelID, () => this.#removeSession(local.callID, local.sessionID));
      this.#log.info({sessionID: local.sessionID, callID: local.callID, reason}, 'session left');
    } catch (err) {
      this.#log.error({err: (err as Error).message, sessionID: local.sessionID, callID: local.callID}, 'removing session failed');
    }
  }

  /** Under the call lock (reference §3.7 removeSession). */
  async #removeSession(callID: string, sessionID: string): Promise<void> {
    const store = this.#d.store.calls;
    const call = await store.getCall(callID);
    const session = await store.getSession(sessionID);
    if (!call || call.endAt > 0 || !session) return;
    await store.deleteSession(sessionID);
    const sessions = await store.getSessions(callID);
    const userIDs = [session.userId, ...sessions.map((s) => s.userId)];
    const now = this.#d.clock.now();
    if (call.props.screen_sharing_session_id === sessionID) {
      this.#stopScreen(call, now);
      // Upstream sends this one with empty data when the sharer's session goes away.
      this.#pub.toParticipants('user_screen_off', {}, call.channelId, userIDs);
    }
    if (session.video) {
      this.#stopVideo(call, sessionID, now);
      this.#pub.toParticipants('user_video_off', {userID: session.userId, session_id: sessionID}, call.channelId, userIDs);
    }
    this.#pub.toChannel('user_left', {user_id: session.userId, session_id: sessionID}, call.channelId);
    if (sessions.length === 0) {
      await store.updateCall(call);
      await this.#endCall(callID);
      return;
    }
    const prevHost = call.props.hosts?.[0] ?? '';
    const host = computeHost(call, sessions);
    call.props.hosts = host ? [host] : null;
    await store.updateCall(call);
    if (host !== prevHost) this.#pub.toParticipants('call_host_changed', {hostID: host, call_id: call.id}, call.channelId, sessions.map((s) => s.userId));
  }

  /** Under the call lock: marks the call ended, deletes its sessions, ends jobs, updates the post (cleanCallState). */
  async #endCall(callID: string): Promise<void> {
    const store = this.#d.store.calls;
    const call = await store.getCall(callID);
    if (!call || call.endAt > 0) return;
    const now = this.#d.clock.now();
    if (call.props.screen_sharing_session_id) this.#stopScreen(call, now);
    for (const sid of Object.keys(call.props.video_start_at ?? {})) this.#stopVideo(call, sid, now);
    call.endAt = now;
    call.participants = Object.keys(call.props.participants ?? {});
    const {rtcd_host: _r, dismissed_notification: _d, node_id: _n, hosts: _h, participants: _p, media_unavailable_at: _m, ...rest} = call.props;
    call.props = rest;
    await store.updateCall(call);
    await store.deleteSessionsByCall(callID);
    for (const job of await store.getActiveJobs(callID)) {
      job.endAt = now;
      await store.updateJob(job);
    }
    try {
      await endCallPost(this.#d.platform, call);
    } catch (err) {
      this.#log.warn({err: (err as Error).message, callID}, 'updating the call post failed');
    }
    this.#log.info({callID, channelID: call.channelId, durationMs: call.endAt - call.startAt}, 'call ended');
  }

  async #forceEnd(channelID: string, callID: string): Promise<void> {
    for (const local of [...this.#sessions.values()]) {
      if (local.callID === callID) await this.#leave(local, 'call ended by host');
    }
    const call = await this.#d.store.calls.getCall(callID);
    if (!call || call.endAt > 0) return;
    // Sessions held by other nodes: close their media; then end the call whatever remains.
    for (const s of await this.#d.store.calls.getSessions(callID)) {
      await this.#d.media.closeSession(call, s.id).catch(() => undefined);
    }
    await this.#d.lock.withLock(channelID, () => this.#endCall(callID));
  }

  async #reconnect(conn: ConnContext, data: Record<string, unknown>): Promise<void> {
    const msg = A.parseAction('reconnect', A.reconnectSchema, data);
    if (!(await this.#d.platform.hasChannelPermission(conn.userID, msg.channelID, 'create_post'))) {
      throw forbidden('app.calls.reconnect.forbidden', 'forbidden');
    }
    const local = this.#sessions.get(msg.originalConnID);
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
    if (local.connID !== conn.connID) {
      if (this.#byConn.get(local.connID) === local.sessionID) this.#byConn.delete(local.connID);
      local.connID = conn.connID;
      this.#byConn.set(conn.connID, local.sessionID);
    }
    this.#log.info({sessionID: local.sessionID, connID: conn.connID, prevConnID: msg.prevConnID}, 'session reconnected');
    // The socket may have closed while we were reconnecting: without a grace the session would stay forever.
    if (!this.#d.isConnOpen(conn.connID)) this.#startGrace(local);
  }

  /** A reconnect for a session this node does not hold (its websocket moved here, or this node restarted): take it over. */
  async #adopt(conn: ConnContext, msg: {channelID: string; originalConnID: string; prevConnID: string}): Promise<void> {
    const session = await this.#d.store.calls.getSession(msg.originalConnID);
    const call = session ? await this.#d.store.calls.getCall(session.callId) : null;
    if (!session || !call || call.endAt > 0 || session.userId !== conn.userID || call.channelId !== msg.channelID || this.#byConn.has(conn.connID)) {
      throw badRequest('app.calls.reconnect.no_session', 'session not found for reconnect');
    }
    // Another reconnect of the same session got here first (two sockets of one client): it holds the session.
    const current = this.#sessions.get(session.id);
    if (current) return this.#rebind(current, conn, msg);
    const local: LocalSession = {sessionID: session.id, userID: conn.userID, channelID: call.channelId, callID: call.id, call, connID: conn.connID, leaving: false};
    this.#sessions.set(local.sessionID, local);
    this.#byConn.set(conn.connID, local.sessionID);
    try {
      await this.#d.media.adoptSession(call, local.sessionID);
    } catch (err) {
      if (this.#sessions.get(local.sessionID) === local) this.#sessions.delete(local.sessionID);
      if (this.#byConn.get(conn.connID) === local.sessionID) this.#byConn.delete(conn.connID);
      throw err;
    }
    this.#log.info({sessionID: local.sessionID, connID: conn.connID, prevConnID: msg.prevConnID}, 'session adopted (its websocket came back on this node)');
    if (!this.#d.isConnOpen(conn.connID)) this.#startGrace(local);
  }

  async #callStateRequest(conn: ConnContext, data: Record<string, unknown>): Promise<void> {
    const msg = A.parseAction('call_state', A.callStateSchema, data);
    if (!(await this.#d.platform.hasChannelPermission(conn.userID, msg.channelID, 'read_channel'))) {
      throw forbidden('app.calls.call_state.forbidden', 'forbidden');
    }
    const state = await this.#d.lock.withLock(msg.channelID, () => this.callState(msg.channelID, conn.userID));
    if (!state) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
    this.#pub.toConn('call_state', {channel_id: msg.channelID, channelID: msg.channelID, call: JSON.stringify(state)}, conn.connID);
  }

  // ------------------------------------------------------------------ per-session actions

  async #sessionAction(local: LocalSession, action: string, data: Record<string, unknown>): Promise<void> {
    const media = this.#d.media;
    const sessionID = local.sessionID;
    switch (action) {
      case 'sdp': {
        const {data: bytes} = A.parseAction('sdp', A.sdpSchema, data);
        const desc = A.parseJsonField('sdp', A.sessionDescriptionSchema, unpackSDPData(bytes));
        media.send(local.call, {sessionID, type: 'sdp', data: desc});
        return;
      }
      case 'ice': {
        const {data: raw} = A.parseAction('ice', A.stringDataSchema, data);
        const cand = A.parseJsonField('ice', A.iceCandidateSchema, raw);
        media.send(local.call, {sessionID, type: 'ice', data: cand});
        return;
      }
      case 'mute':
      case 'unmute': {
        const unmuted = action === 'unmute';
        media.send(local.call, {sessionID, type: action});
        await this.#updateSession(local, (s) => (s.unmuted = unmuted), (userIDs) =>
          this.#pub.toParticipants(unmuted ? 'user_unmuted' : 'user_muted', {userID: local.userID, session_id: sessionID}, local.channelID, userIDs));
        return;
      }
      case 'raise_hand':
      case 'unraise_hand': {
        const raised = action === 'raise_hand' ? this.#d.clock.now() : 0;
        await this.#updateSession(local, (s) => (s.raisedHand = raised), (userIDs) =>
          this.#pub.toParticipants(raised ? 'user_raise_hand' : 'user_unraise_hand', {userID: local.userID, session_id: sessionID, raised_hand: raised}, local.channelID, userIDs));
        return;
      }
      case 'screen_on':
        return this.#screenOn(local, data);
      case 'screen_off':
        return this.#screenOff(local);
      case 'video_on':
      case 'video_off':
        return this.#video(local, action === 'video_on', data);
      case 'react': {
        const {data: raw} = A.parseAction('react', A.stringDataSchema, data);
        const emoji = A.parseJsonField('react', A.reactionSchema, raw);
        const userIDs = await this.#participantIDs(local.callID);
        this.#pub.toParticipants('user_reacted', {
          user_id: local.userID, session_id: sessionID, timestamp: this.#d.clock.now(),
          emoji: {name: emoji.name, skin: emoji.skin, unified: emoji.unified, literal: emoji.literal},
        }, local.channelID, userIDs);
        return;
      }
      case 'metric': {
        const m = A.parseAction('metric', A.metricSchema, data);
        if (m.metric_name !== 'client_ice_candidate_pair') throw badRequest('app.calls.ws.invalid_metric', `invalid metric message: unknown metric ${m.metric_name}`);
        const pair = A.parseJsonField('metric', A.iceCandidatePairSchema, m.data ?? '');
        this.#d.onICEPairMetric?.({state: pair.state, local_type: pair.local.type, local_protocol: pair.local.protocol, remote_type: pair.remote.type, remote_protocol: pair.remote.protocol});
        return;
      }
      case 'caption':
        // Captions come only from the transcriber bot, which this build does not run.
        this.#log.debug({sessionID}, 'caption from a non-bot session ignored');
        return;
      case 'voice_on':
      case 'voice_off':
        throw badRequest('app.calls.ws.invalid_action', `${action} is detected by the server, not sent by clients`);
    }
  }

  /** Lock, reload the session, mutate, save, then announce to the participants. */
  async #updateSession(local: LocalSession, mutate: (s: CallSession) => void, announce: (userIDs: string[]) => void): Promise<void> {
    await this.#d.lock.withLock(local.channelID, async () => {
      const s = await this.#d.store.calls.getSession(local.sessionID);
      if (!s) return;
      mutate(s);
      await this.#d.store.calls.updateSession(s);
      announce((await this.#d.store.calls.getSessions(local.callID)).map((x) => x.userId));
    });
  }

  async #screenOn(local: LocalSession, data: Record<string, unknown>): Promise<void> {
    const {data: raw} = A.parseAction('screen_on', A.stringDataSchema, data);
    const {screenStreamID} = A.parseJsonField('screen_on', A.screenOnSchema, raw);
    if (!this.#d.config.get().AllowScreenSharing) throw forbidden('app.calls.screen_sharing_disabled', 'screen sharing is not allowed');
    await this.#d.lock.withLock(local.channelID, async () => {
      const call = await this.#d.store.calls.getCall(local.callID);
      if (!call || call.endAt > 0) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      const sharer = call.props.screen_sharing_session_id;
      if (sharer && sharer !== local.sessionID) throw forbidden('app.calls.screen_already_shared', 'another session is already sharing its screen');
      call.props.screen_sharing_session_id = local.sessionID;
      call.props.screen_stream_id = screenStreamID;
      call.props.screen_start_at = unixSeconds(this.#d.clock.now());
      call.stats.has_used_screen_share = true;
      await this.#d.store.calls.updateCall(call);
      this.#d.media.send(local.call, {sessionID: local.sessionID, type: 'screen_on', data: {screenStreamID}});
      const userIDs = (await this.#d.store.calls.getSessions(call.id)).map((s) => s.userId);
      this.#pub.toParticipants('user_screen_on', {userID: local.userID, session_id: local.sessionID}, local.channelID, userIDs);
    });
  }

  async #screenOff(local: LocalSession): Promise<void> {
    await this.#d.lock.withLock(local.channelID, async () => {
      const call = await this.#d.store.calls.getCall(local.callID);
      if (!call || call.endAt > 0) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      if (call.props.screen_sharing_session_id !== local.sessionID) throw forbidden('app.calls.not_sharing', 'this session is not sharing its screen');
      this.#stopScreen(call, this.#d.clock.now());
      await this.#d.store.calls.updateCall(call);
      this.#d.media.send(local.call, {sessionID: local.sessionID, type: 'screen_off'});
      const userIDs = (await this.#d.store.calls.getSessions(call.id)).map((s) => s.userId);
      this.#pub.toParticipants('user_screen_off', {userID: local.userID, session_id: local.sessionID}, local.channelID, userIDs);
    });
  }

  async #video(local: LocalSession, on: boolean, data: Record<string, unknown>): Promise<void> {
    let videoStreamID = '';
    if (on) {
      const {data: raw} = A.parseAction('video_on', A.stringDataSchema, data);
      videoStreamID = A.parseJsonField('video_on', A.videoOnSchema, raw).videoStreamID;
    }
    await this.#d.lock.withLock(local.channelID, async () => {
      const call = await this.#d.store.calls.getCall(local.callID);
      const session = await this.#d.store.calls.getSession(local.sessionID);
      if (!call || call.endAt > 0 || !session) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      const now = this.#d.clock.now();
      if (on) {
        session.video = true;
        call.props.video_start_at = {...call.props.video_start_at, [local.sessionID]: unixSeconds(now)};
        call.stats.has_used_video = true;
        this.#d.media.send(local.call, {sessionID: local.sessionID, type: 'video_on', data: {videoStreamID}});
      } else {
        session.video = false;
        this.#stopVideo(call, local.sessionID, now);
        this.#d.media.send(local.call, {sessionID: local.sessionID, type: 'video_off'});
      }
      await this.#d.store.calls.updateSession(session);
      await this.#d.store.calls.updateCall(call);
      const userIDs = (await this.#d.store.calls.getSessions(call.id)).map((s) => s.userId);
      this.#pub.toParticipants(on ? 'user_video_on' : 'user_video_off', {userID: local.userID, session_id: local.sessionID}, local.channelID, userIDs);
    });
  }

  #stopScreen(call: Call, now: number): void {
    if (call.props.screen_start_at) call.stats.screen_duration += Math.max(0, unixSeconds(now) - call.props.screen_start_at);
    call.props.screen_sharing_session_id = '';
    call.props.screen_stream_id = '';
    call.props.screen_start_at = 0;
  }

  #stopVideo(call: Call, sessionID: string, now: number): void {
    const started = call.props.video_start_at?.[sessionID];
    if (started) call.stats.video_duration += Math.max(0, unixSeconds(now) - started);
    if (call.props.video_start_at) {
      const {[sessionID]: _gone, ...rest} = call.props.video_start_at;
      call.props.video_start_at = rest;
    }
  }

  async #participantIDs(callID: string): Promise<string[]> {
    return (await this.#d.store.calls.getSessions(callID)).map((s) => s.userId);
  }

  // ------------------------------------------------------------------ media events

  #onSignal(sessionID: string, sig: RtcSignal): void {
    const local = this.#sessions.get(sessionID);
    if (!local) return;
    const payload = sig.type === 'sdp' ? sig.data : {type: 'candidate', candidate: sig.data};
    this.#pub.toConn('signal', {data: JSON.stringify(payload), connID: sessionID}, local.connID);
  }

  async #onVoice(sessionID: string, on: boolean): Promise<void> {
    const local = this.#sessions.get(sessionID);
    if (!local) return;
    try {
      const userIDs = await this.#participantIDs(local.callID);
      this.#pub.toParticipants(on ? 'user_voice_on' : 'user_voice_off', {userID: local.userID, session_id: sessionID}, local.channelID, userIDs);
    } catch (err) {
      this.#log.warn({err: (err as Error).message, sessionID}, 'voice event failed');
    }
  }

  /**
   * The SFU refused this session's input (bad SDP or ICE, a bad data-channel message): only its client is
   * told, with the `error` event. A fatal refusal carries the connID, which the official client treats as
   * the end of its session — the SFU closes it and `close` removes it from the call.
   */
  #onMediaRejected(sessionID: string, err: AppError, fatal: boolean): void {
    const local = this.#sessions.get(sessionID);
    if (!local || local.leaving) return;
    this.#log.info({sessionID, errorId: err.id, fatal}, 'client input refused by the media server');
    const data = fatal ? {data: err.message, connID: sessionID, id: err.id} : {data: err.message, id: err.id};
    this.#pub.toConn('error', data, local.connID);
  }

  #onMediaClose(sessionID: string, reason: string): void {
    const local = this.#sessions.get(sessionID);
    if (local && !local.leaving) void this.#leave(local, `rtc closed: ${reason}`);
  }

  /**
   * The session's media was re-created on another node (its node died or left). Our own event,
   * `custom_com.mattermost.calls_rtc_reconnect` {channelID, call_id, session_id, reason}, to the
   * session's connection: the client closes its peer connection without leaving and negotiates a new
   * one over the same websocket session, as after `join` (the server restores mute and screen state).
   */
  #onMediaRestart(sessionID: string, reason: string): void {
    const local = this.#sessions.get(sessionID);
    if (!local || local.leaving) return;
    this.#pub.toConn('rtc_reconnect', {channelID: local.channelID, call_id: local.callID, session_id: sessionID, reason}, local.connID);
  }

  /**
   * No node may run the session's media now (single handler, no handler alive). Our own event,
   * `custom_com.mattermost.calls_rtc_unavailable` {channelID, call_id, session_id, reason}, to the
   * session's connection: the client keeps its place in the call and shows that it is reconnecting until
   * `rtc_reconnect` (a handler took the call over) or `call_end` (the handler wait ran out).
   */
  #onMediaUnavailable(sessionID: string, reason: string): void {
    const local = this.#sessions.get(sessionID);
    if (!local || local.leaving) return;
    this.#pub.toConn('rtc_unavailable', {channelID: local.channelID, call_id: local.callID, session_id: sessionID, reason}, local.connID);
  }

  /** No node could run the call's media for the whole handler wait: the call ends for everyone. */
  async #onAbandoned(callID: string, channelID: string, reason: string): Promise<void> {
    try {
      const ended = await this.#d.lock.withLock(channelID, async () => {
        const call = await this.#d.store.calls.getCall(callID);
        if (!call || call.endAt > 0) return false;
        await this.#endCall(callID);
        return true;
      });
      if (!ended) return;
      this.#pub.toChannel('call_end', {}, channelID);
      this.#log.warn({callID, channelID, reason}, 'call ended: no node could run its media');
    } catch (err) {
      this.#log.warn({err: (err as Error).message, callID}, 'ending a call without media failed');
    }
  }

  /** Another node took this session's websocket over: forget it without tearing anything down. */
  #onDetach(sessionID: string): void {
    const local = this.#sessions.get(sessionID);
    if (!local) return;
    local.leaving = true;
    clearTimeout(local.graceTimer);
    this.#sessions.delete(sessionID);
    if (this.#byConn.get(local.connID) === sessionID) this.#byConn.delete(local.connID);
    this.#log.info({sessionID}, 'session moved to another node');
  }

  /** A session nobody holds any more (its node died, its client never came back): remove it as a leave would. */
  async #onOrphan(sessionID: string, callID: string, channelID: string): Promise<void> {
    if (this.#sessions.has(sessionID)) return;
    try {
      const call = await this.#d.store.calls.getCall(callID);
      if (call) await this.#d.media.closeSession(call, sessionID).catch(() => undefined);
      await this.#d.lock.withLock(channelID, () => this.#removeSession(callID, sessionID));
      this.#log.info({sessionID, callID}, 'orphaned session removed');
    } catch (err) {
      this.#log.warn({err: (err as Error).message, sessionID, callID}, 'removing an orphaned session failed');
    }
  }

  #after(ms: number, fn: () => Promise<void>): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn().catch((err) => this.#log.error({err: (err as Error).message}, 'scheduled call task failed'));
    }, ms);
    this.#timers.add(t);
  }
}
