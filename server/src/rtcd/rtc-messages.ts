// Our SFU's messages (rtc/types) as rtcd's rtc.Message and back, both directions in one place: the
// plugin's rtcd client writes what the service reads, and the service writes what the client reads
// (reference §2.3–2.4: SDP as JSON SessionDescription, inbound ICE as the browser's
// RTCIceCandidateInit, outbound ICE as {"type":"candidate","candidate":{…}}, ScreenOn/VideoOn as
// {screenStreamID}/{videoStreamID}, VoiceOn/VoiceOff inside `vad`).
import type {IceCandidate, RtcInbound, RtcSignal, SessionDescription} from '../rtc/types';
import {iceCandidate as sfuIceCandidate, sessionDescription as sfuSessionDescription} from '../relay/sfu';
import {jsonBytes, parseJsonBytes, RtcMsgType, WireError, type RtcMessage} from './wire';

type Ids = Pick<RtcMessage, 'group_id' | 'user_id' | 'call_id'>;
const NO_IDS: Ids = {group_id: '', user_id: '', call_id: ''};

/** Plugin → rtcd: what the client sends for an inbound SFU message. */
export function inboundToRtcMessage(msg: RtcInbound): RtcMessage {
  const m = (type: RtcMessage['type'], data?: unknown): RtcMessage => ({
    ...NO_IDS,
    session_id: msg.sessionID,
    type,
    data: data === undefined ? undefined : jsonBytes(data),
  });
  switch (msg.type) {
    case 'sdp':
      return m(RtcMsgType.SDP, msg.data);
    case 'ice':
      return m(RtcMsgType.ICE, msg.data);
    case 'mute':
      return m(RtcMsgType.Mute);
    case 'unmute':
      return m(RtcMsgType.Unmute);
    case 'screen_on':
      return m(RtcMsgType.ScreenOn, msg.data);
    case 'screen_off':
      return m(RtcMsgType.ScreenOff);
    case 'video_on':
      return m(RtcMsgType.VideoOn, msg.data);
    case 'video_off':
      return m(RtcMsgType.VideoOff);
  }
}

/** rtcd ← plugin: the SFU message an rtc.Message asks for; throws WireError on bad data. */
export function rtcMessageToInbound(m: RtcMessage): RtcInbound {
  const sessionID = m.session_id;
  switch (m.type) {
    case RtcMsgType.ICE:
      return {sessionID, type: 'ice', data: iceCandidate(parseJsonBytes(m.data))};
    case RtcMsgType.SDP:
      return {sessionID, type: 'sdp', data: sessionDescription(parseJsonBytes(m.data))};
    case RtcMsgType.Mute:
      return {sessionID, type: 'mute'};
    case RtcMsgType.Unmute:
      return {sessionID, type: 'unmute'};
    case RtcMsgType.ScreenOn:
      return {sessionID, type: 'screen_on', data: {screenStreamID: streamID(parseJsonBytes(m.data), 'screenStreamID')}};
    case RtcMsgType.ScreenOff:
      return {sessionID, type: 'screen_off'};
    case RtcMsgType.VideoOn:
      return {sessionID, type: 'video_on', data: {videoStreamID: streamID(parseJsonBytes(m.data), 'videoStreamID')}};
    case RtcMsgType.VideoOff:
      return {sessionID, type: 'video_off'};
    default:
      throw new WireError(`rtc: type ${m.type} is not for rtcd`);
  }
}

/** rtcd → plugin: an SFU signal for the session's client, with the session's ids. */
export function signalToRtcMessage(sessionID: string, ids: Ids, signal: RtcSignal): RtcMessage {
  const data =
    signal.type === 'sdp'
      ? jsonBytes(signal.data)
      : jsonBytes({
          type: 'candidate',
          candidate: {
            candidate: signal.data.candidate,
            sdpMid: signal.data.sdpMid ?? '',
            sdpMLineIndex: signal.data.sdpMLineIndex ?? 0,
          },
        });
  return {...ids, session_id: sessionID, type: signal.type === 'sdp' ? RtcMsgType.SDP : RtcMsgType.ICE, data};
}

/** plugin ← rtcd: the signal an rtc.Message carries for the session's client; throws WireError on bad data. */
export function rtcMessageToSignal(m: RtcMessage): RtcSignal {
  if (m.type === RtcMsgType.SDP) return {type: 'sdp', data: sessionDescription(parseJsonBytes(m.data))};
  if (m.type === RtcMsgType.ICE) {
    const v = parseJsonBytes(m.data) as {type?: unknown; candidate?: unknown} | undefined;
    return {type: 'ice', data: iceCandidate(v && typeof v === 'object' && v.type === 'candidate' ? v.candidate : v)};
  }
  throw new WireError(`rtc: type ${m.type} is not a signal`);
}

// The relay's schemas for these values (one definition for every remote SFU); only the known fields go on.
function sessionDescription(v: unknown): SessionDescription {
  const r = sfuSessionDescription.safeParse(v);
  if (!r.success) throw new WireError('rtc: SDP data must be {type, sdp}');
  return {type: r.data.type, sdp: r.data.sdp};
}

function iceCandidate(v: unknown): IceCandidate {
  const r = sfuIceCandidate.safeParse(v);
  if (!r.success) throw new WireError('rtc: ICE data must be an RTCIceCandidateInit');
  const {candidate, sdpMid, sdpMLineIndex, usernameFragment} = r.data;
  return {
    candidate,
    sdpMid: sdpMid ?? null,
    sdpMLineIndex: sdpMLineIndex ?? null,
    usernameFragment: usernameFragment ?? null,
  };
}

function streamID(v: unknown, key: string): string {
  const id = (v as Record<string, unknown> | undefined)?.[key];
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) throw new WireError(`rtc: data must be {${key}}`);
  return id;
}
