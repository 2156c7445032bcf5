/**
 * OpenTofu's state encryption, end to end: the pg row and the local state file hold no wrapping
 * token in clear when it is on (and do when it is off, so the check can fail); a wrong, short or
 * missing passphrase gets one line each. Needs OpenTofu (see test/support/tofu.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../engine/engine.js';
import { locateEngine } from '../../engine/locate.js';
import { encryptionBlock, PASSPHRASE_VARIABLE } from '../../stacks/state-encryption-block.js';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { startOpenBaoAndPostgres, type TestPostgres } from '../support/postgres.js';
import { stopAll } from '../support/stop.js';
import { TestSite } from '../support/site.js';
import { describeWithTofu, tofuPath } from '../support/tofu.js';

const PASSPHRASE = 'correct-horse-battery-staple-2026';

describeWithTofu('state encryption with OpenTofu (e2e: tofu + provider + PostgreSQL 15)', () => {
  let server: OpenBaoServer;
  let postgres: TestPostgres;

  beforeAll(async () => ({ server, postgres } = await startOpenBaoAndPostgres()));
  afterAll(() => stopAll(server, postgres));

  function site(name: string, state: Record<string, unknown>): TestSite {
    return new TestSite(server, {
      site: name,
      kv: { mount: `kv-${name}` },
      approle: { adopt: true },
      controllers: [{ name: 'region-1' }, { name: 'region-2' }],
      state,
    });
  }

  const env = (extra: Record<string, string> = {}) => ({ MAAS_VAULT_ENGINE: tofuPath!, ...postgres.env, ...extra });

  async function applyAndTokens(target: TestSite, extra: Record<string, string> = {}): Promise<string[]> {
    const applied = await target.cli(['apply', '--auto-approve', '--json'], server.rootToken, env(extra));
    expect({ exitCode: applied.exitCode, stderr: applied.exitCode === 0 ? '' : applied.stderr }).toEqual({ exitCode: 0, stderr: '' });
    const tokens = JSON.parse(applied.stdout).controllers.map((controller: { wrappedToken: string }) => controller.wrappedToken);
    expect(tokens).toHaveLength(2);
    return tokens;
  }

  async function pgRow(schema: string): Promise<string> {
    return (await postgres.query<{ data: string }>(`SELECT data FROM ${schema}.states WHERE name = 'default'`))[0].data;
  }

  it('the pg row holds no wrapping token in clear with encryption on, and holds them without it', async () => {
    const plain = site('encpgplain', { backend: 'pg' });
    const plainTokens = await applyAndTokens(plain);
    const plainRow = await pgRow('maas_vault_encpgplain');
    for (const token of plainTokens) expect(plainRow).toContain(token);

    const encrypted = site('encpgon', { backend: 'pg', encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } });
    const tokens = await applyAndTokens(encrypted, { MAAS_STATE_PASSPHRASE: PASSPHRASE });
    const row = await pgRow('maas_vault_encpgon');
    expect(JSON.parse(row)).toHaveProperty('encrypted_data');
    for (const token of tokens) expect(row).not.toContain(token);
    expect(row).not.toContain(PASSPHRASE);
    // The outputs still read back, through the engine, with the passphrase.
    const output = await encrypted.cli(['output', '--json'], null, env({ MAAS_STATE_PASSPHRASE: PASSPHRASE }));
    expect(output.exitCode).toBe(0);
    expect(JSON.parse(output.stdout).controllers.map((controller: { wrappedToken: string }) => controller.wrappedToken)).toEqual(tokens);
    const plan = await encrypted.cli(['plan', '--json'], server.rootToken, env({ MAAS_STATE_PASSPHRASE: PASSPHRASE }));
    expect(JSON.parse(plan.stdout)).toEqual({ changes: false });
    // A re-apply still tells a token MAAS already unwrapped from a fresh one, though the state is encrypted.
    expect((await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: tokens[0] })).status).toBe(200);
    const reapplied = await encrypted.cli(['apply', '--auto-approve', '--json'], server.rootToken, env({ MAAS_STATE_PASSPHRASE: PASSPHRASE }));
    expect(JSON.parse(reapplied.stdout).controllers.map((controller: { wrappedTokenUsable: boolean }) => controller.wrappedTokenUsable)).toEqual([false, true]);
  });

  it('the local state file holds no wrapping token in clear with encryption on', async () => {
    const local = site('enclocal', { encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } });
    const tokens = await applyAndTokens(local, { MAAS_STATE_PASSPHRASE: PASSPHRASE });
    const file = readFileSync(join(local.dir, '.maas-vault', 'enclocal', 'terraform.tfstate'), 'utf8');
    expect(JSON.parse(file)).toHaveProperty('encrypted_data');
    for (const token of tokens) expect(file).not.toContain(token);
  });

  it('a wrong passphrase is one line and exit 1; a short or missing one exit 2 before the engine runs', async () => {
    const target = site('encwrong', { backend: 'pg', encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } });
    await applyAndTokens(target, { MAAS_STATE_PASSPHRASE: PASSPHRASE });
    const before = await pgRow('maas_vault_encwrong');

    const wrong = await target.cli(['plan'], server.rootToken, env({ MAAS_STATE_PASSPHRASE: 'not-the-passphrase-at-all' }));
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toContain(
      'maas-vault: the state of site encwrong could not be decrypted with the passphrase in MAAS_STATE_PASSPHRASE: it is not the passphrase the state was encrypted with',
    );

    const short = await target.cli(['apply', '--auto-approve'], server.rootToken, env({ MAAS_STATE_PASSPHRASE: 'too-short' }));
    expect(short.exitCode).toBe(2);
    expect(short.stderr).toContain('MAAS_STATE_PASSPHRASE holds a passphrase of 9 characters: OpenTofu needs at least 16');
    expect(short.all).not.toContain('too-short');

    const missing = await target.cli(['apply', '--auto-approve'], server.rootToken, env());
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('state.encryption.passphraseEnv names MAAS_STATE_PASSPHRASE, which is not set');
    expect(await pgRow('maas_vault_encwrong')).toBe(before);
  });

  it('a clear local state under enforced encryption is the engine failing to read it, not a lock someone holds', async () => {
    // OpenTofu fails this while taking the state lock ("failed to write backup file: encountered unencrypted payload").
    const dir = mkdtempSync(join(tmpdir(), 'maas-vault-clear-state-'));
    const stackDir = join(dir, 'stack');
    mkdirSync(stackDir);
    const statePath = join(dir, 'terraform.tfstate');
    const clear = JSON.stringify({
      version: 4,
      terraform_version: '1.11.6',
      serial: 1,
      lineage: 'clear-lineage',
      outputs: {},
      resources: [],
      check_results: null,
    });
    writeFileSync(
      join(stackDir, 'main.tf.json'),
      JSON.stringify({
        variable: { [PASSPHRASE_VARIABLE]: { type: 'string', sensitive: true } },
        terraform: { backend: { local: { path: '../terraform.tfstate' } }, encryption: encryptionBlock() },
        resource: { terraform_data: { marker: { input: 'x' } } },
      }),
    );
    const engine = new Engine({ binary: await locateEngine(tofuPath), stackDir, statePath, env: { [`TF_VAR_${PASSPHRASE_VARIABLE}`]: PASSPHRASE } });
    // Initialized before the state exists: init itself refuses a clear one ("Error refreshing state").
    await engine.init();
    writeFileSync(statePath, clear);
    const failure = (await engine.plan().catch((error: unknown) => error)) as { name?: string; output?: string };
    expect(failure.name).toBe('EngineError');
    expect(failure.output).toMatch(/encountered unencrypted payload/);
    expect(readFileSync(statePath, 'utf8')).toBe(clear);
  });
});
