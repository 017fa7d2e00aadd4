// Host controls (reference §8.1): make host, mute, mute others, stop a screen share, lower a hand, remove
// a session, end the call for everyone. The requester must be the host or a system admin; the target
// client acts on host_mute / host_screen_off / host_lower_hand itself, removals are enforced after a grace.
import {badRequest} from '../errors';
import type {Call} from '../store';
import type {CallsContext} from './context';
import type {SessionLifecycle} from './sessions';

export type HostAction = 'make' | 'mute' | 'mute-others' | 'screen-off' | 'lower-hand' | 'remove';

export class HostControls {
  constructor(
    private readonly c: CallsContext,
    private readonly sessions: SessionLifecycle,
  ) {}

  /** Host "end call for everyone" (POST /calls/{channel}/end and /host/end). */
  async endCall(requesterID: string, channelID: string): Promise<void> {
    const call = await this.#hostCall(requesterID, channelID);
    this.c.pub.toChannel('call_end', {}, channelID);
    this.c.after(this.c.timings.hostEndForceCloseMs, () =>
      this.sessions.forceEnd(channelID, call.id, 'call ended by host'),
    );
  }

  async control(
    requesterID: string,
    channelID: string,
    action: HostAction,
    target: {session_id?: string; new_host_id?: string},
  ): Promise<void> {
    const {d, pub} = this.c;
    const call = await this.#hostCall(requesterID, channelID);
    const sessions = await d.store.calls.getSessions(call.id);
    const userIDs = sessions.map((s) => s.userId);
    const targetSession = () => {
      const s = sessions.find((x) => x.id === target.session_id);
      if (!s) throw badRequest('app.calls.host.not_in_call', 'requested session or user is not in the call');
      return s;
    };
    switch (action) {
      case 'make': {
        const newHost = target.new_host_id ?? '';
        if (!userIDs.includes(newHost))
          throw badRequest('app.calls.host.not_in_call', 'requested session or user is not in the call');
        const user = await d.platform.getUser(newHost);
        if (user?.is_bot) throw badRequest('app.calls.host.bot', 'not allowed to make a bot the host');
        await d.lock.withLock(channelID, async () => {
          const fresh = await d.store.calls.getCall(call.id);
          if (!fresh || fresh.endAt > 0) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
          const changed = fresh.props.hosts?.[0] !== newHost;
          fresh.props.hosts = [newHost];
          fresh.props.host_locked_user_id = newHost;
          await d.store.calls.updateCall(fresh);
          if (changed) pub.toParticipants('call_host_changed', {hostID: newHost, call_id: call.id}, channelID, userIDs);
        });
        return;
      }
      case 'mute': {
        const s = targetSession();
        if (s.unmuted) pub.toUser('host_mute', {channel_id: channelID, session_id: s.id}, s.userId, channelID);
        return;
      }
      case 'mute-others':
        for (const s of sessions) {
          if (s.unmuted && s.userId !== requesterID)
            pub.toUser('host_mute', {channel_id: channelID, session_id: s.id}, s.userId, channelID);
        }
        return;
      case 'screen-off': {
        const s = targetSession();
        if (call.props.screen_sharing_session_id !== s.id)
          throw badRequest('app.calls.host.not_sharing', 'not allowed: the session is not sharing its screen');
        pub.toUser('host_screen_off', {channel_id: channelID, session_id: s.id}, s.userId, channelID);
        return;
      }
      case 'lower-hand': {
        const s = targetSession();
        if (!s.raisedHand) throw badRequest('app.calls.host.hand_not_raised', 'not allowed: the hand is not raised');
        pub.toUser(
          'host_lower_hand',
          {call_id: call.id, channel_id: channelID, session_id: s.id, host_id: requesterID},
          s.userId,
          channelID,
        );
        return;
      }
      case 'remove': {
        const s = targetSession();
        pub.toParticipants(
          'host_removed',
          {call_id: call.id, channel_id: channelID, session_id: s.id, user_id: s.userId},
          channelID,
          userIDs,
        );
        this.c.after(this.c.timings.hostRemoveForceCloseMs, async () => {
          const still = await d.store.calls.getSession(s.id);
          if (!still) return;
          const local = this.c.local.get(s.id);
          if (local) await this.sessions.leave(local, 'removed by host');
          else await d.media.closeSession(call, s.id);
        });
        return;
      }
    }
  }

  /** The active call of a channel, if the requester may control it. */
  async #hostCall(requesterID: string, channelID: string): Promise<Call> {
    const call = await this.c.d.store.calls.getActiveCallByChannel(channelID);
    if (!call) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
    const isHost = call.props.hosts?.[0] === requesterID;
    if (!isHost && !(await this.c.d.platform.isSystemAdmin(requesterID))) {
      throw badRequest('app.calls.no_permissions', 'no permissions', {requesterID, channelID});
    }
    return call;
  }
}
