/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } },
    ],
  },
  testMatch: ['**/__tests__/**/*.test.ts'],
  testTimeout: 60000,
  // The end-to-end suites start real servers and child processes; two workers fit a 2-core machine.
  maxWorkers: 2,
  // A fresh machine runs every test with no manual step: the global set-up installs the Debian packages
  // the tests use (as root; otherwise it fails with the apt-get command) and, when a selected file says
  // `@needs docker`, sets up Docker in the background; the sequencer runs such files last. Nothing is
  // skipped: the no-skips reporter fails a run in which a test did not run.
  globalSetup: '<rootDir>/scripts/test/setup.mjs',
  globalTeardown: '<rootDir>/scripts/test/teardown.mjs',
  testSequencer: '<rootDir>/scripts/test/sequencer.mjs',
  reporters: ['default', '<rootDir>/scripts/test/no-skips.mjs'],
};
