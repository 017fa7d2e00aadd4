// /plugins/com.mattermost.calls/metrics: every metric of reference §9 with its exact name, type and labels.
import {api, CALLS} from '../support/calls-client';
import {seededWorld} from '../support/fixtures';
import {startTestServer, type TestServer} from '../support/server';
import {sleep} from '../support/wait';

jest.setTimeout(30_000);

const NS = 'mattermost_plugin_calls';
const REFERENCE: [string, string, string[]][] = [
  ['websocket_connections_total', 'gauge', []],
  ['websocket_events_total', 'counter', ['direction', 'type']],
  ['cluster_events_total', 'counter', ['type']],
  ['cluster_mutex_grab_time', 'histogram', ['group']],
  ['cluster_mutex_locked_time', 'histogram', ['group']],
  ['cluster_mutex_lock_retries_total', 'counter', ['group']],
  ['app_handlers_time', 'histogram', ['handler']],
  ['store_ops_total', 'counter', ['type']],
  ['store_methods_time', 'histogram', ['method']],
  ['jobs_live_captions_new_audio_len_ms', 'histogram', []],
  ['jobs_live_captions_window_dropped', 'counter', []],
  ['jobs_live_captions_transcriber_buf_full', 'counter', []],
  ['jobs_live_captions_pktPayloadCh_buf_full', 'counter', []],
  [
    'client_ice_candidate_pairs_total',
    'counter',
    ['state', 'local_type', 'local_protocol', 'remote_type', 'remote_protocol'],
  ],
  ['daily_calls_total', 'gauge', ['date']],
  ['monthly_calls_total', 'gauge', ['month']],
  ['calls_by_channel_type', 'gauge', ['type']],
  ['aggregate_stats', 'gauge', ['stat']],
  ['rtc_rtp_tracks_total', 'gauge', ['groupID', 'direction', 'type']],
  ['rtc_rtp_tracks_writes_time', 'histogram', ['groupID', 'type']],
  ['rtc_sessions_total', 'gauge', ['groupID']],
  ['rtc_conn_states_total', 'counter', ['type']],
  ['rtc_errors_total', 'counter', ['groupID', 'type']],
  ['rtc_connection_time', 'histogram', ['groupID']],
  ['rtc_dc_open_time', 'histogram', ['groupID']],
  ['rtc_signaling_lock_grab_time', 'histogram', ['groupID']],
  ['rtc_signaling_lock_locked_time', 'histogram', ['groupID']],
  ['rtc_client_loss_rate', 'histogram', ['groupID']],
  ['rtc_client_rtt', 'histogram', ['groupID']],
  ['rtc_client_jitter', 'histogram', ['groupID']],
  ['ws_connections_total', 'gauge', ['clientID']],
  ['ws_messages_total', 'counter', ['clientID', 'type', 'direction']],
];

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({env: {MM_CALLS_DEFAULT_ENABLED: 'true'}});
});
afterAll(async () => {
  await srv.stop();
});

async function scrape(): Promise<string> {
  const res = await fetch(`${srv.url}/plugins/com.mattermost.calls/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

test('every reference metric is exposed with its type', async () => {
  const text = await scrape();
  for (const [name, type] of REFERENCE) expect(text).toContain(`# TYPE ${NS}_${name} ${type}`);
  expect(text).toMatch(new RegExp(`^${NS}_process_cpu_seconds_total`, 'm'));
  expect(text).toMatch(new RegExp(`^${NS}_process_resident_memory_bytes`, 'm'));
});

test('activity shows up with the reference label names', async () => {
  const w = await seededWorld(srv);
  const alice = await w.connect('alice');
  await alice.join(w.channels.town);
  alice.send('metric', {
    metric_name: 'client_ice_candidate_pair',
    data: JSON.stringify({
      state: 'succeeded',
      local: {type: 'host', protocol: 'udp'},
      remote: {type: 'srflx', protocol: 'udp'},
    }),
  });
  alice.sendRaw({action: 'made_up_action_' + Math.random(), seq: 5});
  await sleep(300);
  const text = await scrape();
  const sample = (name: string, labels: Record<string, string>) => {
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    const m = new RegExp(`^${NS}_${name}\\{${l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  expect(text).toMatch(new RegExp(`^${NS}_websocket_connections_total 1$`, 'm'));
  expect(sample('websocket_events_total', {direction: 'in', type: CALLS + 'join'})).toBe(1);
  expect(sample('websocket_events_total', {direction: 'out', type: CALLS + 'call_state'})).toBeGreaterThanOrEqual(1);
  // Unknown actions are counted under one label value, so clients cannot grow the label set.
  expect(sample('websocket_events_total', {direction: 'in', type: 'other'})).toBeGreaterThanOrEqual(1);
  expect(text).not.toContain('made_up_action_');
  expect(
    sample('client_ice_candidate_pairs_total', {
      state: 'succeeded',
      local_type: 'host',
      local_protocol: 'udp',
      remote_type: 'srflx',
      remote_protocol: 'udp',
    }),
  ).toBe(1);
  expect(sample('store_ops_total', {type: 'createSession'})).toBeGreaterThanOrEqual(1);
  expect(text).toMatch(
    new RegExp(`^${NS}_store_methods_time_bucket\\{le="[^"]+",method="getActiveCallByChannel"\\}`, 'm'),
  );
  expect(sample('aggregate_stats', {stat: 'total_calls'})).toBeGreaterThanOrEqual(0);
  await alice.close();
  // The metrics route needs no login; nothing else is exposed that way.
  expect((await api(srv.url, 'x', 'GET', '/plugins/com.mattermost.calls/config')).status).toBe(401);
});
