// Our service in mattermost mode in front of the fake Mattermost, for the adapter's contract tests: the server
// started with the bot's token (tests add their own timings and variables), its log lines kept so a test can check
// that no token reached them, and a calls client on the plugin websocket, where the service serves it beside
// Mattermost.
import {Writable} from 'node:stream';

import pino from 'pino';

import {REDACT} from '../../../server/src/log';
import {mattermostPlatformFactory, type MattermostPlatformSettings} from '../../../server/src/platform/mattermost';
import {PLUGIN_WEBSOCKET_PATH} from '../../../server/src/protocol';
import {WsTestClient} from '../calls-client';
import {startTestServer, type TestServer, type TestServerOptions} from '../server';
import type {FakeMattermost} from './server';

export class PluginWsClient extends WsTestClient {
  override get wsURL(): string {
    return this.baseURL.replace(/^http/, 'ws') + PLUGIN_WEBSOCKET_PATH;
  }
}

export interface BesideMattermost {
  srv: TestServer;
  /** Every line the service logged (at `logLevel`). */
  logLines: string[];
}

export async function startBesideMattermost(
  mm: FakeMattermost,
  botToken: string,
  o: Omit<TestServerOptions, 'platform' | 'logger'> & {platform?: MattermostPlatformSettings; logLevel?: string} = {},
): Promise<BesideMattermost> {
  const {platform, logLevel = 'info', env, ...rest} = o;
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const srv = await startTestServer({
    seed: false,
    ...rest,
    platform: mattermostPlatformFactory(platform),
    logger: pino({level: logLevel, redact: REDACT}, sink),
    env: {
      MM_CALLS_PLATFORM: 'mattermost',
      MM_CALLS_MATTERMOST_URL: mm.url,
      MM_CALLS_MATTERMOST_TOKEN: botToken,
      ...env,
    },
  });
  return {srv, logLines};
}

export interface BesideMattermostSuite extends BesideMattermost {
  /** A plugin websocket for `token`, closed after the test. */
  connect(token: string): Promise<PluginWsClient>;
}

/**
 * A describe block's service beside the fake Mattermost: both started before its tests, the websockets of
 * `connect` closed after each, both stopped after all, and then no token the fake knows (nor `secrets()`)
 * may be in the service's log.
 */
export function useBesideMattermost(
  mm: FakeMattermost,
  botToken: string,
  o: Parameters<typeof startBesideMattermost>[2],
  secrets: () => Iterable<string> = () => [],
): BesideMattermostSuite {
  const clients: PluginWsClient[] = [];
  const suite = {
    logLines: [] as string[],
    async connect(token: string) {
      const c = new PluginWsClient(suite.srv.url, token);
      await c.connect();
      clients.push(c);
      return c;
    },
  } as BesideMattermostSuite;
  beforeAll(async () => {
    await mm.start();
    Object.assign(suite, await startBesideMattermost(mm, botToken, o));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await suite.srv?.stop();
    await mm.stop();
    // Whatever happened above, no token reached the log.
    const all = suite.logLines.join('');
    for (const t of [...mm.data.tokens.keys(), ...secrets()]) expect(all).not.toContain(t);
  });
  return suite;
}
