// ESM throughout (jose 6 and the MCP SDKs are ESM-only): ts-jest transpiles
// each test to ESM and Node runs it under --experimental-vm-modules.
// Type-checking of src and tests happens once in `npm run typecheck` (part of
// `npm test`), not per file. Temp folders live under one root per run
// (test/setup/temp-root.mjs), removed at the end.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, tsconfig: 'tsconfig.test.json' }],
  },
  testTimeout: 60000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
};
