// Loopback werift senders for recorder tests, without a server: each sender is a peer connection with one
// send-only track, connected to its own receiving peer, which hands its RTP to the test. Audio is sent as
// 20 ms Opus packets on a timer; a screen sends VP8 frames at 15 fps and answers a PLI with a keyframe.
import {MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, Vp8Packetizer, type RTCRtpTransceiver} from 'werift';
import {opusCodec, vp8Codec} from '../../../server/src/rtc/media/codecs';
import {stopDtlsRetransmissions} from '../../../server/src/rtc/werift/internals';
import {isVp8Keyframe} from '../../../server/src/jobs/recorder/vp8-assembler';
import type {RtpIn} from '../../../server/src/jobs/recorder/pipeline';
import {LOOPBACK_PEER} from '../../rtc/support/client';
import {waitFor} from '../../support/wait';

export interface LoopbackLink {
  sender: RTCPeerConnection;
  receiver: RTCPeerConnection;
  senderTransceiver: RTCRtpTransceiver;
  /** Sends a PLI from the receiver to the sender (what the recorder does to ask for a keyframe). */
  requestKeyframe(): void;
  close(): Promise<void>;
}

function peer(): RTCPeerConnection {
  const pc = new RTCPeerConnection({...LOOPBACK_PEER, codecs: {audio: [opusCodec()], video: [vp8Codec()]}});
  for (const t of pc.iceTransports) (t.connection as unknown as {stunServer?: unknown}).stunServer = undefined;
  return pc;
}

/** A connected sender → receiver pair for one track; `onRtp` gets each received packet. */
export async function loopbackLink(kind: 'audio' | 'video', onRtp: (rtp: RtpIn) => void): Promise<LoopbackLink> {
  const sender = peer();
  const receiver = peer();
  const senderTransceiver = sender.addTransceiver(new MediaStreamTrack({kind}), {direction: 'sendonly'});
  let remoteSsrc = 0;
  receiver.ontrack = (ev) => {
    ev.track.onReceiveRtp.subscribe((rtp) => {
      remoteSsrc = rtp.header.ssrc;
      onRtp({
        seq: rtp.header.sequenceNumber,
        timestamp: rtp.header.timestamp,
        marker: rtp.header.marker,
        payload: Buffer.from(rtp.payload),
      });
    });
  };
  const close = async () => {
    for (const pc of [sender, receiver]) {
      stopDtlsRetransmissions(pc);
      await pc.close();
    }
  };
  // No trickle: each side's description carries all its candidates, so none is lost to ordering.
  const gathered = (pc: RTCPeerConnection) =>
    waitFor(() => pc.iceGatheringState === 'complete', 10_000, 'ICE gathering');
  try {
    await sender.setLocalDescription(await sender.createOffer());
    await gathered(sender);
    await receiver.setRemoteDescription(sender.localDescription!);
    await receiver.setLocalDescription(await receiver.createAnswer());
    await gathered(receiver);
    await sender.setRemoteDescription(receiver.localDescription!);
    await waitFor(
      () => sender.connectionState === 'connected' && receiver.connectionState === 'connected',
      15_000,
      'loopback link connected',
    );
  } catch (err) {
    await close();
    throw err;
  }
  const recvTransceiver = receiver.getTransceivers()[0];
  return {
    sender,
    receiver,
    senderTransceiver,
    requestKeyframe: () => {
      if (remoteSsrc) void recvTransceiver.receiver.sendRtcpPLI(remoteSsrc).catch(() => undefined);
    },
    close,
  };
}

/** Sends Opus packets every 20 ms (looping), until stop(). */
export class AudioSender {
  #timer: NodeJS.Timeout | undefined;
  #seq = Math.floor(Math.random() * 0xffff);
  #ts = Math.floor(Math.random() * 0xffffffff);
  #i = 0;
  sent = 0;

  constructor(
    private readonly link: LoopbackLink,
    private readonly packets: Buffer[],
  ) {}

  start(): void {
    const t0 = performance.now();
    this.#timer = setInterval(() => {
      // Keep to the wall clock even when a timer fires late.
      const due = Math.floor((performance.now() - t0) / 20);
      while (this.sent <= due) this.#sendOne();
    }, 10);
  }

  #sendOne(): void {
    const payload = this.packets[this.#i++ % this.packets.length];
    const header = new RtpHeader({
      payloadType: 111,
      sequenceNumber: this.#seq,
      timestamp: this.#ts >>> 0,
      marker: false,
    });
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#ts = (this.#ts + 960) >>> 0;
    this.sent++;
    void this.link.senderTransceiver.sender.sendRtp(new RtpPacket(header, payload)).catch(() => undefined);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** Sends VP8 frames at 15 fps (looping); a PLI makes the next frame sent the nearest keyframe. */
export class ScreenSender {
  #timer: NodeJS.Timeout | undefined;
  #frames: Buffer[];
  #i = 0;
  #ts = Math.floor(Math.random() * 0xffffffff);
  #packetizer = new Vp8Packetizer({payloadType: 96, sequenceNumber: Math.floor(Math.random() * 0xffff)});
  plis = 0;
  sent = 0;

  constructor(
    private readonly link: LoopbackLink,
    frames: Buffer[],
    /** Start somewhere after the first keyframe, as a share the recorder joins late would. */
    startAt = 0,
  ) {
    this.#frames = frames;
    this.#i = startAt;
    link.senderTransceiver.sender.onPictureLossIndication.subscribe(() => {
      this.plis++;
      this.#toKeyframe();
    });
  }

  #toKeyframe(): void {
    const n = this.#frames.length;
    for (let k = 0; k < n; k++) {
      const idx = (this.#i + k) % n;
      if (isVp8Keyframe(this.#frames[idx])) {
        this.#i = idx;
        return;
      }
    }
  }

  /** Switches to other frames (e.g. another resolution), from their first keyframe. */
  switchTo(frames: Buffer[]): void {
    this.#frames = frames;
    this.#i = 0;
  }

  start(): void {
    this.#timer = setInterval(() => this.#sendOne(), 1000 / 15);
  }

  #sendOne(): void {
    const frame = this.#frames[this.#i++ % this.#frames.length];
    this.#ts = (this.#ts + 6000) >>> 0;
    for (const rtp of this.#packetizer.packetize(frame, this.#ts))
      void this.link.senderTransceiver.sender.sendRtp(rtp).catch(() => undefined);
    this.sent++;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
