// werift's SRTP contexts no longer hold HMAC objects they never use, and media still flows with either SRTP
// profile the SFU offers (AES-GCM, which it prefers, and AES-CM with HMAC-SHA1, which werift authenticates itself).
import {MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, useOPUS} from 'werift';
import {dropUnusedSrtpHmacs} from './internals';

const AES_CM_HMAC_SHA1_80 = 1;
const AEAD_AES_128_GCM = 7;

interface Contexts {
  srtp?: {localContext?: Record<string, unknown>; remoteContext?: Record<string, unknown>};
  srtcp?: {localContext?: Record<string, unknown>; remoteContext?: Record<string, unknown>};
}

const newPeer = () => new RTCPeerConnection({iceServers: [], iceUseIpv6: false, codecs: {audio: [useOPUS()]}});
const offerOnly = (pc: RTCPeerConnection, profile: number) => {
  for (const t of pc.dtlsTransports) (t as unknown as {srtpProfiles: number[]}).srtpProfiles = [profile];
};

async function connectAndSend(profile: number): Promise<{payloads: string[]; contexts: Contexts[]}> {
  const a = newPeer();
  const b = newPeer();
  try {
    const track = new MediaStreamTrack({kind: 'audio'});
    a.addTransceiver(track, {direction: 'sendonly'});
    const payloads: string[] = [];
    b.onTrack.subscribe((t) => t.onReceiveRtp.subscribe((rtp) => payloads.push(rtp.payload.toString())));
    await a.setLocalDescription(await a.createOffer());
    offerOnly(a, profile);
    await b.setRemoteDescription(a.localDescription!);
    offerOnly(b, profile);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription!);
    const connected = (pc: RTCPeerConnection) =>
      pc.connectionState === 'connected'
        ? Promise.resolve()
        : pc.connectionStateChange.watch((s) => s === 'connected', 10_000);
    await Promise.all([connected(a), connected(b)]);
    for (let seq = 1; seq <= 20 && payloads.length === 0; seq++) {
      track.writeRtp(
        new RtpPacket(
          new RtpHeader({payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc: 1234, marker: false}),
          Buffer.from(`opus frame ${seq}`),
        ),
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    const contexts = [...a.dtlsTransports, ...b.dtlsTransports] as unknown as Contexts[];
    return {payloads, contexts};
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

describe.each([
  ['AEAD_AES_128_GCM', AEAD_AES_128_GCM],
  ['AES_CM_128_HMAC_SHA1_80', AES_CM_HMAC_SHA1_80],
])('SRTP contexts with %s', (_name, profile) => {
  it('hold no HMAC objects, and RTP arrives decrypted', async () => {
    dropUnusedSrtpHmacs();
    const {payloads, contexts} = await connectAndSend(profile);
    expect(payloads[0]).toMatch(/^opus frame \d+$/);
    const all = contexts.flatMap((c) => [c.srtp, c.srtcp]).flatMap((s) => [s?.localContext, s?.remoteContext]);
    expect(all).toHaveLength(8);
    for (const context of all) {
      expect(context).toBeDefined();
      expect(context!.profile).toBe(profile);
      expect(context!.srtpSessionAuth).toBeUndefined();
      expect(context!.srtcpSessionAuth).toBeUndefined();
    }
  });
});
