// The cluster settings read from the environment: the handler wait and its refusals.
import {ClusterSettingsError, DEFAULT_HANDLER_WAIT_MS, clusterSettingsFromEnv} from './mode';

describe('MM_CALLS_HANDLER_WAIT_SECONDS', () => {
  test('defaults to ten minutes; whole seconds otherwise; 0 means no limit', () => {
    expect(clusterSettingsFromEnv({}).handlerWaitMs).toBe(DEFAULT_HANDLER_WAIT_MS);
    expect(DEFAULT_HANDLER_WAIT_MS).toBe(600_000);
    expect(clusterSettingsFromEnv({MM_CALLS_HANDLER_WAIT_SECONDS: '90'}).handlerWaitMs).toBe(90_000);
    expect(clusterSettingsFromEnv({MM_CALLS_HANDLER_WAIT_SECONDS: ' 0 '}).handlerWaitMs).toBe(0);
  });

  test.each(['-1', '1.5', 'ten', '99999999'])('refuses %p, naming the variable', (v) => {
    expect(() => clusterSettingsFromEnv({MM_CALLS_HANDLER_WAIT_SECONDS: v})).toThrow(ClusterSettingsError);
    expect(() => clusterSettingsFromEnv({MM_CALLS_HANDLER_WAIT_SECONDS: v})).toThrow(/MM_CALLS_HANDLER_WAIT_SECONDS/);
  });
});
