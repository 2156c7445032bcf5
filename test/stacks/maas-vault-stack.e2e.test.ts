/**
 * The stack applied by a real engine with the real terraform-provider-vault to a real OpenBao,
 * then MAAS's own `configure` calls made with nothing but the stack's outputs and plain HTTP.
 */
import { defaultPolicyName, roleName } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('maas-vault-stack (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const controllers = (...names: string[]) => names.map((name) => ({ name }));

  async function expectMaasWorks(site: TestSite, mount: string, secretsPath: string, policy: string) {
    const outputs = await site.outputs();
    for (const controller of outputs.values()) {
      expect(controller.command).toBe(
        `sudo maas config-vault configure ${server.address} ${controller.roleId} ${controller.wrappedToken} ${secretsPath} --mount ${mount}`,
      );
      const maas = await maasConfigure(server.address, { roleId: controller.roleId, wrappedToken: controller.wrappedToken, secretsPath, mount });
      expect(maas.policies.sort()).toEqual(['default', policy]);
      expect(maas.ttl).toBeGreaterThan(290);
      expect(maas.ttl).toBeLessThanOrEqual(300);
      // Outside the secrets path and outside the mount: denied.
      const outside = [`${mount}/data/other/x`, `${mount}/metadata/other/x`, 'secret/data/not-maas/x', 'sys/policies/acl/default'];
      if (mount !== 'secret') outside.push('secret/data/maas/x');
      for (const path of outside) expect([path, (await vaultHttp(server.address, 'GET', path, { token: maas.token })).status]).toEqual([path, 403]);
      // A wrapping token works once.
      expect((await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: controller.wrappedToken })).status).toBe(400);
      // MAAS logs in again with the same secret_id whenever its token nears expiry.
      for (let login = 0; login < 2; login += 1) {
        const again = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: controller.roleId, secret_id: maas.secretId } });
        expect(again.status).toBe(200);
      }
    }
    return outputs;
  }

  describe('documented profile, custom mount, nested secrets path', () => {
    const site = () =>
      new TestSite(server, {
        site: 'lab',
        kv: { mount: 'kv-maas' },
        secretsPath: 'maas/site-a',
        tokenTtl: '5m',
        controllers: controllers('region-1', 'region-2', 'region-3'),
      });
    let lab: TestSite;
    /** What region-4's MAAS would hold, to prove removal locks it out. */
    let region4: { roleId: string; secretId: string };

    it('applies, and every controller passes MAAS configure', async () => {
      lab = site();
      await lab.apply();
      const outputs = await expectMaasWorks(lab, 'kv-maas', 'maas/site-a', defaultPolicyName({ site: 'lab' }));
      expect([...outputs.keys()]).toEqual(['region-1', 'region-2', 'region-3']);
      const mounts = await vaultHttp(server.address, 'GET', 'sys/mounts/kv-maas', { token: server.rootToken });
      expect(mounts.body.data.options.version).toBe('2');
      const kvConfig = await vaultHttp(server.address, 'GET', 'kv-maas/config', { token: server.rootToken });
      expect(kvConfig.body.data.cas_required).toBe(false);
    });

    it('re-applies as a no-op, also after MAAS unwrapped every token', async () => {
      expect((await lab.plan()).changes).toBe(false);
    });

    it('adding a controller creates only its role and secret ID', async () => {
      const before = await lab.outputs();
      lab.update((input) => ({ ...input, controllers: controllers('region-1', 'region-2', 'region-3', 'region-4') }));
      const applied = await lab.apply();
      expect(applied.stderr).toMatch(/2 added, 0 changed, 0 destroyed/);
      const after = await lab.outputs();
      for (const name of before.keys()) {
        expect(after.get(name)!.roleId).toBe(before.get(name)!.roleId);
        expect(after.get(name)!.secretIdAccessor).toBe(before.get(name)!.secretIdAccessor);
      }
      const fresh = after.get('region-4')!;
      const maas = await maasConfigure(server.address, {
        roleId: fresh.roleId,
        wrappedToken: fresh.wrappedToken,
        secretsPath: 'maas/site-a',
        mount: 'kv-maas',
      });
      region4 = { roleId: fresh.roleId, secretId: maas.secretId };
    });

    it('removing a controller deletes its role and its secret IDs', async () => {
      lab.update((input) => ({ ...input, controllers: controllers('region-1', 'region-2', 'region-3') }));
      // Deleting a role takes the flag that names it: refused without, nothing deleted.
      const refused = await lab.cli(['apply', '--auto-approve']);
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toContain('only with --replace-roles');
      expect((await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName({ site: 'lab' }, 'region-4')}`, { token: server.rootToken })).status).toBe(
        200,
      );
      const applied = await lab.cli(['apply', '--auto-approve', '--replace-roles']);
      expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
      expect(applied.stderr).toMatch(/0 added, 0 changed, 2 destroyed/);
      const role = await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName({ site: 'lab' }, 'region-4')}`, { token: server.rootToken });
      expect(role.status).toBe(404);
      const secretIds = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName({ site: 'lab' }, 'region-4')}/secret-id`, {
        token: server.rootToken,
      });
      expect(secretIds.body.data?.keys).toBeUndefined();
      expect(secretIds.body.errors).toEqual([`role "${roleName({ site: 'lab' }, 'region-4')}" does not exist`]);
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region4.roleId, secret_id: region4.secretId } });
      expect(login.status).toBe(400);
      expect([...(await lab.outputs()).keys()]).toEqual(['region-1', 'region-2', 'region-3']);
    });

    it('bumping generation re-issues every secret ID of the stack and keeps role IDs and other secret IDs', async () => {
      const before = await lab.outputs();
      // Secret IDs as MAAS holds them: issue one per controller the way the admin would hand it out.
      const held = new Map<string, string>();
      for (const [name, controller] of before) {
        const issued = await runCredentials(lab, name);
        held.set(
          name,
          (await maasConfigure(server.address, { roleId: controller.roleId, wrappedToken: issued, secretsPath: 'maas/site-a', mount: 'kv-maas' })).secretId,
        );
      }
      const accessorsBefore = await accessors(roleName({ site: 'lab' }, 'region-1'));
      lab.update((input) => ({ ...input, generation: 2 }));
      const applied = await lab.apply();
      expect(applied.stderr).toMatch(/3 added, 0 changed, 3 destroyed/);
      const after = await lab.outputs();
      for (const name of before.keys()) {
        expect(after.get(name)!.secretIdAccessor).not.toBe(before.get(name)!.secretIdAccessor);
        expect(after.get(name)!.roleId).toBe(before.get(name)!.roleId);
      }
      // The stack's own previous secret ID is gone; the new one logs in.
      expect(await accessors(roleName({ site: 'lab' }, 'region-1'))).not.toContain(before.get('region-1')!.secretIdAccessor);
      expect(await accessors(roleName({ site: 'lab' }, 'region-1'))).toContain(after.get('region-1')!.secretIdAccessor);
      expect(accessorsBefore).toContain(before.get('region-1')!.secretIdAccessor);
      await expectMaasWorks(lab, 'kv-maas', 'maas/site-a', defaultPolicyName({ site: 'lab' }));
      // Secret IDs that were not the stack's (issued by `credentials`) are untouched by a generation bump.
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', {
        body: { role_id: before.get('region-1')!.roleId, secret_id: held.get('region-1') },
      });
      expect(login.status).toBe(200);
    });

    it('the secret_id unwrapped from the stack before the bump can no longer log in', async () => {
      lab.update((input) => ({ ...input, generation: 3 }));
      await lab.apply();
      const before = await lab.outputs();
      const controller = before.get('region-2')!;
      const maas = await maasConfigure(server.address, {
        roleId: controller.roleId,
        wrappedToken: controller.wrappedToken,
        secretsPath: 'maas/site-a',
        mount: 'kv-maas',
      });
      lab.update((input) => ({ ...input, generation: 4 }));
      await lab.apply();
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: controller.roleId, secret_id: maas.secretId } });
      expect(login.status).toBe(400);
      expect(JSON.stringify(login.body.errors)).toMatch(/invalid (role or )?secret id/i);
    });

    describe('strict profile on the same server (approle adopted from the first site)', () => {
      let strict: TestSite;

      it('applies and every controller passes MAAS configure', async () => {
        strict = new TestSite(server, {
          site: 'strict',
          approle: { adopt: true },
          kv: { mount: 'kv-strict' },
          secretsPath: 'maas/site-b',
          policy: { profile: 'strict' },
          controllers: controllers('region-1', 'region-2', 'region-3'),
        });
        await strict.apply();
        await expectMaasWorks(strict, 'kv-strict', 'maas/site-b', defaultPolicyName({ site: 'strict' }));
        const policy = await vaultHttp(server.address, 'GET', `sys/policies/acl/${defaultPolicyName({ site: 'strict' })}`, { token: server.rootToken });
        expect(policy.body.data.policy).toContain('path "kv-strict/metadata/maas/site-b/*" {\n  capabilities = ["delete"]');
        expect((await strict.plan()).changes).toBe(false);
      });

      it('destroying it leaves the adopted approle mount and the other site alone', async () => {
        await strict.destroy();
        const auth = await vaultHttp(server.address, 'GET', 'sys/auth', { token: server.rootToken });
        expect(auth.body.data['approle/']).toBeDefined();
        const mounts = await vaultHttp(server.address, 'GET', 'sys/mounts', { token: server.rootToken });
        expect(mounts.body.data['kv-strict/']).toBeUndefined();
        expect(
          (await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName({ site: 'strict' }, 'region-1')}`, { token: server.rootToken })).status,
        ).toBe(404);
        expect((await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName({ site: 'lab' }, 'region-1')}`, { token: server.rootToken })).status).toBe(
          200,
        );
      });
    });

    it('destroy removes what the stack created', async () => {
      await lab.destroy();
      const auth = await vaultHttp(server.address, 'GET', 'sys/auth', { token: server.rootToken });
      expect(auth.body.data['approle/']).toBeUndefined();
      const mounts = await vaultHttp(server.address, 'GET', 'sys/mounts', { token: server.rootToken });
      expect(mounts.body.data['kv-maas/']).toBeUndefined();
      expect((await vaultHttp(server.address, 'GET', `sys/policies/acl/${defaultPolicyName({ site: 'lab' })}`, { token: server.rootToken })).status).toBe(404);
    });
  });

  describe("adopt mode on the dev server's own secret/ mount", () => {
    it('applies onto secret/, passes MAAS configure, and destroy keeps the mount and its data', async () => {
      const sentinel = await vaultHttp(server.address, 'POST', 'secret/data/other-app/keep', { token: server.rootToken, body: { data: { keep: 'me' } } });
      expect(sentinel.status).toBe(200);
      const site = new TestSite(server, {
        site: 'adopt',
        kv: { mount: 'secret', adopt: true },
        controllers: controllers('region-1', 'region-2'),
      });
      await site.apply();
      await expectMaasWorks(site, 'secret', 'maas', defaultPolicyName({ site: 'adopt' }));
      expect((await site.plan()).changes).toBe(false);
      await site.destroy();
      const mounts = await vaultHttp(server.address, 'GET', 'sys/mounts', { token: server.rootToken });
      expect(mounts.body.data['secret/']).toBeDefined();
      const kept = await vaultHttp(server.address, 'GET', 'secret/data/other-app/keep', { token: server.rootToken });
      expect(kept.body.data.data).toEqual({ keep: 'me' });
    });
  });

  describe('a site whose secret IDs come from CI (stackSecretIds: false)', () => {
    it('issues none itself, so credentials --revoke-previous leaves no drift', async () => {
      const site = new TestSite(server, {
        site: 'ci-only',
        kv: { mount: 'kv-ci-only' },
        stackSecretIds: false,
        controllers: controllers('region-1', 'region-2'),
      });
      const applied = await site.apply();
      expect(applied.stdout).toContain('This site gets its secret IDs from `maas-vault credentials`');
      expect(applied.stdout).not.toContain('config-vault configure');
      expect(await accessors(roleName({ site: 'ci-only' }, 'region-1'))).toEqual([]);
      for (let round = 0; round < 2; round += 1) {
        const issued = await site.cli(['credentials', '--json', '--revoke-previous', '--auto-approve']);
        expect(issued.exitCode).toBe(0);
        for (const record of JSON.parse(issued.stdout).controllers) {
          await maasConfigure(server.address, { roleId: record.roleId, wrappedToken: record.wrappedToken, secretsPath: 'maas', mount: 'kv-ci-only' });
          expect(await accessors(record.role)).toEqual([record.secretIdAccessor]);
        }
        expect((await site.plan()).changes).toBe(false);
      }
      await site.destroy();
    });
  });

  async function accessors(role: string): Promise<string[]> {
    const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${role}/secret-id`, { token: server.rootToken });
    return listed.body.data?.keys ?? [];
  }

  async function runCredentials(site: TestSite, controller: string): Promise<string> {
    const result = await site.cli(['credentials', '--controller', controller, '--json']);
    if (result.exitCode !== 0) throw new Error(`credentials failed: ${result.all}`);
    return JSON.parse(result.stdout).controllers[0].wrappedToken;
  }
});
