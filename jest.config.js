// Jest projects: one per area, so `npm test` can run them in order and each picks its environment.
const swc = [
  '@swc/jest',
  {
    jsc: {target: 'es2022', parser: {syntax: 'typescript', tsx: true}, transform: {react: {runtime: 'automatic'}}},
    module: {type: 'commonjs'},
  },
];
// @calls/protocol is server/src/protocol, shared by the server, the webapp and the tests (as in the tsconfigs and build.mjs).
const base = {
  transform: {'^.+\\.(t|j)sx?$': swc},
  moduleFileExtensions: ['ts', 'tsx', 'js', 'json'],
  moduleNameMapper: {'^@calls/protocol$': '<rootDir>/server/src/protocol/index.ts'},
};

module.exports = {
  // One PostgreSQL server per jest run (skipped when MM_CALLS_TEST_PG_URL is already set, as `npm test` does).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    {...base, displayName: 'server', testEnvironment: 'node', testMatch: ['<rootDir>/server/src/**/*.test.ts']},
    {
      ...base,
      displayName: 'webapp',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/webapp/src/**/*.test.ts?(x)'],
      // react-intl and formatjs ship ESM only: let swc turn them into CommonJS for jest.
      transformIgnorePatterns: ['/node_modules/(?!(react-intl|@formatjs|intl-messageformat)/)'],
      setupFiles: ['<rootDir>/webapp/src/testing/setup.ts'],
    },
    {
      ...base,
      displayName: 'integration',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {...base, displayName: 'rtc', testEnvironment: 'node', testMatch: ['<rootDir>/test/rtc/**/*.test.ts']},
    {...base, displayName: 'rtcd', testEnvironment: 'node', testMatch: ['<rootDir>/test/rtcd/**/*.test.ts']},
    {...base, displayName: 'jobs', testEnvironment: 'node', testMatch: ['<rootDir>/test/jobs/**/*.test.ts']},
    {...base, displayName: 'fuzz', testEnvironment: 'node', testMatch: ['<rootDir>/test/fuzz/**/*.test.ts']},
    {...base, displayName: 'cluster', testEnvironment: 'node', testMatch: ['<rootDir>/test/cluster/**/*.test.ts']},
    {
      ...base,
      displayName: 'recorder',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/recorder/**/*.test.ts'],
    },
    {...base, displayName: 'e2e', testEnvironment: 'node', testMatch: ['<rootDir>/test/e2e/**/*.test.ts']},
  ],
};
