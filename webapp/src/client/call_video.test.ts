// The camera's life in a call against a scripted peer: video_on before the track is added, one sender for the whole
// call (stop = replaceTrack(null), restart = replaceTrack(new)), the camera released on stop and when the browser ends
// the track, the saved camera used, and a denied camera reported without touching the call.
import {CameraVideo} from './call_video';
import {VIDEO_INPUT_STORAGE_KEY} from './devices';
import type {RTCPeer} from './rtc_peer';

class FakeTrack extends EventTarget {
  readonly kind = 'video';
  readyState: 'live' | 'ended' = 'live';
  constructor(readonly id: string) {
    super();
  }
  stop() {
    this.readyState = 'ended';
  }
}

let streams = 0;
class FakeMediaStream {
  readonly id = `stream${++streams}`;
  #tracks: FakeTrack[] = [];
  constructor(tracks: FakeTrack[] = []) {
    this.#tracks = [...tracks];
  }
  addTrack(t: FakeTrack) {
    this.#tracks.push(t);
  }
  removeTrack(t: FakeTrack) {
    this.#tracks = this.#tracks.filter((x) => x !== t);
  }
  getVideoTracks() {
    return this.#tracks;
  }
  getTracks() {
    return this.#tracks;
  }
}

const quiet = {debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined};
let captured: FakeTrack[];
let getUserMedia: jest.Mock;

beforeEach(() => {
  captured = [];
  (globalThis as unknown as {MediaStream: unknown}).MediaStream = FakeMediaStream;
  getUserMedia = jest.fn(async () => {
    const t = new FakeTrack(`cam${captured.length + 1}`);
    captured.push(t);
    return new FakeMediaStream([t]);
  });
  Object.defineProperty(navigator, 'mediaDevices', {
    configurable: true,
    value: {
      getUserMedia,
      enumerateDevices: async () => [
        {kind: 'videoinput', deviceId: 'front', label: 'Front camera'},
        {kind: 'videoinput', deviceId: 'back', label: 'Back camera'},
      ],
    },
  });
  window.localStorage.clear();
});

function setup() {
  const calls: string[] = [];
  const sent: Array<{action: string; data?: Record<string, unknown>}> = [];
  const peer = {
    addVideoTrack: jest.fn(async (t: FakeTrack, s: FakeMediaStream, enc: RTCRtpEncodingParameters[]) => {
      calls.push(`add ${t.id} in ${s.id} at ${enc[0].maxBitrate}`);
    }),
    replaceTrack: jest.fn(async (old: FakeTrack, next: FakeTrack | null) => {
      calls.push(`replace ${old.id} -> ${next ? next.id : 'null'}`);
    }),
    removeTracks: jest.fn(),
  };
  const cam = new CameraVideo({
    log: quiet,
    isClosed: () => false,
    peer: () => peer as unknown as RTCPeer,
    send: (action, data) => {
      calls.push(action);
      sent.push({action, data});
    },
  });
  return {cam, peer, calls, sent};
}

test('on, off, on: video_on first, one sender kept, the camera stopped when off', async () => {
  const {cam, peer, calls, sent} = setup();
  const streamsSeen: Array<unknown> = [];
  cam.on('localVideoStream', (s) => streamsSeen.push(s));

  await cam.start();
  expect(getUserMedia).toHaveBeenLastCalledWith({
    audio: false,
    video: {width: {ideal: 640}, height: {ideal: 360}, frameRate: {ideal: 30}},
  });
  const streamID = JSON.parse(String(sent[0].data?.data)).videoStreamID;
  expect(calls).toEqual(['video_on', `add cam1 in ${streamID} at 1000000`]);
  expect(cam.active).toBe(true);

  await cam.stop();
  expect(captured[0].readyState).toBe('ended');
  expect(calls.slice(2)).toEqual(['replace cam1 -> null', 'video_off']);
  expect(cam.stream).toBeNull();

  await cam.start();
  // Same stream id (the transceiver's msid), same sender: the new capture replaces nothing but the null.
  expect(JSON.parse(String(sent[2].data?.data)).videoStreamID).toBe(streamID);
  expect(calls.slice(4)).toEqual(['video_on', 'replace cam1 -> cam2']);
  expect(peer.addVideoTrack).toHaveBeenCalledTimes(1);
  expect(peer.removeTracks).not.toHaveBeenCalled();
  expect(streamsSeen.map((s) => (s ? 'on' : 'off'))).toEqual(['on', 'off', 'on']);
});

test('the browser ending the camera track is a stop; release() stops without telling anyone', async () => {
  const {cam, calls} = setup();
  await cam.start();
  captured[0].stop();
  captured[0].dispatchEvent(new Event('ended'));
  await new Promise((r) => setTimeout(r, 0));
  expect(calls).toContain('video_off');
  expect(cam.active).toBe(false);

  await cam.start();
  cam.release();
  expect(captured[1].readyState).toBe('ended');
  expect(calls.filter((c) => c === 'video_off')).toHaveLength(1);
});

test('the saved camera is used, and switching while on replaces the track in the same sender', async () => {
  window.localStorage.setItem(VIDEO_INPUT_STORAGE_KEY, JSON.stringify({deviceId: 'back', label: 'Back camera'}));
  getUserMedia.mockImplementationOnce(async () => new FakeMediaStream([new FakeTrack('probe')]));
  const {cam, calls} = setup();
  await cam.init();
  expect(cam.currentCamera?.deviceId).toBe('back');
  await cam.start();
  expect(getUserMedia).toHaveBeenLastCalledWith(
    expect.objectContaining({video: expect.objectContaining({deviceId: {exact: 'back'}})}),
  );
  await cam.setCamera(cam.cameras[0]);
  expect(captured[0].readyState).toBe('ended');
  expect(calls).toContain('replace cam1 -> cam2');
  expect(JSON.parse(window.localStorage.getItem(VIDEO_INPUT_STORAGE_KEY)!).deviceId).toBe('front');
});

test('a denied camera is reported and nothing is sent', async () => {
  getUserMedia.mockRejectedValue(Object.assign(new Error('denied'), {name: 'NotAllowedError'}));
  const {cam, calls} = setup();
  const errors: string[] = [];
  cam.on('videoError', (k) => errors.push(k));
  await cam.start();
  expect(errors).toEqual(['permission']);
  expect(calls).toEqual([]);
  expect(cam.active).toBe(false);
});
