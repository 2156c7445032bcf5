// Tests run from TypeScript source as ES modules; `tsc -p tsconfig.test.json` type-checks them
// separately, so ts-jest only transpiles (fast, one file at a time).
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: false }],
  },
  // End-to-end suites start real OpenBao servers and run a real engine.
  testTimeout: 180_000,
  maxWorkers: 2,
};
