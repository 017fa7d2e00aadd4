// Moving one received audio stream of a werift receiver to a fast receive path (ingress.ts): the SFU's
// sessions and the recorder's participant both do it once the stream's first packet went through werift,
// when its SRTP is plain AES-GCM; anything else stays with werift.
import type {RTCRtpTransceiver} from 'werift';
import {receiveStatistics, remoteSrtpContext} from '../werift/internals';
import type {UpstreamTrack} from './forwarder';
import type {Ingress, IngressDeliver} from './ingress';
import {AUDIO_LEVEL_URI} from '../media/codecs';
import {NativeRoute, routeNative} from './nativeRoute';
import {PROFILE_AEAD_AES_128_GCM, sessionCipher} from './srtpGcm';

/** What a native route of the stream forwards to (nativeRoute.ts): the SFU's sessions give it. */
export interface RouteTarget {
  track: UpstreamTrack;
  onLevel: (level: number) => void;
}

/**
 * Takes `ssrc` of the transceiver's receiver over: from now on its packets reach `deliver` from `ingress`,
 * not werift. Returns how to give it back, or undefined when it stays with werift (not AES-GCM).
 * `statistics: false` leaves werift's receive statistics (its receiver reports) unfed: for a receiver whose
 * reports nobody reads (the recorder's, which the SFU drops unread), they cost a clock read per packet.
 * With `route`, and the native addon's routes in this process, the stream's packets are forwarded by the addon
 * whenever they can be (nativeRoute.ts).
 */
export function takeOverReceivedAudio(
  ingress: Ingress,
  transceiver: RTCRtpTransceiver,
  ssrc: number,
  deliver: IngressDeliver,
  {statistics = true, route}: {statistics?: boolean; route?: RouteTarget} = {},
): (() => void) | undefined {
  const receiver = transceiver.receiver;
  const context = remoteSrtpContext(receiver);
  if (!context || context.profile !== PROFILE_AEAD_AES_128_GCM) return undefined;
  ingress.bind(context, sessionCipher(context));
  const state = context.getSrtpSsrcState(ssrc);
  const block = ingress.add({
    ssrc,
    rolloverCounter: state.rolloverCounter,
    lastSequenceNumber: state.lastSequenceNumber,
    audioLevelId: transceiver.headerExtensions.find((e) => e.uri === AUDIO_LEVEL_URI)?.id,
    statistics: statistics ? receiveStatistics(receiver, ssrc) : undefined,
    deliver,
  });
  const native = route ? routeNative() : undefined;
  const key = sessionCipher(context).native;
  if (route && native && key) {
    ingress.setRoute(ssrc, new NativeRoute({native, ssrc, block, key, track: route.track, onLevel: route.onLevel}));
  }
  return () => ingress.remove(ssrc);
}
