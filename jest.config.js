// Tests run from TypeScript source as ES modules; `tsc -p tsconfig.test.json` type-checks them
// separately, so ts-jest only transpiles (fast, one file at a time).
//
// Three tiers, each suite in exactly one, chosen by its file name:
//   unit     *.test.ts          no server, no engine
//   server   *.openbao.test.ts  a real Vault server, no engine or provider
//   e2e      *.e2e.test.ts      engine + terraform-provider-vault 5.6.0; skipped (visibly) without the provider
//
// The server and e2e tiers run once per column of the matrix: OpenBao and HashiCorp Vault, and the
// e2e core once more on OpenTofu. A column whose piece cannot be had here is skipped, saying why
// (test/support/matrix-setup.ts); the summary counts each column (test/support/tier-report.mjs).
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: false }],
  },
};

const SERVERS = [
  ['openbao', 'OpenBao'],
  ['vault', 'HashiCorp Vault'],
];

/** Suites about the toolchain or the test machinery itself: one server is enough. */
const SERVER_INDEPENDENT = ['/test/toolchain/'];

/** The e2e core that runs on the second engine too: apply, plan, destroy, adoption with import blocks. */
const E2E_CORE = ['stacks/maas-vault-stack', 'cli/commands', 'cli/adopt', 'security/precious-secrets'].map((suite) => `<rootDir>/test/${suite}.e2e.test.ts`);

function column(server, engine = 'main') {
  return { globals: { __MAAS_VAULT_MATRIX__: { server, engine } }, setupFilesAfterEnv: ['<rootDir>/test/support/matrix-setup.ts'] };
}

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', '\\.(openbao|e2e)\\.test\\.ts$'] },
    ...SERVERS.map(([server, name]) => ({
      ...shared,
      ...column(server),
      displayName: `server · ${name}`,
      testMatch: ['<rootDir>/test/**/*.openbao.test.ts'],
      testPathIgnorePatterns: server === 'openbao' ? ['/node_modules/'] : ['/node_modules/', ...SERVER_INDEPENDENT],
    })),
    ...SERVERS.map(([server, name]) => ({ ...shared, ...column(server), displayName: `e2e · ${name}`, testMatch: ['<rootDir>/test/**/*.e2e.test.ts'] })),
    { ...shared, ...column('openbao', 'opentofu'), displayName: 'e2e · OpenBao · OpenTofu', testMatch: E2E_CORE },
  ],
  reporters: ['default', '<rootDir>/test/support/tier-report.mjs'],
  // Suites start real servers and run a real engine.
  testTimeout: 180_000,
  maxWorkers: 2,
};
