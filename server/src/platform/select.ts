// MM_CALLS_PLATFORM picks the platform adapter: `standalone` (the default, built in) or `mattermost` (a
// real Mattermost server beside us, issue 15: not built yet, so it is refused with a clear message).
import {ConfigError} from '../config/validate';
import type {PlatformFactory} from './factory';
import {createStandalonePlatform} from './standalone';

export function platformFromEnv(env: NodeJS.ProcessEnv): PlatformFactory {
  const kind = (env.MM_CALLS_PLATFORM ?? '').trim().toLowerCase() || 'standalone';
  switch (kind) {
    case 'standalone':
      return createStandalonePlatform;
    case 'mattermost':
      throw new ConfigError(
        'MM_CALLS_PLATFORM',
        'MM_CALLS_PLATFORM=mattermost: the adapter for a real Mattermost server is not built yet; use standalone',
      );
    default:
      throw new ConfigError(
        'MM_CALLS_PLATFORM',
        `invalid MM_CALLS_PLATFORM: "${env.MM_CALLS_PLATFORM}" (use standalone or mattermost)`,
      );
  }
}
