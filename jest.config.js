// Tests run from TypeScript source as ES modules; `tsc -p tsconfig.test.json` type-checks them
// separately, so ts-jest only transpiles (fast, one file at a time).
//
// Three tiers, each suite in exactly one, chosen by its file name:
//   unit     *.test.ts          no server, no engine
//   openbao  *.openbao.test.ts  a real OpenBao, no engine or provider
//   e2e      *.e2e.test.ts      engine + terraform-provider-vault 5.6.0; skipped (visibly) without the provider
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: false }],
  },
};

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.(openbao|e2e)\\.test\\.ts$'] },
    { ...shared, displayName: 'openbao', testMatch: ['<rootDir>/test/**/*.openbao.test.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e.test.ts'] },
  ],
  reporters: ['default', '<rootDir>/test/support/tier-report.mjs'],
  // Suites start real OpenBao servers and run a real engine.
  testTimeout: 180_000,
  maxWorkers: 2,
};
