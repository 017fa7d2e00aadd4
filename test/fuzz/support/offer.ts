// A real offer from a werift peer configured like the test clients (calls-dc, an audio and a video
// transceiver, loopback candidates): the seed every SDP mutation starts from.
import {RTCPeerConnection, RTCRtpCodecParameters, useAudioLevelIndication, useSdesMid} from 'werift';
import {opusCodec} from '../../../server/src/rtc/media/codecs';
import {waitFor} from '../../support/wait';
import {LOOPBACK_PEER} from '../../rtc/support/client';

export async function realWeriftOffer(): Promise<{sdp: string; candidates: string[]}> {
  const pc = new RTCPeerConnection({
    ...LOOPBACK_PEER,
    codecs: {
      audio: [opusCodec()],
      video: [new RTCRtpCodecParameters({mimeType: 'video/VP8', clockRate: 90000, payloadType: 96})],
    },
    headerExtensions: {audio: [useSdesMid(), useAudioLevelIndication()], video: [useSdesMid()]},
  });
  try {
    pc.createDataChannel('calls-dc');
    pc.addTransceiver('audio', {direction: 'sendrecv'});
    pc.addTransceiver('video', {direction: 'sendrecv'});
    for (const t of pc.iceTransports) (t.connection as unknown as {stunServer?: unknown}).stunServer = undefined;
    await pc.setLocalDescription(await pc.createOffer());
    // Whatever was gathered in 5 s is offered.
    await waitFor(() => pc.iceGatheringState === 'complete', 5000, 'ICE gathering').catch(() => undefined);
    const sdp = pc.localDescription!.sdp;
    const candidates = sdp
      .split('\r\n')
      .filter((l) => l.startsWith('a=candidate:'))
      .map((l) => l.slice(2));
    return {sdp, candidates};
  } finally {
    await pc.close();
  }
}
