// Host controls (reference §8.1) over the real API and websockets.
import {api} from '../support/calls-client';
import {callOf, type World, useCallChannel} from '../support/fixtures';
import {sleep} from '../support/wait';

jest.setTimeout(30_000);
const P = '/plugins/com.mattermost.calls';

describe('host controls', () => {
  const fixture = useCallChannel({perTest: true, timings: {hostRemoveForceCloseMs: 300}}, ['alice', 'bob', 'carol']);

  const host = (who: World['users'][keyof World['users']], action: string, body?: unknown) =>
    api(fixture.srv.url, who.token, 'POST', `${P}/calls/${fixture.ch}/host/${action}`, body);

  test('only the host or an admin may use them', async () => {
    const {w} = fixture;
    const r = await host(w.users.bob, 'mute-others');
    expect(r.status).toBe(400);
    expect(r.body).toEqual(expect.objectContaining({id: 'app.calls.no_permissions', message: 'no permissions'}));
    expect((await host(w.users.admin, 'mute-others')).status).toBe(200);
    // dave can read the public channel but is not in the call, let alone its host.
    expect((await host(w.users.dave, 'mute-others')).body.id).toBe('app.calls.no_permissions');
  });

  test('make host locks the host to the new user and announces it', async () => {
    const {w, ch, carol} = fixture;
    const r = await host(w.users.alice, 'make', {new_host_id: w.users.bob.user.id});
    expect(r.status).toBe(200);
    const ev = await carol.waitFor('call_host_changed', (e) => e.data.hostID === w.users.bob.user.id);
    expect(ev.data.call_id).toBeTruthy();
    // Locked: alice leaving and coming back does not take it back.
    const notIn = await host(w.users.bob, 'make', {new_host_id: w.users.dave.user.id});
    expect(notIn.body.message).toBe('requested session or user is not in the call');
    carol.send('call_state', {channelID: ch});
    const st = callOf(await carol.waitFor('call_state', (e) => callOf(e).host_id === w.users.bob.user.id));
    expect(st.host_id).toBe(w.users.bob.user.id);
  });

  test('mute asks the target to mute; mute-others asks every unmuted session but the host', async () => {
    const {w, ch, alice, bob, carol} = fixture;
    bob.send('unmute');
    carol.send('unmute');
    await alice.waitFor('user_unmuted', (e) => e.data.session_id === carol.connID);
    await alice.waitFor('user_unmuted', (e) => e.data.session_id === bob.connID);
    expect((await host(w.users.alice, 'mute', {session_id: bob.connID})).status).toBe(200);
    const m = await bob.waitFor('host_mute');
    expect(m.data).toEqual({channel_id: ch, session_id: bob.connID, channelID: ch});
    await host(w.users.alice, 'mute-others');
    await carol.waitFor('host_mute', (e) => e.data.session_id === carol.connID);
    await sleep(200);
    expect(alice.received('host_mute')).toHaveLength(0);
  });

  test('screen-off and lower-hand only apply to a sharer / a raised hand', async () => {
    const {w, ch, alice, bob, carol} = fixture;
    expect((await host(w.users.alice, 'screen-off', {session_id: bob.connID})).status).toBe(400);
    bob.send('screen_on', {data: JSON.stringify({screenStreamID: 'stream-1'})});
    await alice.waitFor('user_screen_on');
    expect((await host(w.users.alice, 'screen-off', {session_id: bob.connID})).status).toBe(200);
    expect((await bob.waitFor('host_screen_off')).data.session_id).toBe(bob.connID);
    expect((await host(w.users.alice, 'lower-hand', {session_id: carol.connID})).status).toBe(400);
    carol.send('raise_hand');
    await alice.waitFor('user_raise_hand');
    expect((await host(w.users.alice, 'lower-hand', {session_id: carol.connID})).status).toBe(200);
    const ev = await carol.waitFor('host_lower_hand');
    expect(ev.data).toEqual(
      expect.objectContaining({channel_id: ch, session_id: carol.connID, host_id: w.users.alice.user.id}),
    );
  });

  test('remove tells everyone, then takes the session out if it does not leave', async () => {
    const {w, ch, bob, carol} = fixture;
    expect((await host(w.users.alice, 'remove', {session_id: carol.connID})).status).toBe(200);
    const ev = await bob.waitFor('host_removed');
    expect(ev.data).toEqual(
      expect.objectContaining({channel_id: ch, session_id: carol.connID, user_id: w.users.carol.user.id}),
    );
    await bob.waitFor('user_left', (e) => e.data.session_id === carol.connID, 3000);
    expect((await host(w.users.alice, 'remove', {session_id: 'nobody'})).status).toBe(400);
    expect((await host(w.users.alice, 'remove', {})).status).toBe(400);
  });
});
