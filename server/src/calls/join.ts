// Joining a call, and starting one when the channel has none (reference §3.2): the checks on the
// channel, thread and limits, the start rules, the session added under the call lock, the call post,
// the media session, and the events that tell the joiner and the channel.
import {AppError, badRequest, forbidden, notFound, toAppError} from '../errors';
import {newId} from '../ids';
import type {Channel} from '../platform/types';
import type {CallSession, CallsChannel} from '../store';
import * as A from './actions';
import type {CallsContext, ConnContext} from './context';
import type {LocalSession} from './local-sessions';
import {createCallPost} from './post';
import type {SessionLifecycle} from './sessions';
import {clientCallState, computeHost} from './state';

export class JoinFlow {
  constructor(
    private readonly c: CallsContext,
    private readonly sessions: SessionLifecycle,
  ) {}

  /** Never throws: a refusal is the joiner's `error` event, with its connID (a failed join, for the client). */
  async join(conn: ConnContext, data: Record<string, unknown>): Promise<void> {
    const {d, log, pub, local: sessions} = this.c;
    const {connID, userID} = conn;
    try {
      if (this.c.closed) throw new AppError('app.calls.shutting_down', 'server is shutting down', 503);
      if (sessions.carries(connID) || sessions.joining.has(connID))
        throw badRequest('app.calls.session_already_connected', 'session is already connected');
      const msg = A.parseAction('join', A.joinSchema, data);
      // A join for a job is the recorder's (reference §8.2 step 4): only the Calls bot, and the job is its permission.
      const jobID = msg.jobID ?? '';
      const botID = await this.c.botUserID();
      const isBot = Boolean(botID) && userID === botID;
      if (jobID && !isBot) throw forbidden('app.calls.join.job_not_bot', 'only the recorder joins for a job');
      if (isBot && !jobID) throw forbidden('app.calls.join.bot_without_job', 'the bot joins only for a job');
      // Before any lock or store work: a user's join storm costs the server next to nothing.
      if (!isBot) this.c.limits.takeJoin(userID);
      sessions.joining.add(connID);
      const channel = await d.platform.getChannel(msg.channelID);
      if (!channel) throw notFound('app.calls.channel_not_found', 'channel not found');
      if (!isBot && !(await d.platform.hasChannelPermission(userID, channel.id, 'create_post'))) {
        throw forbidden('app.calls.join.forbidden', 'forbidden', {userID, channelID: channel.id});
      }
      if (channel.delete_at > 0)
        throw badRequest('app.calls.join.archived_channel', 'cannot join call in archived channel');
      const threadID = msg.threadID ?? '';
      if (threadID) await this.#checkThread(threadID, channel.id);

      const {call, sessions: callSessions} = await d.lock.withLock(channel.id, () =>
        this.#addSession(channel, userID, connID, msg.title ?? '', threadID, isBot ? {botID, jobID} : null),
      );

      const local: LocalSession = {
        sessionID: connID,
        userID,
        channelID: channel.id,
        callID: call.id,
        call,
        connID,
        leaving: false,
      };
      sessions.add(local);
      try {
        await d.media.initSession(call, {
          sessionID: connID,
          userID,
          callID: call.id,
          channelID: channel.id,
          av1Support: Boolean(msg.av1Support),
          dcSignaling: Boolean(msg.dcSignaling) && d.config.get().EnableDCSignaling,
        });
      } catch (err) {
        await this.sessions.leave(local, 'rtc init failed');
        // Cluster errors (no handler node, node unavailable) say what is wrong; keep them. Logged once, below.
        if (err instanceof AppError && err.id.startsWith('app.calls.')) throw err;
        throw new AppError('app.calls.rtc_init_failed', 'failed to start the media session', 500, {
          cause: (err as Error).message,
          sessionID: connID,
          callID: call.id,
        });
      }
      pub.toConn('join', {connID}, connID);
      // The recorder is invisible to the others (reference §8.2 step 4).
      if (!isBot) pub.toChannel('user_joined', {user_id: userID, session_id: connID}, channel.id);
      const jobs = await d.store.calls.getActiveJobs(call.id);
      pub.toUser(
        'call_state',
        {channel_id: channel.id, call: JSON.stringify(clientCallState(call, callSessions, jobs, userID, botID))},
        userID,
        channel.id,
      );
      log.info({callID: call.id, channelID: channel.id, userID, sessionID: connID}, 'session joined');
      // The socket may have closed while we were joining (upstream's race guard).
      if (!d.isConnOpen(connID)) this.sessions.startGrace(local);
    } catch (err) {
      const e = toAppError(err);
      if (e.status >= 500) log.error({err: e.message, details: e.details, connID, userID}, 'join failed');
      else log.info({err: e.message, connID, userID}, 'join refused');
      pub.toConn('error', {data: e.message, connID, id: e.id}, connID);
    } finally {
      sessions.joining.delete(connID);
    }
  }

  async #checkThread(threadID: string, channelID: string): Promise<void> {
    const post = await this.c.d.platform.getPost(threadID);
    if (!post || post.channel_id !== channelID) throw forbidden('app.calls.join.thread_forbidden', 'forbidden');
    if (post.delete_at > 0) throw badRequest('app.calls.join.thread_deleted', 'thread is deleted');
    if (post.root_id) throw badRequest('app.calls.join.thread_not_root', 'thread is not a root post');
  }

  /** Start rules (reference §3.2 userCanStartOrJoin); only apply to starting a call. */
  async #checkCanStart(userID: string, channel: Channel): Promise<void> {
    const {d} = this.c;
    const license = d.platform.license();
    const groupAllowed = license.professional || Boolean(d.groupCallsAllowed);
    if (channel.type !== 'D' && !groupAllowed) {
      await d.platform.sendEphemeralPost(userID, channel.id, 'Unlicensed servers only allow calls in DMs.');
      throw forbidden('app.calls.unlicensed_group_call', 'unlicensed servers only allow calls in DMs');
    }
    const row: CallsChannel | null = await d.store.calls.getChannel(channel.id);
    if (row && !row.enabled) throw forbidden('app.calls.channel_disabled', 'calls are disabled in the channel');
    if (row?.enabled || d.config.get().DefaultEnabled) return;
    if (await d.platform.isSystemAdmin(userID)) return;
    throw forbidden('app.calls.insufficient_permissions', 'insufficient permissions');
  }

  /** Under the call lock: creates the call if needed and adds the session (reference §3.2 addUserSession). */
  async #addSession(
    channel: Channel,
    userID: string,
    sessionID: string,
    title: string,
    threadID: string,
    bot: {botID: string; jobID: string} | null,
  ) {
    const {d, log, pub} = this.c;
    const store = d.store.calls;
    const now = d.clock.now();
    let call = await store.getActiveCallByChannel(channel.id);
    if (bot) {
      if (!call || !d.jobs) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      await d.jobs.acceptBotJoin(call, bot.jobID, sessionID);
    }
    const botID = bot?.botID ?? (await this.c.botUserID());
    const starting = !call;
    if (!call) {
      await this.#checkCanStart(userID, channel);
      call = {
        id: newId(),
        channelId: channel.id,
        startAt: now,
        endAt: 0,
        createAt: now,
        deleteAt: 0,
        title,
        postId: '',
        threadId: '',
        ownerId: userID,
        participants: [],
        stats: {screen_duration: 0, video_duration: 0, has_used_video: false, has_used_screen_share: false},
        props: await d.media.propsForNewCall(),
      };
    }
    const sessions = starting ? [] : await store.getSessions(call.id);
    if (sessions.some((s) => s.id === sessionID))
      throw badRequest('app.calls.session_already_connected', 'session is already connected');
    if (!bot) this.c.limits.checkSessions(userID, sessions);
    const max = d.config.get().MaxCallParticipants;
    const humans = sessions.filter((s) => s.userId !== botID).length;
    if (!bot && max > 0 && humans >= max)
      throw forbidden('app.calls.limit_reached', 'user cannot join because of limits', {max});

    const session: CallSession = {
      id: sessionID,
      callId: call.id,
      userId: userID,
      joinAt: now,
      unmuted: false,
      raisedHand: 0,
      video: false,
    };
    sessions.push(session);
    const prevHost = call.props.hosts?.[0] ?? '';
    const host = computeHost(call, sessions, botID);
    call.props.hosts = host ? [host] : null;
    if (!bot) call.props.participants = {...call.props.participants, [userID]: {}};
    if (starting) await store.createCall(call);
    else await store.updateCall(call);
    await store.createSession(session);
    const userIDs = sessions.map((s) => s.userId);
    if (host !== prevHost)
      pub.toParticipants('call_host_changed', {hostID: host, call_id: call.id}, channel.id, userIDs);

    if (starting) {
      const starter = await d.platform.getUser(userID);
      const post = await createCallPost(d.platform, call, starter, title, threadID);
      call.postId = post.id;
      call.threadId = threadID || post.id;
      await store.updateCall(call);
      if (!d.config.get().DefaultEnabled && (await d.platform.isSystemAdmin(userID))) {
        await d.platform.sendEphemeralPost(
          userID,
          channel.id,
          'Currently calls are not enabled for non-admin users. You can change the setting through the system console',
          call.threadId,
        );
      }
      pub.toChannel(
        'call_start',
        {
          id: call.id,
          channelID: channel.id,
          start_at: call.startAt,
          thread_id: call.threadId,
          post_id: call.postId,
          owner_id: call.ownerId,
          host_id: host,
        },
        channel.id,
      );
      log.info({callID: call.id, channelID: channel.id, ownerID: userID}, 'call started');
    }
    return {call, sessions};
  }
}
