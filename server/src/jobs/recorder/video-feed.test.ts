// The recording's one video stream in time: the slate repeated about once a second with no longer gap, and the
// picture on show written again when the recording stops, so the video runs as long as the audio.
import {VideoFeed} from './video-feed';

const slate = Buffer.from('slate');

function feed(now: () => number) {
  const writes: {pts: number; keyframe: boolean; data: string}[] = [];
  const keyframeRequests: number[] = [];
  const f = new VideoFeed(
    (frame, pts, keyframe) => writes.push({pts, keyframe, data: frame.toString()}),
    () => keyframeRequests.push(now()),
    now,
  );
  return {f, writes, keyframeRequests};
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('repeats a still slate about once a second even when its timer fires a little before the clock says', () => {
  // The clock reads 0.1 % behind the timers: each one-second timer fires when a second has not quite passed.
  const {f, writes} = feed(() => Date.now() * 0.999);
  f.start(0);
  f.setSlate(slate);
  jest.advanceTimersByTime(10_000);
  f.stop();
  const gaps = writes.slice(1).map((w, i) => w.pts - writes[i].pts);
  expect(writes.length).toBeGreaterThanOrEqual(10);
  for (const gap of gaps) expect(gap).toBeLessThan(1100);
});

it('writes the slate again at the stop time, so the video does not end at the last repeat', () => {
  const {f, writes} = feed(() => Date.now());
  f.start(Date.now());
  f.setSlate(slate);
  jest.advanceTimersByTime(2_600);
  f.stop();
  expect(writes.map((w) => w.pts)).toEqual([0, 1000, 2000, 2600]);
  expect(writes.every((w) => w.keyframe && w.data === 'slate')).toBe(true);
  // Nothing after the stop.
  jest.advanceTimersByTime(5_000);
  expect(writes).toHaveLength(4);
});

it('after a share ends the slate is back at once; a share whose last frame is not a keyframe is not repeated', () => {
  const {f, writes, keyframeRequests} = feed(() => Date.now());
  f.start(Date.now());
  f.setSlate(slate);
  f.screenStarted('alice');
  jest.advanceTimersByTime(100);
  f.screenFrame('alice', {data: Buffer.from('delta'), keyframe: false});
  expect(writes).toHaveLength(1); // not shown before a keyframe
  f.screenFrame('alice', {data: Buffer.from('key'), keyframe: true});
  jest.advanceTimersByTime(50);
  f.screenFrame('alice', {data: Buffer.from('delta'), keyframe: false});
  // An idle screen whose last frame is a delta: a keyframe is asked for instead of repeating it.
  jest.advanceTimersByTime(1_200);
  expect(keyframeRequests.length).toBeGreaterThan(0);
  expect(writes.map((w) => w.data)).toEqual(['slate', 'key', 'delta']);
  f.screenStopped('alice');
  expect(writes.at(-1)).toMatchObject({data: 'slate', keyframe: true, pts: 1350});
  jest.advanceTimersByTime(300);
  f.stop();
  expect(writes.at(-1)).toMatchObject({data: 'slate', pts: 1650});
});
