import {appendLog, clientLogger, getClientLogs, MAX_LOG_CHARS} from './client/log';
import {saveLastStats, summarizeStats} from './client/rtc_stats';
import {slashCommandWillBePosted} from './slash_commands';
import {action} from './state/action_types';
import {callsState} from './state/selectors';
import {handleWebSocketEvent} from './state/ws_events';
import {ALICE, CHANNEL, makeStore} from './testing/store';

const P = 'custom_com.mattermost.calls_';
const args = {channel_id: CHANNEL, team_id: 'team'};

function withCall(store: ReturnType<typeof makeStore>) {
  handleWebSocketEvent(store, {
    event: `${P}call_start`,
    data: {id: 'c1', channelID: CHANNEL, start_at: 1, thread_id: 'p', post_id: 'p', owner_id: ALICE, host_id: ALICE},
    broadcast: {channel_id: CHANNEL},
    seq: 1,
  });
  handleWebSocketEvent(store, {
    event: `${P}user_joined`,
    data: {user_id: ALICE, session_id: 'sA'},
    broadcast: {channel_id: CHANNEL},
    seq: 2,
  });
}

describe('/call slash command hook', () => {
  test('other commands and /call link pass through to the server unchanged', async () => {
    const store = makeStore();
    expect(await slashCommandWillBePosted(store, '/echo hi', args)).toEqual({message: '/echo hi', args});
    expect(await slashCommandWillBePosted(store, '/call link', args)).toEqual({message: '/call link', args});
    expect(await slashCommandWillBePosted(store, '/call host @bob', args)).toEqual({message: '/call host @bob', args});
  });

  test('/call start in a channel with a call: "A call is already ongoing"', async () => {
    const store = makeStore();
    withCall(store);
    expect(await slashCommandWillBePosted(store, '/call start', args)).toEqual({});
    expect(callsState(store.getState()).genericErrorModal).toEqual({
      title: 'Unable to start call',
      message: 'A call is already ongoing in the channel.',
    });
  });

  test('/call leave when not connected', async () => {
    const store = makeStore();
    expect(await slashCommandWillBePosted(store, '/call leave', args)).toEqual({});
    expect(callsState(store.getState()).genericErrorModal?.message).toBe(
      "You're not connected to a call in the current channel.",
    );
  });

  test('/call end: no call, then not the host', async () => {
    const store = makeStore();
    await slashCommandWillBePosted(store, '/call end', args);
    expect(callsState(store.getState()).genericErrorModal?.message).toBe("There's no ongoing call in the channel.");
    withCall(store);
    await slashCommandWillBePosted(store, '/call end', args);
    expect(callsState(store.getState()).genericErrorModal?.message).toMatch(/don't have permission to end the call/);
  });

  test('/call start in a channel where calls are disabled', async () => {
    const store = makeStore();
    handleWebSocketEvent(store, {
      event: `${P}channel_disable_voice`,
      data: {},
      broadcast: {channel_id: CHANNEL},
      seq: 1,
    });
    await slashCommandWillBePosted(store, '/call start', args);
    expect(callsState(store.getState()).genericErrorModal?.message).toBe('Calls are disabled in this channel.');
  });
});

/** A fetch response as fetchJSON reads it (jsdom has no Response). */
function reply(status: number, body: string): Response {
  return {ok: status < 400, status, statusText: '', text: async () => body} as unknown as Response;
}

describe('/call stats and /call logs', () => {
  afterEach(() => {
    window.localStorage.clear();
    window.sessionStorage.clear();
    jest.restoreAllMocks();
  });

  test('/call stats without a call uses the stats kept when the last call ended, as base64 JSON for the server', async () => {
    const store = makeStore();
    await slashCommandWillBePosted(store, '/call stats', args);
    expect(callsState(store.getState()).genericErrorModal?.title).toBe('Unable to get call stats');

    const report = new Map<string, Record<string, unknown>>([
      [
        'cp1',
        {
          id: 'cp1',
          type: 'candidate-pair',
          state: 'succeeded',
          nominated: true,
          localCandidateId: 'l1',
          remoteCandidateId: 'r1',
          currentRoundTripTime: 0.012,
        },
      ],
      ['cp2', {id: 'cp2', type: 'candidate-pair', state: 'failed'}],
      ['l1', {id: 'l1', type: 'local-candidate', candidateType: 'host', protocol: 'udp'}],
      ['r1', {id: 'r1', type: 'remote-candidate', candidateType: 'host', protocol: 'udp'}],
      [
        'in1',
        {
          id: 'in1',
          type: 'inbound-rtp',
          kind: 'audio',
          ssrc: 11,
          packetsReceived: 500,
          bytesReceived: 40000,
          packetsLost: 2,
          jitter: 0.003,
        },
      ],
      ['out1', {id: 'out1', type: 'outbound-rtp', kind: 'audio', ssrc: 22, packetsSent: 480, bytesSent: 38000}],
    ]);
    saveLastStats(summarizeStats(report as unknown as RTCStatsReport, 1000));
    const res = (await slashCommandWillBePosted(store, '/call stats', args)) as {message: string};
    const [cmd, sub, b64] = res.message.split(' ');
    expect([cmd, sub]).toEqual(['/call', 'stats']);
    const decoded = JSON.parse(decodeURIComponent(escape(atob(b64))));
    expect(decoded).toEqual({
      at: 1000,
      iceCandidatePairs: {succeeded: 1, failed: 1},
      selectedPair: {local: 'host', remote: 'host', protocol: 'udp', rtt: 0.012},
      in: [{kind: 'audio', ssrc: 11, packets: 500, bytes: 40000, packetsLost: 2, jitter: 0.003}],
      out: [{kind: 'audio', ssrc: 22, packets: 480, bytes: 38000}],
    });
  });

  test("/call logs uploads this tab's client log to /plugins/com.mattermost.calls/logs/upload", async () => {
    const store = makeStore();
    await slashCommandWillBePosted(store, '/call logs', args);
    expect(callsState(store.getState()).genericErrorModal?.message).toMatch(/no call logs/);

    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    clientLogger.warn('websocket: ping timeout, reconnecting');
    const calls: Array<{url: string; body: Record<string, string>}> = [];
    global.fetch = jest.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      calls.push({url: String(url), body: JSON.parse(String(init?.body))});
      return reply(200, '{}');
    }) as typeof fetch;
    store.dispatch(action('HIDE_GENERIC_ERROR_MODAL', {}));
    expect(await slashCommandWillBePosted(store, '/call logs', args)).toEqual({});
    expect(callsState(store.getState()).genericErrorModal).toBeNull();
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('/plugins/com.mattermost.calls/logs/upload');
    expect(calls[0].body.channel_id).toBe(CHANNEL);
    expect(calls[0].body.team_id).toBe('team');
    expect(calls[0].body.logs).toMatch(/WARN websocket: ping timeout, reconnecting\n$/);

    global.fetch = jest.fn(async () => reply(404, '{"message":"not found"}')) as typeof fetch;
    await slashCommandWillBePosted(store, '/call logs', args);
    expect(callsState(store.getState()).genericErrorModal).toEqual({
      title: 'Unable to upload logs',
      message: 'not found',
    });
  });

  test('the log buffer keeps the newest lines within 1 MB', () => {
    const big = 'x'.repeat(300 * 1024);
    for (let i = 0; i < 5; i++) {
      appendLog('info', [`line${i}`, big]);
    }
    const logs = getClientLogs();
    expect(logs.length).toBeLessThanOrEqual(MAX_LOG_CHARS);
    expect(logs).toMatch(/^\S+ INFO line2 /);
    expect(logs).toContain('line4');
    expect(logs).not.toContain('line1');
  });
});
