import {sanitizeFilename} from './filename';
import {Roster} from './roster';
import {slateText} from './slate';

describe('sanitizeFilename', () => {
  it('replaces what upstream replaces and adds .mp4', () => {
    expect(sanitizeFilename('Call_Town hall: Q1/Q2?_2024-01-01_10-00-00')).toBe(
      'Call_Town_hall__Q1_Q2__2024-01-01_10-00-00.mp4',
    );
  });
  it('cannot climb out of the data directory', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('__.._etc_passwd.mp4');
    expect(sanitizeFilename('')).toBe('recording.mp4');
  });
});

describe('slate', () => {
  it('marks speakers and neutralises control characters in names', () => {
    const text = slateText({
      title: 'Weekly\nsync',
      participants: [
        {name: 'alice', speaking: true},
        {name: 'bob\u0007', speaking: false},
      ],
    });
    expect(text.split('\n')).toEqual(['Weekly sync', '', '▶ alice  (speaking)', '   bob']);
  });

  it('follows the call events', () => {
    const r = new Roster();
    r.title = 'T';
    r.apply('call_state', {call: JSON.stringify({sessions: [{session_id: 's1', user_id: 'u1'}]})});
    r.setName('u1', 'alice');
    expect(r.apply('user_joined', {user_id: 'u2', session_id: 's2'})).toBe(true);
    expect(r.apply('user_voice_on', {userID: 'u2', session_id: 's2'})).toBe(true);
    expect(r.slate().participants).toEqual([
      {name: 'alice', speaking: false},
      {name: 'user u2', speaking: true},
    ]);
    expect(r.apply('user_left', {user_id: 'u1', session_id: 's1'})).toBe(true);
    expect(r.slate().participants).toEqual([{name: 'user u2', speaking: true}]);
    expect(r.apply('call_state', {call: 'not json'})).toBe(false);
  });
});
