// Two projects: fast unit tests beside the code, and e2e tests that boot the real API and worker
// against the machine's Postgres and Redis (see test/global-setup.ts).
const transform = { '^.+\\.ts$': 'ts-jest' };

module.exports = {
  // Per-project testTimeout is ignored by Jest; e2e tests wait on real processes.
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform,
      testEnvironment: 'node',
    },
    {
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/stop-leftover-processes.ts'],
    },
  ],
};
