import type {Call, CallSession} from '../store/types';
import {clientCallState, computeHost} from './state';

const call = (props: Call['props'] = {}): Call => ({
  id: 'c',
  channelId: 'ch',
  startAt: 1,
  endAt: 0,
  createAt: 1,
  deleteAt: 0,
  title: '',
  postId: 'p',
  threadId: 'p',
  ownerId: 'u1',
  participants: [],
  stats: {screen_duration: 0, video_duration: 0, has_used_video: false, has_used_screen_share: false},
  props,
});
const s = (id: string, userId: string, joinAt: number): CallSession => ({
  id,
  callId: 'c',
  userId,
  joinAt,
  unmuted: false,
  raisedHand: 0,
  video: false,
});

test('host: locked host if present, else current host if present, else earliest joiner; bots never', () => {
  const sessions = [s('s2', 'u2', 20), s('s1', 'u1', 10), s('s3', 'bot', 5)];
  expect(computeHost(call(), sessions, 'bot')).toBe('u1');
  expect(computeHost(call({hosts: ['u2']}), sessions, 'bot')).toBe('u2');
  expect(computeHost(call({hosts: ['gone']}), sessions, 'bot')).toBe('u1');
  expect(computeHost(call({hosts: ['u1'], host_locked_user_id: 'u2'}), sessions, 'bot')).toBe('u2');
  expect(computeHost(call({host_locked_user_id: 'gone'}), sessions, 'bot')).toBe('u1');
  expect(computeHost(call(), [], 'bot')).toBe('');
});

test('client state hides bots and shows dismissal only to the user who dismissed', () => {
  const c = call({hosts: ['u1'], dismissed_notification: {u2: true}, screen_sharing_session_id: 's1'});
  const st = clientCallState(c, [s('s1', 'u1', 1), s('b', 'bot', 2)], [], 'u2', 'bot');
  expect(st).toEqual({
    id: 'c',
    start_at: 1,
    sessions: [{session_id: 's1', user_id: 'u1', unmuted: false, raised_hand: 0, video: false}],
    thread_id: 'p',
    post_id: 'p',
    screen_sharing_session_id: 's1',
    owner_id: 'u1',
    host_id: 'u1',
    dismissed_notification: {u2: true},
  });
  expect(clientCallState(c, [], [], 'u1').dismissed_notification).toBeUndefined();
});
