// The resume buffer of one connection: a client that reconnects with the last sequence number it saw gets every
// later event, in order and numbered as first sent, as long as the buffer still holds them; older ones are gone
// after 128 events or 256 KB, a large event for one user is not kept, and a resume from before that is refused (the
// client starts a new connection).
import {Connection, MAX_KEPT_PRIVATE_EVENT_BYTES} from './connection';
import type {WebSocketEvent} from './types';

const event = (n: number, size = 0): WebSocketEvent => ({
  event: 'custom_com.mattermost.calls_user_joined',
  data: {n, pad: 'x'.repeat(size)},
  broadcast: {omit_users: null, user_id: '', channel_id: 'c', team_id: '', connection_id: ''},
});

const newConnection = () => new Connection('conn', 'user', 'token', {perSecond: 10, burst: 10});

const numbers = (frames: Iterable<string>) =>
  [...frames].map((f) => {
    const parsed = JSON.parse(f) as {seq: number; data: {n: number}};
    return [parsed.seq, parsed.data.n];
  });

it('replays what was sent after the given sequence number, with the numbers it was first sent with', () => {
  const conn = newConnection();
  for (let n = 0; n < 5; n++) conn.send(event(n));
  expect(conn.canResumeFrom(2)).toBe(true);
  expect(numbers(conn.resumeFrom(2))).toEqual([
    [2, 2],
    [3, 3],
    [4, 4],
  ]);
  expect(conn.canResumeFrom(5)).toBe(true);
  expect([...conn.resumeFrom(5)]).toEqual([]);
  expect(conn.canResumeFrom(6)).toBe(false);
  expect(conn.canResumeFrom(-1)).toBe(false);
});

it('keeps the last 128 events: a resume from before them is refused, one from the oldest kept replays 128', () => {
  const conn = newConnection();
  for (let n = 0; n < 300; n++) conn.send(event(n));
  expect(conn.canResumeFrom(171)).toBe(false);
  expect(conn.canResumeFrom(172)).toBe(true);
  const replayed = numbers(conn.resumeFrom(172));
  expect(replayed).toHaveLength(128);
  expect(replayed[0]).toEqual([172, 172]);
  expect(replayed[127]).toEqual([299, 299]);
});

it('keeps at most 256 KB of events, and always the last one', () => {
  const conn = newConnection();
  for (let n = 0; n < 10; n++) conn.send(event(n, 60 * 1024));
  // Four of about 60 KB fit in 256 KB.
  expect(conn.canResumeFrom(5)).toBe(false);
  expect(numbers(conn.resumeFrom(6)).map(([seq]) => seq)).toEqual([6, 7, 8, 9]);
  conn.send(event(10, 300 * 1024));
  expect(conn.canResumeFrom(9)).toBe(false);
  expect(numbers(conn.resumeFrom(10))).toEqual([[10, 10]]);
  // Over the limit with the next event: the large one goes, the new one stays.
  conn.send(event(11));
  expect(conn.canResumeFrom(10)).toBe(false);
  expect(numbers(conn.resumeFrom(11))).toEqual([[11, 11]]);
});

it("does not keep a large event for one user (a big call's call_state): a resume from before it is refused", () => {
  const conn = newConnection();
  const forUser = (n: number, size: number): WebSocketEvent => ({
    event: 'custom_com.mattermost.calls_call_state',
    data: {n, pad: 'x'.repeat(size)},
    broadcast: {omit_users: null, user_id: 'user', channel_id: '', team_id: '', connection_id: ''},
  });
  for (let n = 0; n < 3; n++) conn.send(event(n));
  // Small ones for the user are kept like any other.
  conn.send(forUser(3, 1024));
  expect(numbers(conn.resumeFrom(2)).map(([seq]) => seq)).toEqual([2, 3]);
  conn.send(forUser(4, MAX_KEPT_PRIVATE_EVENT_BYTES));
  expect(conn.canResumeFrom(4)).toBe(false);
  expect(conn.canResumeFrom(2)).toBe(false);
  // A client that got it resumes from after it, with the events that followed.
  expect(conn.canResumeFrom(5)).toBe(true);
  conn.send(event(5));
  conn.send(event(6));
  expect(numbers(conn.resumeFrom(5))).toEqual([
    [5, 5],
    [6, 6],
  ]);
  expect(conn.canResumeFrom(4)).toBe(false);
});

it('keeps a large event for a channel: its text is shared by every connection of the channel', () => {
  const conn = newConnection();
  conn.send(event(0));
  conn.send(event(1, MAX_KEPT_PRIVATE_EVENT_BYTES * 2));
  expect(numbers(conn.resumeFrom(0))).toEqual([
    [0, 0],
    [1, 1],
  ]);
});
