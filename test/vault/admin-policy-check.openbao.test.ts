/**
 * The admin policy checked before the first write, on a real server: a token
 * holding the admin policy rendered for an older config is told apart from one rendered for this
 * config, the change that needs the re-render is named, and `status` reports it as a finding.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issuerPolicyName, type MaasVaultConfig } from '../../config/index.js';
import { renderAdminPolicy } from '../../policies/render.js';
import { checkAdminPolicy, describeAdminPolicyGaps } from '../../vault/admin-policy-check.js';
import { VaultClient } from '../../vault/client.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli } from '../support/cli.js';
import { testConfig } from '../support/configs.js';
import { serverBinary, serverCliName } from '../support/matrix.js';
import { rootStep, tokenWithPolicy } from '../support/root.js';
import { stopAll } from '../support/stop.js';

let server: OpenBaoServer;
beforeAll(async () => (server = await startDevServer({ bao: serverBinary() })));
afterAll(() => stopAll(server));

const root = (method: string, path: string, body?: unknown) => rootStep(server, method, path, body);

function configOf(input: Record<string, unknown>): MaasVaultConfig {
  return testConfig({ vault: { address: server.address }, ...input });
}

/** A token holding only the admin policy rendered for `config`, written under `name`. */
const adminToken = (name: string, config: MaasVaultConfig) => tokenWithPolicy(server, name, renderAdminPolicy(config));

async function check(token: string, config: MaasVaultConfig) {
  const client = new VaultClient({ address: server.address, token });
  try {
    return (await checkAdminPolicy(client, config))!;
  } finally {
    await client.close();
  }
}

const two = [{ name: 'region-1' }, { name: 'region-2' }];

it('the policy rendered for this config passes, and so does a root token', async () => {
  const config = configOf({ site: 'cur', issuer: { enabled: true }, controllers: two });
  const token = await adminToken('maas-admin-cur', config);
  expect(await check(token, config)).toMatchObject({ current: true, gaps: [], wider: [], policies: ['maas-admin-cur'] });
  expect((await check(server.rootToken, config)).current).toBe(true);
});

it('issuer enabled after the policy was rendered: the issuer paths are missing, and the change is named', async () => {
  const before = configOf({ site: 'iss', controllers: two });
  const token = await adminToken('ops-admin-iss', before);
  const after = configOf({ site: 'iss', controllers: two, issuer: { enabled: true } });
  const result = await check(token, after);
  expect(result.current).toBe(false);
  expect(result.change).toBe('issuer.enabled was set');
  expect(result.gaps.map((gap) => gap.path)).toContain(`sys/policies/acl/${issuerPolicyName(after)}`);
  expect(result.rewrite).toBe(
    `\`maas-vault policy admin --config test > ops-admin-iss.hcl && ${serverCliName()} policy write ops-admin-iss ops-admin-iss.hcl\``,
  );
  const text = describeAdminPolicyGaps(after, result);
  expect(text).toContain('rendered before issuer.enabled was set in test');
  expect(text).toContain('ops-admin-iss');

  // Re-rendered and written again under the same name: the same token passes.
  await adminToken('ops-admin-iss', after);
  expect((await check(token, after)).current).toBe(true);
});

it('a controller marked revoked with the issuer on: the pinned issuer text differs, and the controller is named', async () => {
  const before = configOf({ site: 'rev', issuer: { enabled: true }, controllers: two });
  const token = await adminToken('maas-admin-rev', before);
  const after = configOf({ site: 'rev', issuer: { enabled: true }, controllers: [{ name: 'region-1' }, { name: 'region-2', revoked: true }] });
  const result = await check(token, after);
  expect(result.current).toBe(false);
  expect(result.change).toBe('controllers[1] (region-2) was marked "revoked": true');
  expect(result.gaps).toEqual([expect.objectContaining({ pinnedPolicy: issuerPolicyName(after) })]);
  expect(describeAdminPolicyGaps(after, result)).toContain(`pins another text of the policy ${issuerPolicyName(after)}`);
});

it('a controller added to a site with the issuer: named', async () => {
  const before = configOf({ site: 'add', issuer: { enabled: true }, controllers: two });
  const token = await adminToken('maas-admin-add', before);
  const after = configOf({ site: 'add', issuer: { enabled: true }, controllers: [...two, { name: 'region-3' }] });
  const result = await check(token, after);
  expect(result.current).toBe(false);
  expect(result.change).toBe('controllers[2] (region-3) was added (or its "revoked" mark removed) with issuer.enabled');
});

it('a controller added without the issuer needs no re-render (the role glob covers it)', async () => {
  const token = await adminToken('maas-admin-plain', configOf({ site: 'plain', controllers: two }));
  expect((await check(token, configOf({ site: 'plain', controllers: [...two, { name: 'region-3' }] }))).current).toBe(true);
});

it('approle.adopt turned off: the sudo paths on approle/ are missing', async () => {
  const token = await adminToken('maas-admin-adp', configOf({ site: 'adp', approle: { adopt: true }, controllers: two }));
  const result = await check(token, configOf({ site: 'adp', controllers: two }));
  expect(result.current).toBe(false);
  expect(result.change).toBe('approle.adopt was turned off');
  expect(result.gaps).toContainEqual({ path: 'sys/auth/approle', capabilities: expect.arrayContaining(['create', 'sudo']) });
});

it('approle.adopt set with a policy that can still disable approle/: a warning, not a refusal', async () => {
  const token = await adminToken('maas-admin-wide', configOf({ site: 'wide', controllers: two }));
  const result = await check(token, configOf({ site: 'wide', approle: { adopt: true }, controllers: two }));
  expect(result.current).toBe(true);
  expect(result.wider).toEqual([expect.stringMatching(/can still disable approle\/ \(rendered before approle\.adopt was set\)/)]);
});

it('a token with no admin policy of the site says so, not a config change', async () => {
  const token = (await root('POST', 'auth/token/create', { policies: ['default'], ttl: '10m' })).auth.client_token;
  const config = configOf({ site: 'none', controllers: two });
  const result = await check(token, config);
  expect(result).toMatchObject({ current: false, noAdminPolicy: true, policies: [] });
  expect(describeAdminPolicyGaps(config, result)).toMatch(
    /^permission denied ahead: the token does not grant \S.* and \d+ more, and holds no admin policy rendered for site none by this maas-vault/,
  );
  expect(result.rewrite).toContain(`${serverCliName()} policy write maas-admin-none maas-admin-none.hcl`);
});

it('status reports a stale admin policy as a finding, with the command, and does not crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-stale-admin-'));
  const input = { site: 'stat', vault: { address: server.address }, kv: { mount: 'kv-stat' }, controllers: two, workDir: join(dir, 'work') };
  const configPath = join(dir, 'maas-vault.json');
  writeFileSync(configPath, JSON.stringify({ ...input, issuer: { enabled: true } }));
  const token = await adminToken('maas-admin-stat', testConfig(input, input.workDir));
  const result = await runCli(['status', '--config', configPath], { token });
  // The site was never applied: "not created yet" (exit 5). That policy may read the issuer role
  // (to delete it once the issuer is off), so status sees it is absent rather than unreadable.
  expect([result.exitCode, result.stderr]).toEqual([5, '']);
  expect(result.stdout).toMatch(/^DRIFT +admin policy of the token$/m);
  expect(result.stdout).toContain('rendered before issuer.enabled was set');
  expect(result.stdout).toContain(`${serverCliName()} policy write maas-admin-stat maas-admin-stat.hcl`);
  const json = await runCli(['status', '--json', '--config', configPath], { token });
  const checks = JSON.parse(json.stdout).checks as { subject: string; ok: boolean }[];
  expect(checks.find((entry) => entry.subject === 'admin policy of the token')).toMatchObject({ ok: false });
});

it('a policy rendered by an older maas-vault (no markers, every path granted): stale, re-render, not "no admin policy"', async () => {
  const config = configOf({ site: 'old', issuer: { enabled: true }, controllers: two });
  const withoutMarkers = renderAdminPolicy(config).split('\n# What this policy was rendered for')[0];
  expect(withoutMarkers).not.toContain('sys/rendered-admin-policy/');
  const token = await tokenWithPolicy(server, 'maas-admin-old', withoutMarkers);
  const result = await check(token, config);
  expect(result).toMatchObject({ current: false, noAdminPolicy: false });
  expect(result.change).toBeUndefined();
  expect(result.gaps.every((gap) => gap.pinnedPolicy)).toBe(true);
  expect(describeAdminPolicyGaps(config, result)).toContain('was rendered for another config than test (or by an older maas-vault)');
});

it('a policy rendered for this config by the maas-vault before the leftover grants: stale once, said as the upgrade, not a config change', async () => {
  const config = configOf({ site: 'prev', controllers: two });
  const rendered = renderAdminPolicy(config);
  // What the previous release rendered for this config: no leftover block, no read on every role's settings.
  const previous = rendered
    .replace(/\n# What an earlier config of this site[\s\S]*?(?=\n# What this policy was rendered for)/, '')
    .replace(/# Every role's settings, read only[\s\S]*?path "auth\/approle\/role\/\+" \{\n {2}capabilities = \["read"\]\n\}\n/, '');
  expect(previous).not.toContain('maas-issuer_prev');
  expect(previous).not.toContain('auth/approle/role/+');
  expect(previous).toContain('sys/rendered-admin-policy/prev/');
  const token = await tokenWithPolicy(server, 'maas-admin-prev', previous);
  const result = await check(token, config);
  expect(result).toMatchObject({ current: false, noAdminPolicy: false, upgrade: true });
  expect(result.gaps.map((gap) => gap.path).sort()).toEqual(
    [
      'auth/approle/role/+',
      'auth/approle/role/maas-issuer_prev',
      'auth/approle/role/maas-issuer_prev/role-id',
      'sys/policies/acl/maas-issuer_prev',
      'sys/policies/acl/maas_prev_*',
    ].sort(),
  );
  expect(describeAdminPolicyGaps(config, result)).toContain('was rendered by an older maas-vault');
  // The policy of this release passes.
  expect((await check(await adminToken('maas-admin-prev', config), config)).current).toBe(true);
});

/** A token holding only `policy` (a text edited from a rendered one), written under `name`. */
async function tokenFor(name: string, policy: string): Promise<string> {
  await root('POST', `sys/policies/acl/${name}`, { policy });
  return (await root('POST', 'auth/token/create', { policies: [name], ttl: '10m' })).auth.client_token;
}

it('a policy holding only the markers, none of the grants: said as not the rendered policy, not as rendered for another config', async () => {
  const config = configOf({ site: 'mark', controllers: two });
  const markers = [...renderAdminPolicy(config).matchAll(/^path "sys\/rendered-admin-policy\/[^"]+" \{\n[^}]*\}\n/gm)].map(([block]) => block);
  expect(markers.length).toBeGreaterThan(0);
  const token = await tokenFor('maas-admin-mark', markers.join(''));
  const result = await check(token, config);
  expect(result).toMatchObject({ current: false, noAdminPolicy: false, edited: 'all' });
  expect(result.change).toBeUndefined();
  expect(result.gaps.some((gap) => gap.pinnedPolicy)).toBe(false);
  const text = describeAdminPolicyGaps(config, result);
  expect(text).toMatch(
    /^the token's policy \(maas-admin-mark\) holds only the markers of the admin policy `maas-vault policy admin` renders for test, none of its grants \(it does not grant \S/,
  );
  expect(text).toContain('not that policy as rendered (edited, or written by hand)');
  expect(text).toContain(`${serverCliName()} policy write maas-admin-mark maas-admin-mark.hcl`);
  expect(text).not.toContain('rendered for another config');
});

it('a policy lacking only the block on MOUNT/metadata/PATH/*, kv.adopt never set: the grant and the render command, not kv.adopt', async () => {
  const config = configOf({ site: 'meta', kv: { mount: 'kv-meta' }, secretsPath: 'maas', controllers: two });
  const rendered = renderAdminPolicy(config);
  const block = /^path "kv-meta\/metadata\/maas\/\*" \{\n[^}]*\}\n/m;
  expect(rendered).toMatch(block);
  const token = await tokenFor('maas-admin-meta', rendered.replace(block, ''));
  const result = await check(token, config);
  expect(result).toMatchObject({ current: false, noAdminPolicy: false, edited: 'some' });
  expect(result.change).toBeUndefined();
  expect(result.gaps).toEqual([{ path: 'kv-meta/metadata/maas/controller/', capabilities: ['delete'], grant: 'kv-meta/metadata/maas/*' }]);
  const text = describeAdminPolicyGaps(config, result);
  expect(text).toBe(
    "the token's policy (maas-admin-meta) holds the markers of the admin policy `maas-vault policy admin` renders for test, " +
      'but not its grant of delete on kv-meta/metadata/maas/controller/ (its block path "kv-meta/metadata/maas/*"), and no single change of the config ' +
      'explains that: edited since it was rendered, or rendered for a config several changes away, so the engine would be refused partway. ' +
      `Render it again and write it: \`maas-vault policy admin --config test > maas-admin-meta.hcl && ${serverCliName()} policy write maas-admin-meta maas-admin-meta.hcl\``,
  );
  expect(text).not.toContain('kv.adopt');
});

it('kv.adopt really turned off since the render: named', async () => {
  const input = { site: 'kva', kv: { mount: 'kv-kva' }, secretsPath: 'maas', controllers: two };
  const token = await adminToken('maas-admin-kva', configOf({ ...input, kv: { mount: 'kv-kva', adopt: true } }));
  const config = configOf(input);
  const result = await check(token, config);
  expect(result).toMatchObject({ current: false, change: 'kv.adopt was turned off' });
  expect(result.edited).toBeUndefined();
  expect(result.gaps.map((gap) => gap.path)).toEqual(expect.arrayContaining(['sys/mounts/kv-kva', 'kv-kva/metadata/maas/controller/']));
  expect(describeAdminPolicyGaps(config, result)).toContain('was rendered before kv.adopt was turned off in test');
});
