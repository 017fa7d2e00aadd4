// MM_CALLS_PLATFORM picks the platform adapter: `standalone` (the default, built in) or `mattermost` (a
// real Mattermost server beside us, over its REST API: MM_CALLS_MATTERMOST_URL and MM_CALLS_MATTERMOST_TOKEN).
import {ConfigError} from '../config/validate';
import type {PlatformFactory} from './factory';
import {createMattermostPlatform} from './mattermost';
import {createStandalonePlatform} from './standalone';

export function platformFromEnv(env: NodeJS.ProcessEnv): PlatformFactory {
  const kind = (env.MM_CALLS_PLATFORM ?? '').trim().toLowerCase() || 'standalone';
  switch (kind) {
    case 'standalone':
      return createStandalonePlatform;
    case 'mattermost':
      return createMattermostPlatform;
    default:
      throw new ConfigError(
        'MM_CALLS_PLATFORM',
        `invalid MM_CALLS_PLATFORM: "${env.MM_CALLS_PLATFORM}" (use standalone or mattermost)`,
      );
  }
}
