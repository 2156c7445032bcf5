/**
 * An adoption's import blocks are an input of the synthesized JSON: they appear while the state
 * lacks the adopted objects and go once it holds them, so synthOnce must not reuse across that.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../config/index.js';
import { synthOnce } from '../../stacks/synth-once.js';
import { configInput } from '../support/configs.js';

const CODE = 'fingerprint-of-this-build';

describe('synthOnce with imports', () => {
  it('re-synthesizes when the imports change, and reuses while they do not', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'maas-vault-synth-imports-'));
    const config = validateConfig(configInput({ workDir, controllers: [{ name: 'region-1', role: 'maas-region-1' }] }), { env: {}, source: 'test' });
    const importing = { roles: new Set(['region-1']), policy: false };
    const first = await synthOnce(config, CODE, importing);
    expect(first.reused).toBe(false);
    expect(JSON.parse(readFileSync(first.jsonPath, 'utf8')).import).toEqual([
      { to: 'vault_approle_auth_backend_role.region_region-1_role', id: 'auth/approle/role/maas-region-1' },
    ]);
    expect((await synthOnce(config, CODE, { ...importing, roles: new Set(['region-1']) })).reused).toBe(true);
    const imported = await synthOnce(config, CODE, { roles: new Set(), policy: false });
    expect(imported.reused).toBe(false);
    expect(JSON.parse(readFileSync(imported.jsonPath, 'utf8')).import).toBeUndefined();
  });
});
