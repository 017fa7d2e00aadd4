// What a client does with its own session (reference §1.2): signaling into the media layer (sdp, ice),
// mute, hands, screen share (one sharer at a time), video, reactions and client metrics. Each action's
// data is validated here; each state change runs under the call lock and is announced to the call.
import {badRequest, forbidden} from '../errors';
import type {EventPayload} from '../protocol';
import type {CallSession} from '../store';
import * as A from './actions';
import type {CallsContext} from './context';
import type {LocalSession} from './local-sessions';
import {stopScreenShare, stopVideo, unixSeconds} from './state';

export class SessionActions {
  readonly #c: CallsContext;

  constructor(c: CallsContext) {
    this.#c = c;
  }

  async handle(local: LocalSession, action: string, data: Record<string, unknown>): Promise<void> {
    const {d, log, pub} = this.#c;
    const media = d.media;
    const sessionID = local.sessionID;
    switch (action) {
      case 'sdp': {
        const {data: bytes} = A.parseAction('sdp', A.sdpSchema, data);
        const desc = A.parseJsonField('sdp', A.sessionDescriptionSchema, A.unpackSDPData(bytes));
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
        await this.#updateSession(local, (s) => (s.unmuted = unmuted), unmuted ? 'user_unmuted' : 'user_muted', {
          userID: local.userID,
          session_id: sessionID,
        });
        return;
      }
      case 'raise_hand':
      case 'unraise_hand': {
        const raised = action === 'raise_hand' ? d.clock.now() : 0;
        await this.#updateSession(
          local,
          (s) => (s.raisedHand = raised),
          raised ? 'user_raise_hand' : 'user_unraise_hand',
          {userID: local.userID, session_id: sessionID, raised_hand: raised},
        );
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
        const userIDs = await this.#c.participantIDs(local.callID);
        pub.toParticipants(
          'user_reacted',
          {
            user_id: local.userID,
            session_id: sessionID,
            timestamp: d.clock.now(),
            emoji: {name: emoji.name, skin: emoji.skin, unified: emoji.unified, literal: emoji.literal},
          },
          local.channelID,
          userIDs,
        );
        return;
      }
      case 'metric': {
        const m = A.parseAction('metric', A.metricSchema, data);
        if (m.metric_name !== 'client_ice_candidate_pair')
          throw badRequest('app.calls.ws.invalid_metric', `invalid metric message: unknown metric ${m.metric_name}`);
        const pair = A.parseJsonField('metric', A.iceCandidatePairSchema, m.data ?? '');
        d.onICEPairMetric?.({
          state: pair.state,
          local_type: pair.local.type,
          local_protocol: pair.local.protocol,
          remote_type: pair.remote.type,
          remote_protocol: pair.remote.protocol,
        });
        return;
      }
      case 'caption':
        // Captions come only from the transcriber bot, which this build does not run.
        log.debug({sessionID}, 'caption from a non-bot session ignored');
        return;
      case 'voice_on':
      case 'voice_off':
        throw badRequest('app.calls.ws.invalid_action', `${action} is detected by the server, not sent by clients`);
    }
  }

  /** Lock, reload the session, mutate, save, then announce to the participants. */
  /** Changes the session's row under the call lock, then tells the call's participants. */
  async #updateSession<E extends 'user_muted' | 'user_unmuted' | 'user_raise_hand' | 'user_unraise_hand'>(
    local: LocalSession,
    mutate: (s: CallSession) => void,
    event: E,
    payload: EventPayload<E>,
  ): Promise<void> {
    const {d, pub} = this.#c;
    await d.lock.withLock(local.channelID, async () => {
      const s = await d.store.calls.getSession(local.sessionID);
      if (!s) return;
      mutate(s);
      await d.store.calls.updateSession(s);
      pub.toParticipants(event, payload, local.channelID, await this.#c.participantIDs(local.callID));
    });
  }

  async #screenOn(local: LocalSession, data: Record<string, unknown>): Promise<void> {
    const {d, pub} = this.#c;
    const {data: raw} = A.parseAction('screen_on', A.stringDataSchema, data);
    const {screenStreamID} = A.parseJsonField('screen_on', A.screenOnSchema, raw);
    if (!d.config.get().AllowScreenSharing)
      throw forbidden('app.calls.screen_sharing_disabled', 'screen sharing is not allowed');
    await d.lock.withLock(local.channelID, async () => {
      const call = await d.store.calls.getCall(local.callID);
      if (!call || call.endAt > 0) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      const sharer = call.props.screen_sharing_session_id;
      if (sharer && sharer !== local.sessionID)
        throw forbidden('app.calls.screen_already_shared', 'another session is already sharing its screen');
      call.props.screen_sharing_session_id = local.sessionID;
      call.props.screen_stream_id = screenStreamID;
      call.props.screen_start_at = unixSeconds(d.clock.now());
      call.stats.has_used_screen_share = true;
      await d.store.calls.updateCall(call);
      d.media.send(local.call, {sessionID: local.sessionID, type: 'screen_on', data: {screenStreamID}});
      pub.toParticipants(
        'user_screen_on',
        {userID: local.userID, session_id: local.sessionID},
        local.channelID,
        await this.#c.participantIDs(call.id),
      );
    });
  }

  async #screenOff(local: LocalSession): Promise<void> {
    const {d, pub} = this.#c;
    await d.lock.withLock(local.channelID, async () => {
      const call = await d.store.calls.getCall(local.callID);
      if (!call || call.endAt > 0) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      if (call.props.screen_sharing_session_id !== local.sessionID)
        throw forbidden('app.calls.not_sharing', 'this session is not sharing its screen');
      stopScreenShare(call, d.clock.now());
      await d.store.calls.updateCall(call);
      d.media.send(local.call, {sessionID: local.sessionID, type: 'screen_off'});
      pub.toParticipants(
        'user_screen_off',
        {userID: local.userID, session_id: local.sessionID},
        local.channelID,
        await this.#c.participantIDs(call.id),
      );
    });
  }

  async #video(local: LocalSession, on: boolean, data: Record<string, unknown>): Promise<void> {
    const {d, pub} = this.#c;
    let videoStreamID = '';
    if (on) {
      const {data: raw} = A.parseAction('video_on', A.stringDataSchema, data);
      videoStreamID = A.parseJsonField('video_on', A.videoOnSchema, raw).videoStreamID;
      // Video is for DMs with EnableVideo on: a client must not push a camera into any other call.
      if (!d.config.get().EnableVideo)
        throw forbidden('app.calls.video_disabled', 'video is not enabled on this server');
      const channel = await d.platform.getChannel(local.channelID);
      if (channel?.type !== 'D')
        throw forbidden('app.calls.video_not_allowed', 'video is only allowed in direct messages');
    }
    await d.lock.withLock(local.channelID, async () => {
      const call = await d.store.calls.getCall(local.callID);
      const session = await d.store.calls.getSession(local.sessionID);
      if (!call || call.endAt > 0 || !session) throw badRequest('app.calls.no_call_ongoing', 'no call ongoing');
      const now = d.clock.now();
      if (on) {
        session.video = true;
        call.props.video_start_at = {...call.props.video_start_at, [local.sessionID]: unixSeconds(now)};
        call.stats.has_used_video = true;
        d.media.send(local.call, {sessionID: local.sessionID, type: 'video_on', data: {videoStreamID}});
      } else {
        session.video = false;
        stopVideo(call, local.sessionID, now);
        d.media.send(local.call, {sessionID: local.sessionID, type: 'video_off'});
      }
      await d.store.calls.updateSession(session);
      await d.store.calls.updateCall(call);
      pub.toParticipants(
        on ? 'user_video_on' : 'user_video_off',
        {userID: local.userID, session_id: local.sessionID},
        local.channelID,
        await this.#c.participantIDs(call.id),
      );
    });
  }
}
