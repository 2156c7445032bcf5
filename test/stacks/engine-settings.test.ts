/**
 * The `terraform` block a first init runs on while synth is still going: it must be the one synth
 * writes, or that early init would stand for a different stack's. Anything that makes them differ
 * (another provider, a pinned version moved in one place, pg, encryption) must be caught.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthStack } from '../../stacks/synth.js';
import { initSettledBy, localEngineSettings } from '../../stacks/engine-settings.js';
import { testConfig } from '../support/configs.js';

function synthesized(overrides: Record<string, unknown> = {}): Record<string, any> {
  const config = testConfig(overrides, mkdtempSync(join(tmpdir(), 'maas-vault-settings-')));
  return JSON.parse(readFileSync(synthStack(config).jsonPath, 'utf8'));
}

it('is the block synth writes for a local state in clear, adopted mounts and issuer included', () => {
  expect(initSettledBy(synthesized(), localEngineSettings())).toBe(true);
  expect(initSettledBy(synthesized({ issuer: { enabled: true }, kv: { mount: 'maas-kv', adopt: true } }), localEngineSettings())).toBe(true);
});

it('is not the block of a pg or encrypted state: those init after synth, as before', () => {
  expect(initSettledBy(synthesized({ state: { backend: 'pg' } }), localEngineSettings())).toBe(false);
  expect(initSettledBy(synthesized({ state: { encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } } }), localEngineSettings())).toBe(false);
});

it('does not settle a stack that needs more of init: another provider, a module, another version', () => {
  const stack = synthesized();
  expect(initSettledBy({ ...stack, provider: { ...stack.provider, random: [{}] } }, localEngineSettings())).toBe(false);
  expect(initSettledBy({ ...stack, resource: { ...stack.resource, random_id: { x: {} } } }, localEngineSettings())).toBe(false);
  expect(initSettledBy({ ...stack, data: { http: { x: {} } } }, localEngineSettings())).toBe(false);
  expect(initSettledBy({ ...stack, module: { m: { source: './m' } } }, localEngineSettings())).toBe(false);
  const moved = { ...stack.terraform, required_providers: { vault: { source: 'hashicorp/vault', version: '5.5.0' } } };
  expect(initSettledBy({ ...stack, terraform: moved }, localEngineSettings())).toBe(false);
  expect(initSettledBy(null, localEngineSettings())).toBe(false);
});
