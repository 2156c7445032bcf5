/**
 * `encrypt-state`, end to end, for the local file and the pg row: a site applied in clear (the
 * tokens are there to find, so every "no token" check below can fail) is encrypted in one step
 * that changes nothing in Vault, and plan, output and a wrong passphrase then behave as on a site
 * encrypted from its first apply. Before that step, plan and apply name it in one line; with a
 * config or engine that cannot keep the state encrypted it refuses and nothing changes. Needs
 * OpenTofu (see test/support/tofu.ts).
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { startOpenBaoAndPostgres, type TestPostgres } from '../support/postgres.js';
import { TestSite } from '../support/site.js';
import { describeWithTofu, tofuPath } from '../support/tofu.js';

const PASSPHRASE = 'correct-horse-battery-staple-2026';
const ENCRYPTION = { passphraseEnv: 'MAAS_STATE_PASSPHRASE' };
const NOT_ENCRYPTED_YET =
  /^maas-vault: the state of site \S+ is still in clear, and state\.encryption refuses to read it that way: run `maas-vault encrypt-state` once/m;

describeWithTofu('encrypt-state: a clear state encrypted in one step (e2e: tofu + provider + PostgreSQL 15)', () => {
  let server: OpenBaoServer;
  let postgres: TestPostgres;

  beforeAll(async () => {
    ({ server, postgres } = await startOpenBaoAndPostgres());
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), postgres?.stop()]);
  });

  const env = (extra: Record<string, string> = {}) => ({ MAAS_VAULT_ENGINE: tofuPath!, ...postgres.env, ...extra });
  const withPassphrase = (extra: Record<string, string> = {}) => env({ MAAS_STATE_PASSPHRASE: PASSPHRASE, ...extra });

  function site(name: string, state: Record<string, unknown>, controllers = ['region-1', 'region-2']): TestSite {
    return new TestSite(server, {
      site: name,
      kv: { mount: `kv-${name}` },
      approle: { adopt: true },
      controllers: controllers.map((controller) => ({ name: controller })),
      state,
    });
  }

  async function applyClear(target: TestSite): Promise<string[]> {
    const applied = await target.cli(['apply', '--auto-approve', '--json'], server.rootToken, env());
    expect({ exitCode: applied.exitCode, stderr: applied.exitCode === 0 ? '' : applied.stderr }).toEqual({ exitCode: 0, stderr: '' });
    return JSON.parse(applied.stdout).controllers.map((controller: { wrappedToken: string }) => controller.wrappedToken);
  }

  async function pgRow(schema: string): Promise<string> {
    return (await postgres.query<{ data: string }>(`SELECT data FROM ${schema}.states WHERE name = 'default'`))[0].data;
  }

  const workDir = (target: TestSite) => join(target.dir, '.maas-vault', target.config.site as string);
  const stateFile = (target: TestSite) => join(workDir(target), 'terraform.tfstate');
  const stackJson = (target: TestSite) => readFileSync(join(workDir(target), 'cdktf.out', 'stacks', `maas-vault-${target.config.site}`, 'cdk.tf.json'), 'utf8');

  /** Every file maas-vault or the engine left in the work directory (provider binaries aside), as text. */
  function workFiles(target: TestSite): Map<string, string> {
    const files = new Map<string, string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory() && entry.name !== '.terraform') walk(path);
        else if (entry.isFile()) files.set(path, readFileSync(path, 'latin1'));
      }
    };
    walk(workDir(target));
    return files;
  }

  /** What a site encrypted by encrypt-state must do: plan clean, the same tokens out, a wrong passphrase explained. */
  async function expectUsableEncrypted(target: TestSite, tokens: string[]): Promise<void> {
    const plan = await target.cli(['plan', '--detailed-exitcode'], server.rootToken, withPassphrase());
    expect([plan.exitCode, plan.exitCode === 0 ? '' : plan.all.slice(-1500)]).toEqual([0, '']);
    const output = await target.cli(['output', '--json'], null, withPassphrase());
    expect(output.exitCode).toBe(0);
    expect(JSON.parse(output.stdout).controllers.map((controller: { wrappedToken: string }) => controller.wrappedToken)).toEqual(tokens);
    const wrong = await target.cli(['plan'], server.rootToken, env({ MAAS_STATE_PASSPHRASE: 'not-the-passphrase-at-all' }));
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(
      new RegExp(
        `^maas-vault: the state of site ${target.config.site} could not be decrypted with the passphrase in MAAS_STATE_PASSPHRASE: it is not the passphrase the state was encrypted with`,
        'm',
      ),
    );
  }

  it('local: the state file, its backup and its verified copy end up with no token in clear; plan, output and a wrong passphrase work as usual', async () => {
    const target = site('migloc', {}, ['region-1']);
    await applyClear(target);
    // A second controller: the engine's backup now holds the first state, region-1's token in clear.
    target.update((input) => ({ ...input, controllers: [{ name: 'region-1' }, { name: 'region-2' }] }));
    const tokens = await applyClear(target);
    expect(tokens).toHaveLength(2);
    const clearFile = readFileSync(stateFile(target), 'utf8');
    for (const token of tokens) expect(clearFile).toContain(token);
    expect(readFileSync(`${stateFile(target)}.backup`, 'utf8')).toContain(tokens[0]);

    target.update((input) => ({ ...input, state: { encryption: ENCRYPTION } }));
    // Before the step: one line naming it, and the clear state left as it was.
    const early = await target.cli(['apply', '--auto-approve'], server.rootToken, withPassphrase());
    expect(early.exitCode).toBe(1);
    expect(early.stderr).toMatch(NOT_ENCRYPTED_YET);
    expect(early.stderr).not.toMatch(/locked by/);
    expect(readFileSync(stateFile(target), 'utf8')).toBe(clearFile);

    // The engine is located as plan and apply locate it: its version probe recorded in the work directory.
    const probeCache = join(workDir(target), 'engine.json');
    rmSync(probeCache, { force: true });
    const migrated = await target.cli(['encrypt-state'], null, withPassphrase());
    expect([migrated.exitCode, migrated.exitCode === 0 ? '' : migrated.all.slice(-1500)]).toEqual([0, '']);
    expect(JSON.parse(readFileSync(probeCache, 'utf8'))).toMatchObject({ kind: 'tofu' });
    expect(migrated.stdout).toContain(
      `Encrypted the state of site migloc in ${stateFile(target)} with the passphrase in MAAS_STATE_PASSPHRASE; nothing in Vault was changed.`,
    );
    expect(migrated.stdout).toContain(`Removed ${stateFile(target)}.backup: it held an earlier state in clear.`);
    expect(migrated.all).not.toContain(PASSPHRASE);
    for (const token of tokens) expect(migrated.all).not.toContain(token);
    // Only the step itself ran with the fallback: the stack it leaves for plan and apply has none.
    expect(stackJson(target)).not.toMatch(/fallback|unencrypted/);

    const file = readFileSync(stateFile(target), 'utf8');
    expect(JSON.parse(file)).toHaveProperty('encrypted_data');
    expect(statSync(stateFile(target)).mode & 0o777).toBe(0o600);
    for (const [path, text] of workFiles(target)) {
      for (const token of tokens) expect([path, text.includes(token)]).toEqual([path, false]);
      expect([path, text.includes(PASSPHRASE)]).toEqual([path, false]);
    }

    await expectUsableEncrypted(target, tokens);

    const again = await target.cli(['encrypt-state'], null, withPassphrase());
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('is already encrypted: nothing was changed');
  });

  it('pg: the row is encrypted from a work directory new to the site; both admins then plan clean with the passphrase', async () => {
    const first = site('migpg', { backend: 'pg' });
    const tokens = await applyClear(first);
    const clearRow = await pgRow('maas_vault_migpg');
    for (const token of tokens) expect(clearRow).toContain(token);

    // Another admin, whose work directory has never seen the site: the engine reads the state during init.
    const second = site('migpg', { backend: 'pg', encryption: ENCRYPTION });
    const early = await second.cli(['plan'], server.rootToken, withPassphrase());
    expect(early.exitCode).toBe(1);
    expect(early.stderr).toMatch(NOT_ENCRYPTED_YET);
    expect(await pgRow('maas_vault_migpg')).toBe(clearRow);

    const migrated = await second.cli(['encrypt-state', '--json'], null, withPassphrase());
    expect([migrated.exitCode, migrated.exitCode === 0 ? '' : migrated.all.slice(-1500)]).toEqual([0, '']);
    expect(JSON.parse(migrated.stdout)).toEqual({
      site: 'migpg',
      state: 'PostgreSQL schema maas_vault_migpg',
      before: 'clear',
      after: 'encrypted',
      removed: [],
    });
    expect(stackJson(second)).not.toMatch(/fallback|unencrypted/);

    const row = await pgRow('maas_vault_migpg');
    expect(JSON.parse(row)).toHaveProperty('encrypted_data');
    for (const token of tokens) expect(row).not.toContain(token);
    expect(row).not.toContain(PASSPHRASE);
    expect(JSON.parse(row).lineage).toBe(JSON.parse(clearRow).lineage);

    await expectUsableEncrypted(second, tokens);
    first.update((input) => ({ ...input, state: { backend: 'pg', encryption: ENCRYPTION } }));
    await expectUsableEncrypted(first, tokens);
  });

  it('refuses, changing nothing, without state.encryption, with an engine other than OpenTofu, and without a long enough passphrase', async () => {
    const local = site('migrefuse', {}, ['region-1']);
    const [token] = await applyClear(local);
    const pg = site('migrefusepg', { backend: 'pg' }, ['region-1']);
    await applyClear(pg);
    const before = async () => ({ file: readFileSync(stateFile(local), 'utf8'), row: await pgRow('maas_vault_migrefusepg') });
    const clear = await before();
    expect(clear.file).toContain(token);

    for (const target of [local, pg]) {
      const refused = await target.cli(['encrypt-state'], null, withPassphrase());
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toMatch(/^maas-vault: state\.encryption is not set, so there is nothing to encrypt the state with: add "encryption"/m);
    }

    // An engine that only answers its version: a refusal must come before anything else runs.
    const fakeDir = mkdtempSync(join(tmpdir(), 'maas-vault-fake-engine-'));
    const terraform = join(fakeDir, 'terraform');
    writeFileSync(terraform, '#!/bin/sh\n[ "$1" = version ] && { echo \'{"terraform_version":"1.9.0"}\'; exit 0; }\necho "ran: $*" >&2\nexit 97\n');
    chmodSync(terraform, 0o755);
    for (const target of [local, pg]) {
      target.update((input) => ({ ...input, state: { ...input.state, encryption: ENCRYPTION } }));
      const terraformRun = await target.cli(['encrypt-state'], null, withPassphrase({ MAAS_VAULT_ENGINE: terraform }));
      expect(terraformRun.exitCode).toBe(2);
      expect(terraformRun.stderr).toMatch(/^maas-vault: state\.encryption: only OpenTofu 1\.7 or later encrypts state, and the engine is terraform 1\.9\.0/m);
      expect(terraformRun.all).not.toContain('ran:');

      const short = await target.cli(['encrypt-state'], null, env({ MAAS_STATE_PASSPHRASE: 'too-short' }));
      expect(short.exitCode).toBe(2);
      expect(short.stderr).toContain('MAAS_STATE_PASSPHRASE holds a passphrase of 9 characters: OpenTofu needs at least 16');
      expect(short.all).not.toContain('too-short');

      const missing = await target.cli(['encrypt-state'], null, env());
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toContain('state.encryption.passphraseEnv names MAAS_STATE_PASSPHRASE, which is not set');
    }
    expect(await before()).toEqual(clear);
    // Nothing was synthesized for the step either: the stack on disk is still the clear one apply wrote.
    expect(stackJson(local)).not.toMatch(/encryption/);
  });

  it('a site with no state yet: nothing to encrypt, exit 0, and nothing written', async () => {
    const target = site('mignone', { encryption: ENCRYPTION }, ['region-1']);
    const result = await target.cli(['encrypt-state'], null, withPassphrase());
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Site mignone has no state in ${stateFile(target)} yet: nothing to encrypt. The first apply writes it encrypted.`);
    expect(existsSync(stateFile(target))).toBe(false);
  });
});
