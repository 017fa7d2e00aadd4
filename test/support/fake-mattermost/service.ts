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
