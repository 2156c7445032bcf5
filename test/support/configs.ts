/** Config builders for tests: a valid base, overridden per test. */
import { validateConfig, type MaasVaultConfig } from '../../config/index.js';

export function configInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    site: 'lab',
    vault: { address: 'http://127.0.0.1:8200' },
    controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3' }],
    ...overrides,
  };
}

/** A validated config, ignoring the test process's VAULT_* variables. */
export function testConfig(overrides: Record<string, unknown> = {}, workDir = '/tmp/maas-vault-test'): MaasVaultConfig {
  return validateConfig(configInput({ workDir, ...overrides }), { env: {}, source: 'test' });
}

/** The problems a config is rejected with (the message lines, without the source prefix). */
export function problemsOf(input: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    validateConfig(input, { env, source: 'maas-vault.json' });
  } catch (error) {
    return [...((error as { problems?: string[] }).problems ?? [(error as Error).message])];
  }
  return [];
}
