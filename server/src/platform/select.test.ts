// MM_CALLS_PLATFORM: standalone by default; mattermost (not built yet) and unknown values refused by name.
import {ConfigError} from '../config/validate';
import {platformFromEnv} from './select';
import {createStandalonePlatform} from './standalone';

test('standalone unless told otherwise', () => {
  expect(platformFromEnv({})).toBe(createStandalonePlatform);
  expect(platformFromEnv({MM_CALLS_PLATFORM: ' Standalone '})).toBe(createStandalonePlatform);
});

test('mattermost is refused with a clear message until its adapter exists; anything else too', () => {
  expect(() => platformFromEnv({MM_CALLS_PLATFORM: 'mattermost'})).toThrow(/not built yet/);
  expect(() => platformFromEnv({MM_CALLS_PLATFORM: 'slack'})).toThrow(ConfigError);
  expect(() => platformFromEnv({MM_CALLS_PLATFORM: 'slack'})).toThrow(/use standalone or mattermost/);
});
