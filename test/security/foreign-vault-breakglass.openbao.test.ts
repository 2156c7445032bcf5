/**
 * A work directory records the Vault cluster its site was applied to (engine/site-record.ts), and
 * plan/apply/destroy refuse another cluster (an exported VAULT_ADDR at a staging Vault). The
 * commands that call Vault without the engine must refuse it too: `credentials` would issue secret
 * IDs on the other Vault and print them with this site's address, `revoke` would destroy the
 * secret IDs of the other Vault's same-named site, `rotate` would start a rotation there.
 */
import { mkdirSync } from 'node:fs';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig } from '../../config/index.js';
import { writeSiteRecord } from '../../engine/site-record.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { serverBinary } from '../support/matrix.js';

let server: OpenBaoServer;
let site: TestSite;
let role: string;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  site = new TestSite(server, { site: 'lab', kv: { mount: 'kv-lab' }, controllers: [{ name: 'region-1' }] });
  const config = validateConfig({ vault: { address: server.address }, ...site.config }, { env: {}, source: 'test', baseDir: site.dir });
  role = roleName(config, 'region-1');
  // The other Vault's own site of the same name, with a region configured on it.
  for (const [method, path, body] of [
    ['POST', 'sys/auth/approle', { type: 'approle' }],
    ['POST', `auth/approle/role/${role}`, { token_policies: ['default'] }],
    ['POST', `auth/approle/role/${role}/secret-id`, {}],
  ] as const) {
    const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body });
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status}`);
  }
  // This site's work directory: applied to another cluster (the production Vault).
  mkdirSync(config.workDir, { recursive: true });
  writeSiteRecord(config.workDir, { site: 'lab', vault: { address: 'https://vault.prod.example:8200', clusterId: 'a-production-cluster-id' } });
});

afterAll(async () => {
  await server?.stop();
});

const secretIds = async () =>
  ((await vaultHttp(server.address, 'LIST', `auth/approle/role/${role}/secret-id`, { token: server.rootToken })).body.data?.keys ?? []).length;

it.each([
  ['credentials', ['credentials']],
  ['credentials --revoke-previous', ['credentials', '--revoke-previous', '--auto-approve']],
  ['revoke', ['revoke', '--controller', 'region-1', '--auto-approve']],
  ['rotate', ['rotate']],
])('%s against another cluster than the work directory records is refused before any write, naming both', async (_, args) => {
  // The config names this (the other) Vault, as a copied config or an exported VAULT_ADDR would.
  const result = await site.cli(args, server.rootToken);
  expect([result.exitCode, result.stderr]).toEqual([2, expect.stringContaining('a-production-cluster-id')]);
  expect(result.stderr).toContain(`vault.address ${server.address} reaches another cluster`);
  expect(result.stdout).not.toMatch(/\bs\.[A-Za-z0-9]{20,}|hvs\./);
  expect(await secretIds()).toBe(1);
});
