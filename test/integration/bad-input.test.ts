// Bad input from clients: every malformed frame, action or body gets a clear error with an id; the
// sender's other sessions and everyone else's carry on, and the process never goes down.
import {deflateSync} from 'node:zlib';
import {encode} from '@msgpack/msgpack';
import WebSocket from 'ws';
import {api, CALLS} from '../support/calls-client';
import {useCallChannel} from '../support/fixtures';
import {sleep, waitFor} from '../support/wait';

jest.setTimeout(30_000);

const P = '/plugins/com.mattermost.calls';

describe('bad input', () => {
  const fixture = useCallChannel({}, ['alice', 'bob']);

  /** The call still works for both: a state change by bob reaches alice. */
  async function stillWorks() {
    const {alice, bob} = fixture;
    const since = alice.events.length;
    bob.send('raise_hand');
    await alice.waitFor('user_raise_hand', (e) => e.data.session_id === bob.connID, 10_000, since);
    bob.send('unraise_hand');
    expect((await alice.ping(10_000)).status).toBe('OK');
  }

  test('malformed frames get a FAIL reply naming the problem', async () => {
    const {bob} = fixture;
    for (const [frame, msg] of [
      ['{not json', 'frame is not valid JSON'],
      ['[1,2,3]', 'frame must be an object'],
      ['{"seq":3}', 'frame needs an "action" string'],
      ['{"action":"x","seq":4,"data":"str"}', '"data" must be an object'],
    ] as const) {
      const before = bob.replies.length;
      bob.sendRaw(frame);
      await waitFor(() => bob.replies.length > before, 10_000, 'a reply');
      const reply = bob.replies.slice(before).find((r) => r.status === 'FAIL');
      expect(reply?.error?.message).toBe(msg);
      expect(reply?.error?.id).toBe('api.web_socket_router.bad_frame.app_error');
    }
    const n = bob.replies.length;
    bob.sendRaw(Buffer.from([0xc1, 0xff, 0x00]));
    await waitFor(() => bob.replies.length > n, 10_000, 'a reply');
    expect(bob.replies.at(-1)?.error?.message).toBe('binary frame is not valid msgpack');
    await stillWorks();
  });

  test('an unknown action gets a FAIL reply; an unknown calls action gets an error event with an id', async () => {
    const {bob} = fixture;
    const seq = 9999;
    bob.sendRaw({action: 'no_such_action', seq, data: {}});
    await waitFor(() => bob.replies.some((r) => r.seq_reply === seq), 10_000, 'a reply');
    expect(bob.replies.find((r) => r.seq_reply === seq)?.error?.id).toBe('api.web_socket_router.bad_action.app_error');
    bob.send('no_such_thing', {});
    const err = await bob.waitFor('error', (e) => e.data.id === 'app.calls.ws.unknown_action');
    expect(err.data.data).toBe('unknown calls action: no_such_thing');
    // Not the fatal join error: it carries no connID.
    expect(err.data.connID).toBeUndefined();
    await stillWorks();
  });

  test('wrong types in calls actions are refused field by field', async () => {
    const {bob} = fixture;
    const cases: [string, Record<string, unknown>, string][] = [
      ['ice', {data: 42}, 'app.calls.ws.invalid_ice'],
      ['ice', {data: '{broken'}, 'app.calls.ws.invalid_ice'],
      ['ice', {data: JSON.stringify({candidate: 7})}, 'app.calls.ws.invalid_ice'],
      ['sdp', {data: 'not binary'}, 'app.calls.ws.invalid_sdp'],
      ['screen_on', {data: JSON.stringify({screenStreamID: ''})}, 'app.calls.ws.invalid_screen_on'],
      ['react', {data: JSON.stringify({name: 5})}, 'app.calls.ws.invalid_react'],
      [
        'metric',
        {metric_name: 'client_ice_candidate_pair', data: JSON.stringify({state: 'bogus'})},
        'app.calls.ws.invalid_metric',
      ],
      ['reconnect', {channelID: 'x'}, 'app.calls.ws.invalid_reconnect'],
      ['call_state', {channelID: 123}, 'app.calls.ws.invalid_call_state'],
    ];
    for (const [action, data, id] of cases) {
      const since = bob.events.length;
      bob.send(action, data);
      const err = await bob.waitFor('error', (e) => e.data.id === id, 10_000, since);
      expect(typeof err.data.data).toBe('string');
    }
    await stillWorks();
  });

  test('SDP that is not zlib, or inflates past 64 KiB, is refused for that session only', async () => {
    const {srv, bob} = fixture;
    let since = bob.events.length;
    bob.sendBinary('sdp', {data: Buffer.from('plain text, not zlib')});
    let err = await bob.waitFor('error', (e) => e.data.id === 'app.calls.ws.invalid_sdp', 10_000, since);
    expect(err.data.data).toBe('invalid sdp message: data is not zlib-compressed');
    since = bob.events.length;
    bob.sendBinary('sdp', {data: deflateSync(Buffer.alloc(200 * 1024, 'a'))});
    err = await bob.waitFor('error', (e) => e.data.id === 'app.calls.ws.invalid_sdp', 10_000, since);
    expect(err.data.data).toContain('exceeds 65536 bytes');
    since = bob.events.length;
    bob.sendBinary('sdp', {data: deflateSync(Buffer.from(JSON.stringify({type: 'bogus', sdp: 'x'})))});
    await bob.waitFor('error', (e) => e.data.id === 'app.calls.ws.invalid_sdp', 10_000, since);
    const before = srv.rtc!.inbound.length;
    bob.sendSDP({type: 'offer', sdp: 'v=0\r\n'});
    await waitFor(() => srv.rtc!.inbound.length > before, 10_000, 'the sdp at the media layer');
    expect(srv.rtc!.inbound.slice(before)).toEqual([
      {sessionID: bob.connID, type: 'sdp', data: {type: 'offer', sdp: 'v=0\r\n'}},
    ]);
    await stillWorks();
  });

  test('an oversized frame closes only that socket; the session keeps its grace and the others carry on', async () => {
    const {w} = fixture;
    const carol = await w.connect('carol');
    const closed = new Promise<number>((resolve) => {
      const ws = new WebSocket(carol.wsURL, {headers: {Authorization: `Bearer ${w.users.carol.token}`}});
      ws.on('open', () => ws.send('x'.repeat(100 * 1024)));
      ws.on('close', (code) => resolve(code));
      ws.on('error', () => undefined);
    });
    expect(await closed).toBe(1009);
    await stillWorks();
    await carol.close();
  });

  test('joining an unknown channel, or with a malformed id, is an error event with an id', async () => {
    const {w, ch} = fixture;
    const carol = await w.connect('carol');
    await expect(carol.join('abcdefghijklmnopqrstuvwxyz')).rejects.toThrow('channel not found');
    expect(carol.received('error').at(-1)?.data.id).toBe('app.calls.channel_not_found');
    await expect(carol.join('short')).rejects.toThrow('invalid join message: channelID');
    expect(carol.received('error').at(-1)?.data.id).toBe('app.calls.ws.invalid_join');
    // Joining twice on one connection is refused.
    await carol.join(ch);
    await expect(carol.join(ch)).rejects.toThrow('session is already connected');
    carol.send('leave');
    await carol.close();
    await stillWorks();
  });

  test('a socket that never authenticates is refused politely', async () => {
    const {ch, bob} = fixture;
    const ws = new WebSocket(bob.wsURL);
    const msgs: string[] = [];
    ws.on('message', (m) => msgs.push(String(m)));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({action: CALLS + 'join', seq: 1, data: {channelID: ch}}));
    ws.send(JSON.stringify({action: 'authentication_challenge', seq: 2, data: {token: 'wrong'}}));
    const code = await new Promise<number>((r) => ws.on('close', r));
    expect(code).toBe(4401);
    expect(msgs.map((m) => JSON.parse(m).error?.id)).toEqual([
      'api.web_socket_router.not_authenticated.app_error',
      'api.web_socket_router.bad_token.app_error',
    ]);
    await stillWorks();
  });

  test('HTTP: malformed JSON, wrong types, oversized bodies, unknown channels get 400/403/404/413 with an id', async () => {
    const {srv, w, ch} = fixture;
    const tok = w.users.admin.token;
    const cases: [string, string, unknown, number, string][] = [
      ['POST', `${P}/${ch}`, '{nope', 400, 'api.context.invalid_body_param.app_error'],
      ['POST', `${P}/${ch}`, {enabled: 'yes'}, 400, 'api.context.invalid_body_param.app_error'],
      ['POST', `${P}/not-an-id`, {enabled: true}, 400, 'app.calls.invalid_channel_id'],
      ['POST', `${P}/abcdefghijklmnopqrstuvwxyz`, {enabled: true}, 404, 'app.calls.channel_not_found'],
      ['GET', `${P}/calls/abcdefghijklmnopqrstuvwxyz/active`, undefined, 404, 'app.calls.channel_not_found'],
      ['POST', `${P}/calls/${w.channels.offTopic}/end`, undefined, 400, 'app.calls.no_call_ongoing'],
      ['POST', `${P}/calls/${w.channels.offTopic}/dismiss-notification`, undefined, 400, 'app.calls.no_call_ongoing'],
      [
        'POST',
        `${P}/${ch}`,
        JSON.stringify({enabled: true, pad: 'x'.repeat(1024 * 1024 + 10)}),
        413,
        'api.context.request_body_too_large.app_error',
      ],
      ['POST', '/api/v4/posts', {channel_id: ch}, 400, 'api.context.invalid_body_param.app_error'],
      // Found by the fuzz suite: stored, then its serialization overflowed the stack (500).
      [
        'POST',
        `${P}/${ch}`,
        `{"enabled":true,"props":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
        400,
        'api.context.invalid_body_param.app_error',
      ],
      [
        'PUT',
        '/api/v4/config',
        `{"PluginSettings":{"Plugins":{"com.mattermost.calls":{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}}}`,
        400,
        'api.context.invalid_body_param.app_error',
      ],
      ['GET', '/api/v4/channels/abcdefghijklmnopqrstuvwxyz', undefined, 404, 'app.channel.get.existing.app_error'],
    ];
    for (const [method, path, body, status, id] of cases) {
      const r = await api(srv.url, tok, method, path, body);
      expect({path, status: r.status, id: r.body.id}).toEqual({path, status, id});
      expect(typeof r.body.message).toBe('string');
    }
    await stillWorks();
  });

  test('a flood of calls actions is rate limited without hurting the others', async () => {
    const {alice, bob} = fixture;
    const frames = [];
    for (let i = 0; i < 300; i++) frames.push(encode({action: CALLS + 'raise_hand', seq: 100000 + i, data: {}}));
    for (const f of frames) bob.sendRaw(Buffer.from(f));
    await sleep(1500);
    // At most the burst (plus refill) got through.
    const hands = alice.received('user_raise_hand').filter((e) => e.data.session_id === bob.connID).length;
    expect(hands).toBeLessThan(150);
    await sleep(1200);
    await stillWorks();
  });

  test('after all that the server still serves', async () => {
    const {srv, w} = fixture;
    const r = await api(srv.url, w.users.alice.token, 'GET', `${P}/version`);
    expect(r.status).toBe(200);
    await stillWorks();
  });
});
