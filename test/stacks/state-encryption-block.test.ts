/** The one-step migration block: a clear state may be read, only encrypted state is written, and nothing else in the stack moves. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthStack } from '../../stacks/synth.js';
import { withClearStateFallback } from '../../stacks/state-encryption-block.js';
import { testConfig } from '../support/configs.js';

function synthesizedText(state: Record<string, unknown>): string {
  const config = testConfig({ state }, mkdtempSync(join(tmpdir(), 'maas-vault-state-')));
  return readFileSync(synthStack(config).jsonPath, 'utf8');
}

const ENCRYPTED = { backend: 'pg', encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } };

it('reads a clear state through an unencrypted fallback, writes aes_gcm, and is not enforced (OpenTofu refuses an unencrypted fallback when it is)', () => {
  const migrating = JSON.parse(withClearStateFallback(synthesizedText(ENCRYPTED)));
  expect(migrating.terraform.encryption).toEqual({
    key_provider: { pbkdf2: { passphrase: { passphrase: '${var.maas_vault_state_passphrase}' } } },
    method: { aes_gcm: { state: { keys: '${key_provider.pbkdf2.passphrase}' } }, unencrypted: { migrate: {} } },
    state: { method: 'method.aes_gcm.state', enforced: false, fallback: { method: 'method.unencrypted.migrate' } },
    plan: { method: 'method.aes_gcm.state', enforced: true },
  });
});

it('changes nothing but the encryption block: same backend, resources, outputs and passphrase variable', () => {
  const text = synthesizedText(ENCRYPTED);
  const { terraform: before, ...restBefore } = JSON.parse(text);
  const { terraform: after, ...restAfter } = JSON.parse(withClearStateFallback(text));
  expect(restAfter).toEqual(restBefore);
  expect({ ...after, encryption: undefined }).toEqual({ ...before, encryption: undefined });
});

it('the stack plan and apply use never has the fallback', () => {
  expect(synthesizedText(ENCRYPTED)).not.toMatch(/fallback|unencrypted/);
  expect(synthesizedText({ encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } })).not.toMatch(/fallback|unencrypted/);
});

it('a stack synthesized without state.encryption is refused, not given a block the config does not ask for', () => {
  expect(() => withClearStateFallback(synthesizedText({ backend: 'local' }))).toThrow(
    /no terraform\.encryption block .*synthesize it with state\.encryption set/,
  );
});
