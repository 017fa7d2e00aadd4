// The media the SFU negotiates (reference §5.1): Opus/111 with the audio-level extension, VP8/96 and
// (when enabled) AV1/45 with NACK, PLI, FIR and REMB feedback, and the mid/rid extensions simulcast needs.
import {
  RTCRtpCodecParameters,
  useAudioLevelIndication,
  useFIR,
  useNACK,
  usePLI,
  useREMB,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
  type PeerConfig,
} from 'werift';

export const OPUS_PT = 111;
export const VP8_PT = 96;
export const AV1_PT = 45;

export function opusCodec(): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    payloadType: OPUS_PT,
    parameters: 'minptime=10;useinbandfec=1',
    rtcpFeedback: [],
  });
}

function videoFeedback() {
  return [useNACK(), usePLI(), useFIR(), useREMB()];
}

export function vp8Codec(): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: 'video/VP8',
    clockRate: 90000,
    payloadType: VP8_PT,
    rtcpFeedback: videoFeedback(),
  });
}

export function av1Codec(): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({
    mimeType: 'video/AV1',
    clockRate: 90000,
    payloadType: AV1_PT,
    rtcpFeedback: videoFeedback(),
  });
}

export function mediaConfig(opts: {enableAV1: boolean}): Pick<PeerConfig, 'codecs' | 'headerExtensions'> {
  return {
    codecs: {
      audio: [opusCodec()],
      video: opts.enableAV1 ? [vp8Codec(), av1Codec()] : [vp8Codec()],
    },
    // Ids are set per session by alignHeaderExtensionIds (werift renumbers these 1..n on construction).
    headerExtensions: {
      audio: [useAudioLevelIndication(), useSdesMid()],
      video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()],
    },
  };
}

/** The header extensions read per packet: the speaker's audio level (RFC 6464) and the BUNDLE mid (RFC 8843). */
export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
export const MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';

/** Chromium's ids, used for extensions the client has not named yet (most clients are Chromium-based). */
const PREFERRED_IDS: Record<string, number> = {
  [AUDIO_LEVEL_URI]: 1,
  [MID_URI]: 4,
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id': 10,
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id': 11,
};

type HeaderExtension = {id: number; uri: string};

/**
 * Gives the header extensions of our offers the ids the client uses. In one BUNDLE an id must name the
 * same extension on every m-line, and the server adds m-lines beside the client's; werift numbers its
 * extensions 1..n whatever the browser chose, which Chromium then rejects ("codec collision for header
 * extension id"). Extensions the client has not named keep one id across audio and video, preferring
 * Chromium's and never taking an id the client uses for something else. Call with every client SDP.
 */
export function alignHeaderExtensionIds(
  config: {headerExtensions: {audio?: HeaderExtension[]; video?: HeaderExtension[]}},
  clientSdp = '',
): void {
  const clientIds = new Map<string, number>();
  for (const m of clientSdp.matchAll(/^a=extmap:(\d+)(?:\/\w+)? (\S+)/gm)) clientIds.set(m[2], Number(m[1]));
  const exts = [...(config.headerExtensions.audio ?? []), ...(config.headerExtensions.video ?? [])];
  const taken = new Set(clientIds.values());
  const chosen = new Map<string, number>();
  for (const [uri, id] of clientIds) chosen.set(uri, id);
  for (const ext of exts) {
    if (chosen.has(ext.uri)) continue;
    const current = ext.id;
    const preferred = PREFERRED_IDS[ext.uri];
    let id = preferred !== undefined && !taken.has(preferred) ? preferred : current;
    for (let candidate = 1; taken.has(id) && candidate <= 14; candidate++) id = candidate;
    chosen.set(ext.uri, id);
    taken.add(id);
  }
  for (const ext of exts) ext.id = chosen.get(ext.uri) ?? ext.id;
}

export function isAv1(mimeType: string | undefined): boolean {
  return mimeType?.toLowerCase() === 'video/av1';
}
