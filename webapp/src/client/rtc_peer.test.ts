import {RTCPeer} from './rtc_peer';

// RTCPeer over simple-peer with a scripted RTCPeerConnection: every local change is one offer. A second,
// unrequested offer would go out after the server's answer, when the signalling lock is already released,
// and race the server's own offers (glare); the SFU drops it.

const quiet = {debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined};

class FakeChannel {
  readyState = 'connecting';
  binaryType = 'arraybuffer';
  bufferedAmountLowThreshold = 0;
  bufferedAmount = 0;
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: (() => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;
  addEventListener(): void {
    // nothing opens in this test
  }
  close(): void {
    this.readyState = 'closed';
  }
}

class FakePC {
  signalingState: RTCSignalingState = 'stable';
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  onsignalingstatechange: (() => void) | null = null;
  oniceconnectionstatechange: (() => void) | null = null;
  onicegatheringstatechange: (() => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  onicecandidate: (() => void) | null = null;
  ontrack: (() => void) | null = null;
  ondatachannel: (() => void) | null = null;
  readonly transceivers: {track: MediaStreamTrack | null}[] = [];
  #offers = 0;
  createDataChannel(): FakeChannel {
    return new FakeChannel();
  }
  addEventListener(): void {
    // tracks are not used here
  }
  addTransceiver(track: MediaStreamTrack): {sender: {track: MediaStreamTrack}} {
    this.transceivers.push({track});
    return {sender: {track}};
  }
  getSenders(): {track: MediaStreamTrack | null}[] {
    return this.transceivers;
  }
  getTransceivers(): unknown[] {
    return this.transceivers;
  }
  async createOffer(): Promise<RTCSessionDescriptionInit> {
    return {type: 'offer', sdp: `v=0 offer ${++this.#offers}`};
  }
  async setLocalDescription(d: RTCSessionDescriptionInit): Promise<void> {
    this.localDescription = d;
    this.#state('have-local-offer');
  }
  async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
    this.remoteDescription = d;
    this.#state('stable');
  }
  close(): void {
    this.signalingState = 'closed';
  }
  #state(s: RTCSignalingState): void {
    this.signalingState = s;
    this.onsignalingstatechange?.();
  }
}

const g = globalThis as unknown as Record<string, unknown>;

beforeAll(() => {
  g.RTCPeerConnection = FakePC;
  g.RTCSessionDescription = class {
    constructor(d: RTCSessionDescriptionInit) {
      Object.assign(this, d);
    }
  };
  g.RTCIceCandidate = class {};
});

afterAll(() => {
  delete g.RTCPeerConnection;
  delete g.RTCSessionDescription;
  delete g.RTCIceCandidate;
});

/** A peer whose offers the "server" answers at once; `offers` counts them. */
async function connectedPeer(): Promise<{peer: RTCPeer; offers: () => number}> {
  const peer = new RTCPeer({iceServers: [], dcSignaling: false, dcLocking: false, logger: quiet});
  let offers = 0;
  peer.on('offer', () => {
    offers++;
    setTimeout(() => peer.signal({type: 'answer', sdp: 'v=0 answer'}), 5);
  });
  await settle();
  expect(offers).toBe(1);
  return {peer, offers: () => offers};
}

const settle = () => new Promise((r) => setTimeout(r, 100));

const track = (kind: string) =>
  ({kind, id: `${kind}-1`, addEventListener: () => undefined}) as unknown as MediaStreamTrack;
const stream = (...tracks: MediaStreamTrack[]) =>
  ({id: 'stream-1', getTracks: () => tracks, getVideoTracks: () => tracks}) as unknown as MediaStream;

test('turning the camera on makes one offer', async () => {
  const {peer, offers} = await connectedPeer();
  const camera = track('video');
  await peer.addVideoTrack(camera, stream(camera), [{maxBitrate: 1_000_000}]);
  await settle();
  expect(offers()).toBe(2);
  expect(peer.hasSenderFor(camera)).toBe(true);
  peer.destroy();
});

test('starting a screen share makes one offer', async () => {
  const {peer, offers} = await connectedPeer();
  const screen = track('video');
  await peer.addScreenStream(stream(screen), [{maxBitrate: 1_000_000}]);
  await settle();
  expect(offers()).toBe(2);
  peer.destroy();
});
