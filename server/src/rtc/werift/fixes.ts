// Corrections to werift behaviour the SFU depends on (werift 0.25.2), kept in one place; reached through internals.ts.
import type {RTCPeerConnection} from 'werift';
import {ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback} from 'werift';

interface RtcpRecipient {
  handleRtcpPacket(packet: unknown): void;
}

interface RouterLike {
  ssrcTable: Record<number, RtcpRecipient | undefined>;
  routeRtcp(packet: unknown): void;
}

/**
 * Key-frame requests (PLI/FIR) name the stream they are about in their media SSRC, but werift routes them
 * by the *sender* SSRC first. Chromium sends its RTCP from the SSRC of one of its own outgoing streams,
 * which the SFU knows as an incoming stream, so once a client has sent any media its PLIs for a stream
 * it receives went to the wrong object and no key frame was ever requested (a screen share stayed black).
 */
export function routeKeyframeRequestsByMediaSsrc(pc: RTCPeerConnection): void {
  const router = (pc as unknown as {router: RouterLike}).router;
  const original = router.routeRtcp.bind(router);
  router.routeRtcp = (packet: unknown) => {
    if (packet instanceof RtcpPayloadSpecificFeedback && packet.feedback.count !== ReceiverEstimatedMaxBitrate.count) {
      const target = router.ssrcTable[(packet.feedback as unknown as {mediaSsrc: number}).mediaSsrc];
      if (target) {
        target.handleRtcpPacket(packet);
        return;
      }
    }
    original(packet);
  };
}
