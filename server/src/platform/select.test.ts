// MM_CALLS_PLATFORM: standalone by default, mattermost by name; unknown values refused by name.
import {ConfigError} from '../config/validate';
import {createMattermostPlatform} from './mattermost';
import {platformFromEnv} from './select';
import {createStandalonePlatform} from './standalone';

test('standalone unless told otherwise', () => {
  expect(platformFromEnv({})).toBe(createStandalonePlatform);
  expect(platformFromEnv({MM_CALLS_PLATFORM: ' Standalone '})).toBe(createStandalonePlatform);
});

test('mattermost picks the REST adapter; anything else is refused', () => {
  expect(platformFromEnv({MM_CALLS_PLATFORM: 'Mattermost'})).toBe(createMattermostPlatform);
  expect(() => platformFromEnv({MM_CALLS_PLATFORM: 'slack'})).toThrow(ConfigError);
  expect(() => platformFromEnv({MM_CALLS_PLATFORM: 'slack'})).toThrow(/use standalone or mattermost/);
});
