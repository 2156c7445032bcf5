/**
 * plan, apply and destroy reuse the synthesized stack only when nothing that shapes it changed:
 * the same validated config (environment included), the same synth code, and the JSON on disk
 * still the one written. Real cdktf synth into a temporary work directory.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../config/index.js';
import { synthOnce } from '../../stacks/synth-once.js';
import { configInput } from '../support/configs.js';

const CODE = 'fingerprint-of-this-build';

function config(overrides: Record<string, unknown>, workDir: string, env: NodeJS.ProcessEnv = {}) {
  return validateConfig(configInput({ workDir, ...overrides }), { env, source: 'test' });
}

function roles(jsonPath: string): string[] {
  const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  return Object.values(json.resource.vault_approle_auth_backend_role as Record<string, { role_name: string }>)
    .map((role) => role.role_name)
    .sort();
}

describe('synthOnce', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'maas-vault-synth-once-'));

  it('synthesizes the first time and reuses the JSON while nothing changed', async () => {
    const first = await synthOnce(config({}, workDir), CODE);
    expect(first.reused).toBe(false);
    const written = readFileSync(first.jsonPath, 'utf8');
    const second = await synthOnce(config({}, workDir), CODE);
    expect(second).toEqual({ ...first, reused: true });
    expect(readFileSync(second.jsonPath, 'utf8')).toBe(written);
  });

  it('never serves a stale stack for a changed config', async () => {
    const before = roles((await synthOnce(config({}, workDir), CODE)).jsonPath);
    const changed = await synthOnce(
      config({ controllers: [{ name: 'region-1' }, { name: 'region-2' }, { name: 'region-3' }, { name: 'region-4' }] }, workDir),
      CODE,
    );
    expect(changed.reused).toBe(false);
    expect(roles(changed.jsonPath)).toHaveLength(before.length + 1);
    const ttl = await synthOnce(config({ tokenTtl: '10m' }, workDir), CODE);
    expect(ttl.reused).toBe(false);
    expect(readFileSync(ttl.jsonPath, 'utf8')).toContain('"token_ttl": 600');
  });

  it('synthesizes again when the environment changes the config (VAULT_ADDR)', async () => {
    await synthOnce(config({}, workDir), CODE);
    const moved = await synthOnce(config({}, workDir, { VAULT_ADDR: 'https://other.example.test:8200' }), CODE);
    expect(moved.reused).toBe(false);
    expect(readFileSync(moved.jsonPath, 'utf8')).toContain('https://other.example.test:8200');
  });

  it('synthesizes again when the JSON on disk was edited, and restores it', async () => {
    const clean = await synthOnce(config({}, workDir), CODE);
    const written = readFileSync(clean.jsonPath, 'utf8');
    writeFileSync(clean.jsonPath, written.replace('"token_ttl": 300', '"token_ttl": 1'));
    const again = await synthOnce(config({}, workDir), CODE);
    expect(again.reused).toBe(false);
    expect(readFileSync(again.jsonPath, 'utf8')).toBe(written);
  });

  it('synthesizes again when the synth code changed, and always without a fingerprint', async () => {
    await synthOnce(config({}, workDir), CODE);
    expect((await synthOnce(config({}, workDir), 'another build')).reused).toBe(false);
    expect((await synthOnce(config({}, workDir), null)).reused).toBe(false);
    expect((await synthOnce(config({}, workDir), null)).reused).toBe(false);
  });
});
