/**
 * A controller whose secret ID rotation manages gets none from the stack (no resource, no wrapping
 * token, accessor or command output), the others keep theirs; and that set is an input of the
 * synthesized JSON, so synthOnce must not reuse across a finished rotation.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../config/index.js';
import { synthOnce } from '../../stacks/synth-once.js';
import { configInput } from '../support/configs.js';

const CODE = 'fingerprint-of-this-build';
const SECRET_ID = 'vault_approle_auth_backend_role_secret_id';

describe('synth of controllers whose secret ID rotation manages', () => {
  it('omits their secret ID and its outputs, and re-synthesizes when the set changes', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'maas-vault-synth-rotated-'));
    const config = validateConfig(configInput({ workDir, controllers: [{ name: 'region-1' }, { name: 'region-2' }] }), { env: {}, source: 'test' });
    const read = (path: string) =>
      JSON.parse(readFileSync(path, 'utf8')) as { resource: Record<string, Record<string, unknown>>; output: Record<string, { value: unknown }> };

    const all = await synthOnce(config, CODE, undefined, new Set());
    expect(Object.keys(read(all.jsonPath).resource[SECRET_ID]).sort()).toEqual(['region_region-1_secret_id', 'region_region-2_secret_id']);

    const rotated = await synthOnce(config, CODE, undefined, new Set(['region-1']));
    expect(rotated.reused).toBe(false);
    const json = read(rotated.jsonPath);
    expect(Object.keys(json.resource[SECRET_ID])).toEqual(['region_region-2_secret_id']);
    for (const name of ['wrapping_tokens', 'secret_id_accessors', 'configure_commands'])
      expect(Object.keys(json.output[name].value as object)).toEqual(['region-2']);
    // The role stays: only its secret ID moved to rotation.
    expect(Object.keys(json.resource.vault_approle_auth_backend_role)).toContain('region_region-1_role');
    expect((await synthOnce(config, CODE, undefined, new Set(['region-1']))).reused).toBe(true);
  });
});
