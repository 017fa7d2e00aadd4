// Run inside a network namespace by connectivity-netns.test.ts: starts a server whose RTC port binds every
// local address (as a default install does), logs in as admin, prints GET /connectivity as one JSON line, stops.
// Arguments: extra MM_CALLS_* settings as KEY=VALUE.
import {createRtcServer, rtcOptionsFromConfig} from '../../server/src/rtc';
import {api, login} from './rest';
import {startTestServer} from './server';

async function main(): Promise<void> {
  const env = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=', 2) as [string, string]));
  const srv = await startTestServer({
    env,
    rtc: (cfg, log) =>
      createRtcServer({...rtcOptionsFromConfig(cfg), udpPort: 0, tcpPort: 0, timeouts: {stunDiscoveryMs: 500}}, log),
  });
  try {
    const admin = await login(srv.url, 'admin');
    const r = await api(srv.url, admin.token, 'GET', '/plugins/com.mattermost.calls/connectivity');
    process.stdout.write(`REPORT ${JSON.stringify(r.body)}\n`);
  } finally {
    await srv.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
