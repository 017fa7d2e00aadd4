// A shared screen's sound plays from a hidden <audio> element; when the sharer stops, the SFU stops forwarding the
// track and Chromium removes it from the sender's stream (the track is muted, not ended). The element must go then.
import {CallAudio} from './call_audio';
import {RemoteScreen} from './remote_screen';
import {RemoteTracks, type RemoteTrackInfo} from './rtc_remote_tracks';

/** jsdom has no MediaStream: an EventTarget holding tracks, as much of one as the client uses. */
class FakeStream extends EventTarget {
  readonly #tracks: MediaStreamTrack[];
  constructor(
    tracks: MediaStreamTrack[] = [],
    readonly id = 'stream',
  ) {
    super();
    this.#tracks = [...tracks];
  }
  getTracks() {
    return [...this.#tracks];
  }
  removeTrack(t: MediaStreamTrack) {
    this.#tracks.splice(this.#tracks.indexOf(t), 1);
  }
}

function fakeTrack(id: string, kind: 'audio' | 'video'): MediaStreamTrack {
  return Object.assign(new EventTarget(), {id, kind}) as unknown as MediaStreamTrack;
}

/** The sender's stream loses a track, as Chromium reports it when a renegotiation stops that track. */
function removeFromSender(sender: FakeStream, track: MediaStreamTrack) {
  sender.removeTrack(track);
  sender.dispatchEvent(Object.assign(new Event('removetrack'), {track}));
}

const log = {debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn()};

let received: Array<[MediaStreamTrack, MediaStream, RemoteTrackInfo]>;
let tracks: RemoteTracks;

beforeAll(() => {
  (globalThis as unknown as {MediaStream: unknown}).MediaStream = FakeStream;
  // jsdom cannot play media.
  HTMLMediaElement.prototype.play = () => Promise.resolve();
});

beforeEach(() => {
  received = [];
  tracks = new RemoteTracks((...args) => received.push(args), log);
  document.body.innerHTML = '';
});

function arrive(track: MediaStreamTrack, sender: FakeStream) {
  tracks.onTrack({
    track,
    streams: [sender as unknown as MediaStream],
    transceiver: {mid: null},
  } as unknown as RTCTrackEvent);
}

test("a screen's sound that leaves the sender's stream leaves the page, the sharer's voice plays on", () => {
  const audio = new CallAudio({log, isClosed: () => false, isMuted: () => true, replaceMicTrack: async () => {}});
  const voice = fakeTrack('voice_abc', 'audio');
  const screenAudio = fakeTrack('screen-audio_abc', 'audio');
  const sender = new FakeStream([voice, screenAudio], 'session-1');
  arrive(voice, sender);
  arrive(screenAudio, sender);
  expect(received.map(([t, , info]) => [t.id, info.type, info.senderSessionID])).toEqual([
    ['voice_abc', 'voice', 'session-1'],
    ['screen-audio_abc', 'screen-audio', 'session-1'],
  ]);
  for (const [t, s] of received) {
    audio.play(t, s);
  }
  const played = () => Array.from(document.querySelectorAll('audio')).map((el) => el.dataset.testid);
  expect(played()).toEqual(['voice_abc', 'screen-audio_abc']);

  removeFromSender(sender, screenAudio);
  expect(played()).toEqual(['voice_abc']);

  // The SFU reuses the transceiver for the next share: the same track plays again, once.
  sender.dispatchEvent(Object.assign(new Event('addtrack'), {track: screenAudio}));
  arrive(screenAudio, sender);
  audio.play(received[2][0], received[2][1]);
  expect(played()).toEqual(['voice_abc', 'screen-audio_abc']);
  audio.stopPlayback();
  expect(played()).toEqual([]);
});

test("a shared screen that leaves the sender's stream is no longer shown", () => {
  const changes: Array<MediaStream | null> = [];
  const screen = new RemoteScreen((s) => changes.push(s));
  const video = fakeTrack('screen_abc', 'video');
  const sender = new FakeStream([video], 'session-1');
  arrive(video, sender);
  const [[t, s]] = received;
  screen.show(t, s);
  expect(screen.stream).toBe(s);
  removeFromSender(sender, video);
  expect(screen.stream).toBeNull();
  expect(changes).toEqual([s, null]);
});
