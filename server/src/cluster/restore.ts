// A session's media that is re-created (its call moved to another node, or its node restarted) starts as
// the call state says: muted or not, sharing its screen or not. The client is told to renegotiate
// (`restart` → rtc_reconnect) by the router that re-created it.
import type {RtcServer, SessionConfig} from '../rtc/types';
import type {CallsRepository} from '../store/types';

export async function restoreSessionState(
  rtc: Pick<RtcServer, 'send'>,
  calls: CallsRepository,
  cfg: SessionConfig,
): Promise<void> {
  const [session, call] = await Promise.all([calls.getSession(cfg.sessionID), calls.getCall(cfg.callID)]);
  if (session) rtc.send({sessionID: cfg.sessionID, type: session.unmuted ? 'unmute' : 'mute'});
  const screenStreamID = call?.props.screen_stream_id;
  if (call?.props.screen_sharing_session_id === cfg.sessionID && screenStreamID) {
    rtc.send({sessionID: cfg.sessionID, type: 'screen_on', data: {screenStreamID}});
  }
}
