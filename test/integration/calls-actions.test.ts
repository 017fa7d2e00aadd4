// Per-session actions: what reaches the media layer and what every participant is told.
import {type WsTestClient} from '../support/calls-client';
import {callOf, useCallChannel} from '../support/fixtures';
import {sleep} from '../support/wait';

jest.setTimeout(30_000);

describe('calls actions', () => {
  let outsider: WsTestClient;
  const fixture = useCallChannel({}, ['alice', 'bob'], async ({w}) => {
    // carol is a channel member but not in the call: participant-only events skip her.
    outsider = await w.connect('carol');
  });

  const inbound = (sessionID: string) => fixture.srv.rtc!.inbound.filter((m) => m.sessionID === sessionID);

  test('sdp and ice go to the media layer as parsed objects', async () => {
    const {bob} = fixture;
    bob.sendSDP({type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n'});
    bob.send('ice', {
      data: JSON.stringify({
        candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
        usernameFragment: 'abcd',
      }),
    });
    await sleep(200);
    expect(inbound(bob.connID).slice(-2)).toEqual([
      {sessionID: bob.connID, type: 'sdp', data: {type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n'}},
      {
        sessionID: bob.connID,
        type: 'ice',
        data: {
          candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
          sdpMid: '0',
          sdpMLineIndex: 0,
          usernameFragment: 'abcd',
        },
      },
    ]);
  });

  test('mute/unmute reach media, persist, and are announced to participants only', async () => {
    const {srv, w, ch, alice, bob} = fixture;
    bob.send('unmute');
    const ev = await alice.waitFor('user_unmuted', (e) => e.data.session_id === bob.connID);
    expect(ev.data).toEqual({userID: w.users.bob.user.id, session_id: bob.connID, channelID: ch});
    expect(inbound(bob.connID).at(-1)).toEqual({sessionID: bob.connID, type: 'unmute'});
    expect((await srv.app.store.calls.getSession(bob.connID))!.unmuted).toBe(true);
    bob.send('mute');
    await alice.waitFor('user_muted', (e) => e.data.session_id === bob.connID);
    await sleep(100);
    expect(outsider.received('user_unmuted')).toHaveLength(0);
  });

  test('screen_on announces the sharer and gives media the stream id; one sharer at a time; only the sharer stops', async () => {
    const {srv, w, ch, alice, bob} = fixture;
    bob.send('screen_on', {data: JSON.stringify({screenStreamID: '{stream-abc}'})});
    const on = await alice.waitFor('user_screen_on');
    expect(on.data).toEqual({userID: w.users.bob.user.id, session_id: bob.connID, channelID: ch});
    expect(inbound(bob.connID).at(-1)).toEqual({
      sessionID: bob.connID,
      type: 'screen_on',
      data: {screenStreamID: '{stream-abc}'},
    });
    alice.send('screen_on', {data: JSON.stringify({screenStreamID: 'other'})});
    const refused = await alice.waitFor('error', (e) => e.data.id === 'app.calls.screen_already_shared');
    expect(refused.data.data).toBe('another session is already sharing its screen');
    alice.send('screen_off');
    await alice.waitFor('error', (e) => e.data.id === 'app.calls.not_sharing');
    alice.send('call_state', {channelID: ch});
    expect(
      callOf(await alice.waitFor('call_state', (e) => callOf(e).screen_sharing_session_id !== ''))
        .screen_sharing_session_id,
    ).toBe(bob.connID);
    bob.send('screen_off');
    const off = await alice.waitFor('user_screen_off');
    expect(off.data).toEqual({userID: w.users.bob.user.id, session_id: bob.connID, channelID: ch});
    const call = await srv.app.store.calls.getActiveCallByChannel(ch);
    expect(call!.stats.has_used_screen_share).toBe(true);
    expect(call!.props.screen_sharing_session_id).toBe('');
  });

  test('a sharer who leaves ends the share with an empty user_screen_off', async () => {
    const {w, ch, alice} = fixture;
    const carolInCall = await w.connect('carol');
    await carolInCall.join(ch);
    carolInCall.send('screen_on', {data: JSON.stringify({screenStreamID: 's2'})});
    await alice.waitFor('user_screen_on', (e) => e.data.session_id === carolInCall.connID);
    const since = alice.events.length;
    carolInCall.send('leave');
    const off = await alice.waitFor('user_screen_off', undefined, 3000, since);
    expect(off.data).toEqual({channelID: ch});
    await carolInCall.close();
  });

  test('screen sharing can be turned off by the admin', async () => {
    const {srv, bob} = fixture;
    await srv.app.config.save({AllowScreenSharing: false});
    try {
      bob.send('screen_on', {data: JSON.stringify({screenStreamID: 's3'})});
      await bob.waitFor('error', (e) => e.data.id === 'app.calls.screen_sharing_disabled');
    } finally {
      await srv.app.config.save({AllowScreenSharing: true});
    }
  });

  test('video on/off in a DM with EnableVideo persist on the session and are announced', async () => {
    const {srv, w} = fixture;
    await srv.app.config.save({EnableVideo: true});
    const [aliceDM, bobDM] = await w.joinAll(w.channels.dm, 'alice', 'bob');
    try {
      bobDM.send('video_on', {data: JSON.stringify({videoStreamID: 'cam-1'})});
      const on = await aliceDM.waitFor('user_video_on');
      expect(on.data).toEqual({userID: w.users.bob.user.id, session_id: bobDM.connID, channelID: w.channels.dm});
      expect(inbound(bobDM.connID).at(-1)).toEqual({
        sessionID: bobDM.connID,
        type: 'video_on',
        data: {videoStreamID: 'cam-1'},
      });
      expect((await srv.app.store.calls.getSession(bobDM.connID))!.video).toBe(true);
      bobDM.send('video_off');
      await aliceDM.waitFor('user_video_off', (e) => e.data.session_id === bobDM.connID);
      expect((await srv.app.store.calls.getSession(bobDM.connID))!.video).toBe(false);
    } finally {
      for (const c of [aliceDM, bobDM]) c.send('leave');
      await srv.app.config.save({EnableVideo: false});
    }
  });

  test('a camera is refused in a channel call, and anywhere while EnableVideo is off', async () => {
    const {srv, bob} = fixture;
    const cam = {data: JSON.stringify({videoStreamID: 'cam-2'})};
    await srv.app.config.save({EnableVideo: true});
    try {
      bob.send('video_on', cam);
      await bob.waitFor('error', (e) => e.data.id === 'app.calls.video_not_allowed');
    } finally {
      await srv.app.config.save({EnableVideo: false});
    }
    bob.send('video_on', cam);
    await bob.waitFor('error', (e) => e.data.id === 'app.calls.video_disabled');
    expect(inbound(bob.connID).some((m) => m.type === 'video_on')).toBe(false);
    expect((await srv.app.store.calls.getSession(bob.connID))!.video).toBe(false);
  });

  test('raise hand carries the time it was raised; lowering sends 0', async () => {
    const {w, ch, alice, bob} = fixture;
    const before = Date.now();
    alice.send('raise_hand');
    const up = await bob.waitFor('user_raise_hand');
    expect(up.data.raised_hand).toBeGreaterThanOrEqual(before);
    expect(up.data.userID).toBe(w.users.alice.user.id);
    alice.send('unraise_hand');
    const down = await bob.waitFor('user_unraise_hand');
    expect(down.data).toEqual({userID: w.users.alice.user.id, session_id: alice.connID, raised_hand: 0, channelID: ch});
  });

  test('reactions reach every participant with all emoji keys', async () => {
    const {w, ch, alice, bob} = fixture;
    alice.send('react', {data: JSON.stringify({name: 'tada', unified: '1f389'})});
    const ev = await bob.waitFor('user_reacted');
    expect(ev.data).toEqual({
      user_id: w.users.alice.user.id,
      session_id: alice.connID,
      channelID: ch,
      timestamp: expect.any(Number),
      emoji: {name: 'tada', skin: '', unified: '1f389', literal: ''},
    });
  });

  test('actions from a connection that is not in a call are ignored', async () => {
    const {srv, w, alice} = fixture;
    const before = srv.rtc!.inbound.length;
    outsider.send('mute');
    outsider.send('raise_hand');
    await sleep(200);
    expect(srv.rtc!.inbound.length).toBe(before);
    expect(alice.received('user_raise_hand').filter((e) => e.data.userID === w.users.carol.user.id)).toHaveLength(0);
  });
});
