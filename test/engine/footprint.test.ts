/** Pre-flight's view of an adoption: what the stack imports is expected to exist, what it creates is not. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roleName, validateConfig } from '../../config/index.js';
import { importedFootprint, stackFootprint } from '../../engine/footprint.js';
import { synthOnce } from '../../stacks/synth-once.js';
import { configInput } from '../support/configs.js';

describe('importedFootprint', () => {
  const config = validateConfig(
    configInput({
      workDir: mkdtempSync(join(tmpdir(), 'maas-vault-footprint-')),
      policy: { name: 'maas-secrets', adopt: true },
      controllers: [{ name: 'region-1', role: 'maas-region-1' }, { name: 'region-2' }],
    }),
    { env: {}, source: 'test' },
  );

  it('names exactly the imported role and policy, by the names the stack writes them under', async () => {
    const { jsonPath } = await synthOnce(config, null, { roles: new Set(['region-1']), policy: true });
    expect(importedFootprint(jsonPath)).toEqual({ mounts: [], authMounts: [], policies: ['maas-secrets'], roles: [roleName(config, 'region-1')] });
    // region-2's role is created, not imported: pre-flight still checks it.
    expect(stackFootprint(jsonPath).roles).toEqual(expect.arrayContaining([roleName(config, 'region-1'), roleName(config, 'region-2')]));
  });

  it('is empty once the state holds them (no import blocks)', async () => {
    const { jsonPath } = await synthOnce(config, null, { roles: new Set(), policy: false });
    expect(importedFootprint(jsonPath)).toEqual({ mounts: [], authMounts: [], policies: [], roles: [] });
  });
});
