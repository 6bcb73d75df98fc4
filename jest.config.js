// Two projects: fast unit tests beside the code, and e2e tests that boot the real API and worker
// against the machine's Postgres and Redis (see test/global-setup.ts).
const transform = { '^.+\\.ts$': 'ts-jest' };

module.exports = {
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
      testTimeout: 60000,
    },
  ],
};
