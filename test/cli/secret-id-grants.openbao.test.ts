/**
 * credentials and rotate ask Vault, before the first secret ID is issued, whether the token may
 * issue one for every controller they were asked for: a CI issuer policy that
 * predates a controller, or an admin policy rendered before a controller's own role was named,
 * is refused with exit 2 and nothing issued, rather than a run that hands out some and fails the rest.
 */
import { issuerPolicyName, roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { issuerPolicyFor, renderAdminPolicy } from '../../policies/render.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { controllerRoleBody, setUpLikeTheDocs } from '../support/manual-site.js';
import { rootStep, tokenWithPolicy } from '../support/root.js';
import { stopAll } from '../support/stop.js';
import { TestSite } from '../support/site.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

let server: OpenBaoServer;
beforeAll(async () => (server = await startDevServer({ bao: serverBinary() })));
afterAll(() => stopAll(server));

const root = (method: string, path: string, body?: unknown) => rootStep(server, method, path, body);

async function secretIds(config: MaasVaultConfig): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { name } of config.controllers) {
    const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, name)}/secret-id`, { token: server.rootToken });
    counts[name] = listed.status === 404 ? 0 : listed.body.data.keys.length;
  }
  return counts;
}

/** A site set up the docs' way with two controllers, then a third added to the config and its role created. */
async function siteWithAddedController(site: string, thirdRole?: string) {
  const two = [{ name: 'region-1' }, { name: 'region-2' }];
  const input = {
    site,
    approle: { adopt: true },
    kv: { mount: `kv-${site}`, adopt: true },
    stackSecretIds: false,
    issuer: { enabled: true },
    controllers: two,
  };
  const before = validateConfig({ ...input, vault: { address: server.address } });
  await setUpLikeTheDocs(server, before);
  const testSite = new TestSite(server, input);
  const third = { name: 'region-3', ...(thirdRole ? { role: thirdRole } : {}) };
  testSite.update((config) => ({ ...config, controllers: [...two, third] }));
  const after = validateConfig({ ...testSite.config, vault: { address: server.address } });
  await root('POST', `auth/approle/role/${roleName(after, 'region-3')}`, controllerRoleBody(after));
  return { site: testSite, before, after };
}

it('credentials and rotate with a CI issuer token whose policy predates a controller: exit 2, nothing issued, `apply` named', async () => {
  const { site, before, after } = await siteWithAddedController('ci');
  // The issuer's token as CI holds it: the issuer policy as the last apply wrote it (two controllers).
  const issuer = await tokenWithPolicy(server, issuerPolicyName(before), issuerPolicyFor(before));
  const counts = await secretIds(after);
  for (const args of [['credentials'], ['rotate'], ['credentials', '--controller', 'region-3']]) {
    const result = await site.cli(args, issuer);
    expect([args.join(' '), result.exitCode]).toEqual([args.join(' '), 2]);
    expect(result.stderr).toContain(`${args[0]} refused before issuing anything (nothing was changed in Vault)`);
    const role = roleName(after, 'region-3');
    expect(result.stderr).toContain(
      `may not issue secret IDs for region-3 (update on auth/approle/role/${role}/secret-id, read on auth/approle/role/${role}/role-id)`,
    );
    expect(result.stderr).toContain(`the CI issuer policy ${issuerPolicyName(after)} predates region-3: \`maas-vault apply\``);
    expect(result.stdout).toBe('');
    expect(await secretIds(after)).toEqual(counts);
  }
  // The controllers it does cover are still served.
  const one = await site.cli(['credentials', '--controller', 'region-1', '--json'], issuer);
  expect([one.exitCode, one.exitCode === 0 ? '' : one.all]).toEqual([0, '']);
});

it('credentials with an admin token rendered before a controller with a role of its own: exit 2, the re-render command', async () => {
  const { site, before, after } = await siteWithAddedController('hand', 'hand-made-3');
  const admin = await tokenWithPolicy(server, 'ops-hand', renderAdminPolicy(before));
  const counts = await secretIds(after);
  const result = await site.cli(['credentials'], admin);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain('may not issue secret IDs for region-3 (update on auth/approle/role/hand-made-3/secret-id');
  expect(result.stderr).toContain(
    `maas-vault policy admin --config ${site.configPath} > ops-hand.hcl && ${serverCliName()} policy write ops-hand ops-hand.hcl`,
  );
  expect(await secretIds(after)).toEqual(counts);

  await root('PUT', 'sys/policies/acl/ops-hand', { policy: renderAdminPolicy(after) });
  const issued = await site.cli(['credentials', '--json'], admin);
  expect([issued.exitCode, issued.exitCode === 0 ? '' : issued.all]).toEqual([0, '']);
  expect(JSON.parse(issued.stdout).controllers.map((entry: { name: string }) => entry.name)).toEqual(['region-1', 'region-2', 'region-3']);
});
