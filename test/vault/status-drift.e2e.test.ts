/**
 * `status` tells the truth about drift: for each hand edit an admin could make with the `bao`
 * CLI (and each config change not applied yet), status exits 4 exactly when
 * `plan --detailed-exitcode` exits 2, names the setting, and after one apply both are clean again.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { issuerPolicyName, issuerRoleName, loadConfigFile, roleName, validateConfig } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { TestSite } from '../support/site.js';
import { vaultHttp } from '../support/http.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

interface HandEdit {
  name: string;
  /** The change, with the real `bao` CLI or by editing the config file. */
  edit: () => Promise<void>;
  /** Whether the engine's plan should see a change (checked against the plan too). */
  planSees: boolean;
  /** Flags the repairing apply needs (an opt-in that names the loss). */
  applyWith?: string[];
  /** Text the status output must contain for this edit. */
  says?: RegExp;
}

describeE2E('status agrees with plan on every hand edit (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  const table: string[] = ['| hand edit | status | plan --detailed-exitcode | agree |', '| --- | --- | --- | --- |'];
  const names = { site: 'drift' };
  const role = (controller: string) => roleName(names, controller);
  const mount = 'kv-drift';

  async function bao(...args: string[]): Promise<void> {
    await execa(serverBinary(), args, {
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: site.dir, VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken },
    });
  }

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, {
      site: names.site,
      kv: { mount, maxVersions: 7 },
      issuer: { enabled: true, cidrs: ['127.0.0.1/32'] },
      // /32 in the config, as examples/maas-vault.yaml has: Vault answers 127.0.0.1.
      controllers: [{ name: 'region-1', cidrs: ['127.0.0.1/32', '10.0.0.0/8'] }, { name: 'region-2' }, { name: 'region-3' }],
    });
    await site.apply();
  });

  afterAll(async () => {
    await server?.stop();
    if (process.env.MAAS_VAULT_DRIFT_TABLE) writeFileSync(process.env.MAAS_VAULT_DRIFT_TABLE, `${table.join('\n')}\n`);
  });

  async function statusAndPlan(): Promise<{ status: number; plan: number; text: string }> {
    const [status, plan] = [await site.cli(['status']), await site.cli(['plan', '--detailed-exitcode', '-q'])];
    expect([0, 4]).toContain(status.exitCode);
    expect([[0, 2], plan.exitCode === 1 ? plan.stderr : '']).toEqual([expect.arrayContaining([plan.exitCode]), '']);
    return { status: status.exitCode, plan: plan.exitCode, text: status.stdout };
  }

  it('a clean apply is followed by a clean status and an empty plan (with /32 CIDRs in the config)', async () => {
    const { status, plan, text } = await statusAndPlan();
    expect([status, plan, text]).toEqual([0, 0, expect.stringContaining('Vault matches the config.')]);
  });

  const edits: HandEdit[] = [
    {
      name: 'token_period=768h on a role',
      planSees: true,
      says: /token_period is 2764800, expected 0/,
      edit: () => bao('write', `auth/approle/role/${role('region-2')}`, 'token_period=768h'),
    },
    {
      name: 'token_type=batch on a role',
      planSees: true,
      says: /token_type is "batch", expected "default"/,
      edit: () => bao('write', `auth/approle/role/${role('region-2')}`, 'token_type=batch'),
    },
    {
      name: 'token_ttl changed',
      planSees: true,
      says: /token_ttl is 3600, expected 300/,
      edit: () => bao('write', `auth/approle/role/${role('region-3')}`, 'token_ttl=1h'),
    },
    {
      name: 'secret_id_num_uses=1',
      planSees: true,
      says: /secret_id_num_uses is 1, expected 0/,
      edit: () => bao('write', `auth/approle/role/${role('region-3')}`, 'secret_id_num_uses=1'),
    },
    {
      name: 'token_explicit_max_ttl set',
      planSees: true,
      says: /token_explicit_max_ttl is 7200, expected 0/,
      edit: () => bao('write', `auth/approle/role/${role('region-1')}`, 'token_explicit_max_ttl=2h'),
    },
    {
      name: 'token_no_default_policy=true',
      planSees: true,
      says: /token_no_default_policy is true, expected false/,
      edit: () => bao('write', `auth/approle/role/${role('region-1')}`, 'token_no_default_policy=true'),
    },
    {
      name: "a controller role's CIDRs removed",
      planSees: true,
      says: /token_bound_cidrs is \[\], expected/,
      edit: () => bao('write', `auth/approle/role/${role('region-1')}`, 'token_bound_cidrs=', 'secret_id_bound_cidrs='),
    },
    {
      name: "root added to the issuer role's policies",
      planSees: true,
      says: /token_policies is \[[^\]]*"root"\], expected \[/,
      edit: () => bao('write', `auth/approle/role/${issuerRoleName(names)}`, `token_policies=${issuerPolicyName(names)},root`),
    },
    {
      name: 'issuer CIDRs removed',
      planSees: true,
      says: /token_bound_cidrs is \[\], expected \["127.0.0.1\/32"\]/,
      edit: () => bao('write', `auth/approle/role/${issuerRoleName(names)}`, 'token_bound_cidrs=', 'secret_id_bound_cidrs='),
    },
    {
      name: 'issuer role deleted',
      planSees: true,
      says: /missing \(deleted outside the stack\)/,
      edit: () => bao('delete', `auth/approle/role/${issuerRoleName(names)}`),
    },
    {
      name: 'a controller role deleted',
      planSees: true,
      says: /missing \(deleted outside the stack\): `maas-vault apply` re-creates it with a new role ID; then run the configure command it prints on region-2/,
      edit: () => bao('delete', `auth/approle/role/${role('region-2')}`),
    },
    { name: 'KV max_versions changed', planSees: true, says: /max_versions is 3, expected 7/, edit: () => bao('write', `${mount}/config`, 'max_versions=3') },
    { name: 'KV cas_required=true', planSees: true, says: /cas_required is true/, edit: () => bao('write', `${mount}/config`, 'cas_required=true') },
    {
      name: 'KV delete_version_after=1h',
      planSees: true,
      says: /delete_version_after is 3600, expected 0/,
      edit: () => bao('write', `${mount}/config`, 'delete_version_after=1h'),
    },
    {
      name: 'KV mount description changed',
      planSees: true,
      says: /description is "mine"/,
      edit: () => bao('secrets', 'tune', '-description=mine', `${mount}/`),
    },
    {
      name: 'MAAS policy text edited',
      planSees: true,
      says: /differs from `maas-vault policy maas`/,
      edit: async () => {
        const file = join(site.dir, 'edited.hcl');
        writeFileSync(file, `path "${mount}/data/elsewhere/*" { capabilities = ["read"] }\n`);
        await bao('policy', 'write', loadConfigFile(site.configPath, { env: {} }).policy.name, file);
      },
    },
    {
      // bao trims the file it uploads: the stored text is unchanged, and neither may report drift.
      name: 'issuer policy re-uploaded with a trailing newline',
      planSees: false,
      edit: async () => {
        const rendered = await site.cli(['policy', 'issuer'], null);
        const file = join(site.dir, 'issuer.hcl');
        writeFileSync(file, `${rendered.stdout}\n`);
        await bao('policy', 'write', issuerPolicyName(names), file);
      },
    },
    {
      // OpenBao drops the extra trailing newline when it stores the text: neither may report drift.
      name: 'MAAS policy: the rendered text plus one newline (HTTP API)',
      planSees: false,
      edit: async () => {
        const rendered = await site.cli(['policy', 'maas'], null);
        const name = loadConfigFile(site.configPath, { env: {} }).policy.name;
        expect(
          (await vaultHttp(server.address, 'POST', `sys/policies/acl/${name}`, { token: server.rootToken, body: { policy: `${rendered.stdout}\n` } })).status,
        ).toBe(204);
      },
    },
    // By hand, not `maas-vault revoke`: that records a revocation, and apply then refuses until the config marks it.
    {
      name: "the stack's secret ID destroyed (secret-id-accessor/destroy)",
      planSees: true,
      says: /the secret ID the stack issued no longer exists/,
      edit: async () => {
        const accessor = (await site.outputs()).get('region-3')!.secretIdAccessor;
        expect(accessor).toMatch(/^[0-9a-f-]{36}$/);
        await bao('write', `auth/approle/role/${role('region-3')}/secret-id-accessor/destroy`, `secret_id_accessor=${accessor}`);
      },
    },
    {
      name: 'config: generation bumped (not applied)',
      planSees: true,
      says: /issued for generation 1, the config says 2/,
      edit: async () => site.update((input) => ({ ...input, generation: (input.generation ?? 1) + 1 })),
    },
    {
      name: 'config: controller added (not applied)',
      planSees: true,
      says: /not created yet/,
      edit: async () => site.update((input) => ({ ...input, controllers: [...input.controllers, { name: 'region-4' }] })),
    },
    {
      name: 'config: controller removed (not applied)',
      planSees: true,
      says: /created by the stack but the config no longer names it: `maas-vault apply --replace-roles` deletes it/,
      applyWith: ['--replace-roles'],
      edit: async () =>
        site.update((input) => ({ ...input, controllers: input.controllers.filter((controller: { name: string }) => controller.name !== 'region-4') })),
    },
    // Hand edits the provider does not manage: neither may report them as drift.
    { name: 'approle mount tuned (max-lease-ttl, not managed)', planSees: false, edit: () => bao('auth', 'tune', '-max-lease-ttl=2h', 'approle/') },
    { name: 'KV mount tuned (default-lease-ttl, computed)', planSees: false, edit: () => bao('secrets', 'tune', '-default-lease-ttl=1h', `${mount}/`) },
    {
      name: 'a wrapping token in the state unwrapped (as MAAS does)',
      planSees: false,
      says: /note +wrapping tokens in the state/,
      edit: async () => {
        const token = (await site.outputs()).get('region-1')!.wrappedToken;
        await execa(serverBinary(), ['unwrap', token], { extendEnv: false, env: { PATH: process.env.PATH, HOME: site.dir, VAULT_ADDR: server.address } });
      },
    },
    {
      name: "another site's role sharing the prefix (site drift-b)",
      planSees: false,
      edit: () =>
        bao(
          'write',
          `auth/approle/role/${roleName({ site: `${names.site}-b` }, 'region-1')}`,
          `token_policies=${validateConfig({ site: `${names.site}-b`, vault: { address: server.address }, controllers: [{ name: 'region-1' }] }, { env: {} }).policy.name}`,
        ),
    },
  ];

  it.each(edits.map((edit) => [edit.name, edit]))('%s', async (_name, edit) => {
    await edit.edit();
    const { status, plan, text } = await statusAndPlan();
    const agree = (status === 4) === (plan === 2);
    table.push(`| ${edit.name} | ${status === 4 ? 'DRIFT (exit 4)' : `ok (exit ${status})`} | ${plan} | ${agree ? 'yes' : 'NO'} |`);
    expect({ status, plan }).toEqual(edit.planSees ? { status: 4, plan: 2 } : { status: 0, plan: 0 });
    if (edit.says) expect(text).toMatch(edit.says);
    if (edit.planSees) {
      const applied = await site.cli(['apply', '--auto-approve', ...(edit.applyWith ?? [])]);
      expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
      const after = await statusAndPlan();
      expect([after.status, after.plan, after.status === 0 ? '' : after.text]).toEqual([0, 0, '']);
    }
  });

  it("a role in the site's namespace that neither the config nor the state names: status flags it (EXTRA, exit 4), the plan cannot see it", async () => {
    const extra = roleName(names, 'rogue');
    await bao('write', `auth/approle/role/${extra}`, 'token_policies=default');
    try {
      const { status, plan, text } = await statusAndPlan();
      expect([status, plan]).toEqual([4, 0]);
      expect(text).toContain(`EXTRA   other roles of site ${names.site}`);
      expect(text).toContain(
        `role ${extra} is in site ${names.site}'s namespace, but neither the config nor the stack's state names it (the plan cannot see it): delete it (\`${serverCliName()} delete auth/approle/role/${extra}\`)`,
      );
      expect(text).not.toContain(`${serverCliName() === 'bao' ? 'vault' : 'bao'} delete`);
    } finally {
      await bao('delete', `auth/approle/role/${extra}`);
    }
    expect((await statusAndPlan()).status).toBe(0);
  });
});
