import {DEFAULT_LIMITS, limitsFromEnv} from './limits';
import {ConfigError} from './validate';

test('defaults apply without variables; each variable overrides its limit and 0 turns it off', () => {
  expect(limitsFromEnv({})).toEqual(DEFAULT_LIMITS);
  expect(
    limitsFromEnv({
      MM_CALLS_WS_MAX_CONNECTIONS_PER_USER: '0',
      MM_CALLS_JOINS_PER_SECOND_PER_USER: '0.5',
      MM_CALLS_MAX_SESSIONS_PER_USER: ' 3 ',
    }),
  ).toEqual({...DEFAULT_LIMITS, wsConnectionsPerUser: 0, joinsPerSecondPerUser: 0.5, sessionsPerUserPerCall: 3});
});

test('a bad value stops the start with a message naming the variable', () => {
  for (const [name, raw] of [
    ['MM_CALLS_WS_MAX_CONNECTIONS_PER_IP', '-1'],
    ['MM_CALLS_MAX_SESSIONS_PER_USER', '2.5'],
    ['MM_CALLS_JOIN_BURST_PER_USER', 'ten'],
    ['MM_CALLS_JOINS_PER_SECOND_PER_USER', '1e9'],
  ]) {
    expect(() => limitsFromEnv({[name]: raw})).toThrow(ConfigError);
    expect(() => limitsFromEnv({[name]: raw})).toThrow(new RegExp(`^invalid ${name}: "${raw.replace('.', '\\.')}"`));
  }
  expect(() => limitsFromEnv({MM_CALLS_JOIN_BURST_PER_USER: '0'})).toThrow(
    /MM_CALLS_JOIN_BURST_PER_USER: must be at least 1/,
  );
});
