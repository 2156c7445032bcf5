/** The state block: pg names a schema and nothing else; the connection string never enters config or JSON. */
import { readFileSync } from 'node:fs';
import { synthStack } from '../../stacks/synth.js';
import { problemsOf, testConfig, configInput } from '../support/configs.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function synthesized(state: Record<string, unknown> | undefined): any {
  const config = testConfig(state ? { state } : {}, mkdtempSync(join(tmpdir(), 'maas-vault-state-')));
  return JSON.parse(readFileSync(synthStack(config).jsonPath, 'utf8'));
}

it('by default the state is a local file in the work directory', () => {
  expect(synthesized(undefined).terraform.backend).toEqual({ local: { path: '../../../terraform.tfstate' } });
});

it('backend pg names one schema per site and no connection string', () => {
  expect(synthesized({ backend: 'pg' }).terraform.backend).toEqual({ pg: { schema_name: 'maas_vault_lab' } });
  expect(synthesized({ backend: 'pg', schema: 'shared_state' }).terraform.backend).toEqual({ pg: { schema_name: 'shared_state' } });
});

it('a connection string in the config is refused, saying where it goes instead', () => {
  expect(problemsOf(configInput({ state: { backend: 'pg', connStr: 'postgres://u:p@h/db' } }))).toEqual([
    expect.stringMatching(/state\.connStr.*must not be in the config .*export PG_CONN_STR, or libpq's PGHOST/),
  ]);
  expect(JSON.stringify(problemsOf(configInput({ state: { backend: 'pg', connStr: 'postgres://u:secretpw@h/db' } })))).not.toContain('secretpw');
});

it('bad backends and schema names are refused with the field and what is allowed', () => {
  expect(problemsOf(configInput({ state: { backend: 's3' } }))).toEqual([expect.stringMatching(/state\.backend.*must be 'local' .* or 'pg'/)]);
  expect(problemsOf(configInput({ state: { backend: 'pg', schema: 'Bad-Name; DROP' } }))).toEqual([
    expect.stringMatching(/state\.schema.*PostgreSQL schema name/),
  ]);
  expect(problemsOf(configInput({ state: { schema: 'x' } }))).toEqual([expect.stringMatching(/state\.schema.*applies only to backend 'pg'/)]);
});

it('state.encryption gives OpenTofu an enforced pbkdf2 + aes_gcm block for state and plan; the passphrase is a variable, in no file', () => {
  const json = synthesized({ backend: 'pg', encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } });
  expect(json.terraform.encryption).toEqual({
    key_provider: { pbkdf2: { passphrase: { passphrase: '${var.maas_vault_state_passphrase}' } } },
    method: { aes_gcm: { state: { keys: '${key_provider.pbkdf2.passphrase}' } } },
    state: { method: 'method.aes_gcm.state', enforced: true },
    plan: { method: 'method.aes_gcm.state', enforced: true },
  });
  expect(json.variable.maas_vault_state_passphrase).toMatchObject({ type: 'string', sensitive: true });
  expect(json.variable.maas_vault_state_passphrase).not.toHaveProperty('default');
  expect(synthesized({ backend: 'local' }).terraform).not.toHaveProperty('encryption');
});

it('state.encryption.passphraseEnv must name a variable, not hold a passphrase', () => {
  expect(problemsOf(configInput({ state: { encryption: { passphraseEnv: 'correct horse battery staple' } } }))).toEqual([
    expect.stringMatching(/state\.encryption\.passphraseEnv.*must be the name of an environment variable/),
  ]);
});
