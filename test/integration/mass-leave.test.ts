// Many sessions of one call failing together, over real websockets against a real server, on SQLite and on
// PostgreSQL (media is the recording double, which fails them in one synchronous loop as ICE consent expiring for a
// batch of peers does): a participant who stays sees exactly one user_left per failed session and one host change.
import {CALLS, type WsTestClient} from '../support/calls-client';
import {type World, useSeededServer} from '../support/fixtures';
import {engines, type TestServer} from '../support/server';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(60_000);

describe.each(engines())('mass leave on %s', (engine) => {
  let srv: TestServer;
  let w: World;
  const {connect} = useSeededServer({engine, env: {MM_CALLS_DEFAULT_ENABLED: 'true'}}, (s, world) => {
    srv = s;
    w = world;
  });

  test('18 of 20 sessions failing together: one user_left each to those who stay, one host change, the call goes on', async () => {
    const ch = await w.newChannel(['alice', 'bob', 'carol', 'dave']);
    // Six sessions each for alice (the host: she joins first), bob and carol; dave's two stay.
    const failing: WsTestClient[] = [];
    for (const who of ['alice', 'bob', 'carol'] as const) for (let i = 0; i < 6; i++) failing.push(await connect(who));
    const staying = [await connect('dave'), await connect('dave')];
    for (const c of [...failing, ...staying]) await c.join(ch);
    const eventsBefore = staying.map((c) => c.events.length);

    for (const c of failing) srv.rtc!.raiseFailure(c.originalConnID);

    const failed = failing.map((c) => c.originalConnID).sort();
    for (const [i, c] of staying.entries()) {
      await waitFor(() => c.received('user_left').length >= failed.length, 20_000, 'a user_left per failed session');
      await waitFor(
        () => c.events.slice(eventsBefore[i]).some((e) => e.event === CALLS + 'call_host_changed'),
        5000,
        'the host change',
      );
      // Nothing more is on its way.
      await sleep(300);
      const after = c.events.slice(eventsBefore[i]);
      const left = after.filter((e) => e.event === CALLS + 'user_left').map((e) => e.data.session_id);
      expect(left.sort()).toEqual(failed);
      const hostChanges = after.filter((e) => e.event === CALLS + 'call_host_changed');
      expect(hostChanges.map((e) => e.data.hostID)).toEqual([w.users.dave.user.id]);
    }
    const call = await srv.app.store.calls.getActiveCallByChannel(ch);
    expect(call?.props.hosts).toEqual([w.users.dave.user.id]);
    expect((await srv.app.store.calls.getSessions(call!.id)).map((s) => s.id).sort()).toEqual(
      staying.map((c) => c.originalConnID).sort(),
    );
  });
});
