// Real media from a werift test client in a call, as the webapp sends it: a microphone track carrying Opus
// packets on the wall clock, and a screen share of VP8 frames at 15 fps whose PLIs are answered with the next
// keyframe. Shared by the recorder's end-to-end tests and the recording bench.
import {type MediaStreamTrack, Vp8Packetizer, type RTCRtpTransceiver} from 'werift';
import {isVp8Keyframe} from '../../../server/src/jobs/recorder/vp8-assembler';
import type {TestClient} from '../../rtc/support/client';

/** Sends `packets` (20 ms Opus) in a loop from the microphone track, 50 a second on the wall clock. */
export function talk(
  peer: TestClient,
  mic: {track: MediaStreamTrack; transceiver: RTCRtpTransceiver},
  packets: Buffer[],
): {stop(): void} {
  let i = 0;
  const ssrc = Math.floor(Math.random() * 0xffffffff);
  const t0 = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor((performance.now() - t0) / 20);
    for (; i <= due; i++)
      peer.sendRtp(mic.track, mic.transceiver, {
        payload: packets[i % packets.length],
        seq: i & 0xffff,
        ts: (i * 960) >>> 0,
        pt: 111,
        audioLevel: 20,
        ssrc,
      });
  }, 10);
  return {stop: () => clearInterval(timer)};
}

/** Shares VP8 `frames` (screen_on, then the track) at 15 fps; a PLI makes the next frame sent a keyframe. */
export async function shareScreen(
  peer: TestClient,
  sessionID: string,
  frames: Buffer[],
): Promise<{transceiver: RTCRtpTransceiver; stop(): void}> {
  const streamID = `screen-${sessionID}`;
  peer.screenOn(streamID);
  const {track, transceiver} = await peer.addTrack('video', streamID);
  const packetizer = new Vp8Packetizer({payloadType: 96, sequenceNumber: 1});
  let i = 0;
  let ts = 0;
  transceiver.sender.onPictureLossIndication.subscribe(() => {
    for (let k = 0; k < frames.length && !isVp8Keyframe(frames[i % frames.length]); k++) i++;
  });
  const ssrc = Math.floor(Math.random() * 0xffffffff);
  const timer = setInterval(() => {
    const frame = frames[i++ % frames.length];
    ts = (ts + 6000) >>> 0;
    for (const rtp of packetizer.packetize(frame, ts))
      peer.sendRtp(track, transceiver, {
        payload: Buffer.from(rtp.payload),
        seq: rtp.header.sequenceNumber,
        ts,
        pt: 96,
        marker: rtp.header.marker,
        ssrc,
      });
  }, 1000 / 15);
  return {transceiver, stop: () => clearInterval(timer)};
}
