/**
 * MAAS's secrets are precious: after `maas config-vault migrate` Vault holds MAAS's only
 * copy. Each site here has a region that stored a secret with the credentials the tool issued;
 * every config edit and command below either keeps that secret readable by its region (and every
 * other site's region logging in), or is refused before anything is written, unless the flag that
 * names the loss is given.
 */
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execa } from 'execa';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { CLI, engineEnv } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { applyWithSecret as applyWithRegionSecret, regionReads as regionReadsOn, REGION_SECRET, type Region } from '../support/region.js';
import { mountsOf } from '../support/root.js';
import { findFile, TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

const SECRET = REGION_SECRET;

describeE2E('MAAS secrets are never deleted, moved or stranded without an opt-in (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  /** Creates approle/ (every other site adopts it). */
  let base: Region;
  /** Another site on the same Vault: its region must keep logging in whatever the others do. */
  let neighbour: Region;

  const applyWithSecret = (input: Record<string, any>) => applyWithRegionSecret(server, input);
  const regionReads = (region: Region) => regionReadsOn(server, region);

  async function everyoneIntact(...regions: Region[]): Promise<void> {
    for (const region of [base, neighbour, ...regions]) {
      expect([region.site.config.site, await regionReads(region)]).toEqual([region.site.config.site, `pw-${region.site.config.site}`]);
    }
  }

  const mounts = () => mountsOf(server);
  const authMethods = async () => Object.keys((await vaultHttp(server.address, 'GET', 'sys/auth', { token: server.rootToken })).body.data);
  const stateTypes = (site: TestSite) =>
    (JSON.parse(readFileSync(findFile(site.dir, 'terraform.tfstate')!, 'utf8')).resources as Array<{ mode: string; type: string }>)
      .filter((resource) => resource.mode === 'managed')
      .map((resource) => resource.type);

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    base = await applyWithSecret({ site: 'base', kv: { mount: 'kv-base' }, controllers: [{ name: 'region-1' }] });
    neighbour = await applyWithSecret({ site: 'nb', approle: { adopt: true }, kv: { mount: 'kv-nb' }, controllers: [{ name: 'region-1' }] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('kv.adopt set on the mount this site created forgets it: plan says so, apply leaves the mount and its secrets; unset again is refused', async () => {
    const flip = await applyWithSecret({ site: 'kvflip', approle: { adopt: true }, kv: { mount: 'kv-flip' }, controllers: [{ name: 'region-1' }] });
    flip.site.update((input) => ({ ...input, kv: { mount: 'kv-flip', adopt: true } }));

    const plan = await flip.site.cli(['plan']);
    expect([plan.exitCode, plan.exitCode === 0 ? '' : plan.all]).toEqual([0, '']);
    expect(plan.all).toMatch(
      /forget vault_mount\.kv_mount: the KV mount kv-flip\/ and its data stays in Vault as it is; this site stops managing it \(kv\.adopt is set\)/,
    );

    const applied = await flip.site.cli(['apply', '--auto-approve']);
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
    expect(await mounts()).toContain('kv-flip/');
    expect(stateTypes(flip.site)).not.toContain('vault_mount');
    await everyoneIntact(flip);
    expect((await flip.site.plan()).changes).toBe(false);

    // Back to "this site owns it": taking over a mount the state no longer holds is refused.
    flip.site.update((input) => ({ ...input, kv: { mount: 'kv-flip' } }));
    const back = await flip.site.cli(['apply', '--auto-approve']);
    expect(back.exitCode).toBe(2);
    expect(back.stderr).toContain('kv-flip');
    await everyoneIntact(flip);

    // destroy with kv.adopt set keeps the adopted mount and its data.
    flip.site.update((input) => ({ ...input, kv: { mount: 'kv-flip', adopt: true } }));
    const destroyed = await flip.site.cli(['destroy', '--auto-approve']);
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    expect(await mounts()).toContain('kv-flip/');
    const stillThere = await vaultHttp(server.address, 'GET', `kv-flip/data/maas/${SECRET}`, { token: server.rootToken });
    expect(stillThere.body.data?.data?.password).toBe('pw-kvflip');
    await everyoneIntact();
  }, 400_000);

  it('kv.adopt set on a created mount that was never re-applied: destroy forgets it and says so once, it never says "delete" and "keep" of one mount', async () => {
    const site = await applyWithSecret({ site: 'kvdestroy', approle: { adopt: true }, kv: { mount: 'kv-destroy' }, controllers: [{ name: 'region-1' }] });
    site.site.update((input) => ({ ...input, kv: { mount: 'kv-destroy', adopt: true } }));
    const destroyed = await site.site.cli(['destroy', '--auto-approve']);
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    expect(destroyed.all).not.toContain('the KV mount kv-destroy/ and EVERY SECRET IN IT');
    expect(await mounts()).toContain('kv-destroy/');
    expect((await vaultHttp(server.address, 'GET', `kv-destroy/data/maas/${SECRET}`, { token: server.rootToken })).body.data?.data?.password).toBe(
      'pw-kvdestroy',
    );
    await everyoneIntact();
  });

  it('approle.adopt set on the site that enabled approle/ forgets it: every site keeps logging in; unset again is refused', async () => {
    base.site.update((input) => ({ ...input, approle: { adopt: true } }));
    const plan = await base.site.cli(['plan']);
    expect([plan.exitCode, plan.exitCode === 0 ? '' : plan.all]).toEqual([0, '']);
    expect(plan.all).toMatch(
      /forget vault_auth_backend\.approle_mount: the auth method approle\/ and its roles stays in Vault as it is; this site stops managing it \(approle\.adopt is set\)/,
    );

    const applied = await base.site.cli(['apply', '--auto-approve']);
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.all]).toEqual([0, '']);
    expect(await authMethods()).toContain('approle/');
    expect(stateTypes(base.site)).not.toContain('vault_auth_backend');
    await everyoneIntact();
    expect((await base.site.plan()).changes).toBe(false);

    base.site.update((input) => ({ ...input, approle: { adopt: false } }));
    const back = await base.site.cli(['apply', '--auto-approve']);
    expect(back.exitCode).toBe(2);
    await everyoneIntact();
    base.site.update((input) => ({ ...input, approle: { adopt: true } }));
  });

  it('a changed kv.mount on an applied site is refused before any write, with the procedure', async () => {
    const mover = await applyWithSecret({ site: 'mover', approle: { adopt: true }, kv: { mount: 'kv-mover' }, controllers: [{ name: 'region-1' }] });
    mover.site.update((input) => ({ ...input, kv: { mount: 'kv-moved' } }));
    const plain = await mover.site.cli(['apply', '--auto-approve']);
    expect(plain.exitCode).toBe(2);
    expect(await mounts()).not.toContain('kv-moved/');
    // No flag makes a move safe.
    const applied = await mover.site.cli(['apply', '--auto-approve', '--delete-secrets', '--replace-roles']);
    expect(applied.exitCode).toBe(2);
    expect(applied.stderr).toContain('the KV mount kv-mover/ would move to kv-moved/');
    expect(applied.stderr).toContain('--yes');
    const present = await mounts();
    expect(present).toContain('kv-mover/');
    expect(present).not.toContain('kv-moved/');
    await everyoneIntact(mover);

    mover.site.update((input) => ({ ...input, kv: { mount: 'kv-mover' } }));
    expect((await mover.site.plan()).changes).toBe(false);
  });

  it('a changed secretsPath on an applied site is refused before any write; the policy still grants the old path', async () => {
    const mover = await applyWithSecret({ site: 'pathmover', approle: { adopt: true }, kv: { mount: 'kv-pathmover' }, controllers: [{ name: 'region-1' }] });
    const policyName = (await vaultHttp(server.address, 'LIST', 'sys/policies/acl', { token: server.rootToken })).body.data.keys.find((name: string) =>
      name.includes('pathmover'),
    );
    const policyBefore = (await vaultHttp(server.address, 'GET', `sys/policies/acl/${policyName}`, { token: server.rootToken })).body.data.policy;
    mover.site.update((input) => ({ ...input, secretsPath: 'maas-elsewhere' }));
    const plain = await mover.site.cli(['apply', '--auto-approve']);
    expect(plain.exitCode).toBe(2);
    expect((await vaultHttp(server.address, 'GET', `sys/policies/acl/${policyName}`, { token: server.rootToken })).body.data.policy).toBe(policyBefore);
    const plan = await mover.site.cli(['plan']);
    expect(plan.stderr).toContain('apply would refuse');
    const applied = await mover.site.cli(['apply', '--auto-approve', '--delete-secrets', '--replace-roles', '--delete-policy']);
    expect(applied.exitCode).toBe(2);
    expect(applied.stderr).toMatch(/would grant kv-pathmover\/maas-elsewhere instead of kv-pathmover\/maas/);
    expect((await vaultHttp(server.address, 'GET', `sys/policies/acl/${policyName}`, { token: server.rootToken })).body.data.policy).toBe(policyBefore);
    await everyoneIntact(mover);
  });

  it('destroy of a mount holding secrets is refused without --delete-secrets, and done with it; other sites keep working', async () => {
    const gone = await applyWithSecret({ site: 'gone', approle: { adopt: true }, kv: { mount: 'kv-gone' }, controllers: [{ name: 'region-1' }] });
    const refused = await gone.site.cli(['destroy', '--auto-approve']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(
      /vault_mount\.kv_mount: the KV mount kv-gone\/ would be deleted with 1 secret in it \(maas\/: 1\).*only with --delete-secrets/,
    );
    expect(await mounts()).toContain('kv-gone/');
    await everyoneIntact(gone);

    const done = await gone.site.cli(['destroy', '--auto-approve', '--delete-secrets']);
    expect([done.exitCode, done.exitCode === 0 ? '' : done.all]).toEqual([0, '']);
    expect(done.stderr).toContain('operator raft snapshot save');
    expect(await mounts()).not.toContain('kv-gone/');
    expect(await regionReads(gone)).not.toBe('pw-gone');
    await everyoneIntact();
  });

  it('removing a controller from the config is refused without --replace-roles: its region stays configured', async () => {
    const site = await applyWithSecret({
      site: 'shrink',
      approle: { adopt: true },
      kv: { mount: 'kv-shrink' },
      controllers: [{ name: 'region-1' }, { name: 'region-2' }],
    });
    site.site.update((input) => ({ ...input, controllers: [{ name: 'region-2' }] }));
    const refused = await site.site.cli(['apply', '--auto-approve']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(
      /the role \S+region-1\S* would be deleted: every region controller on it must be configured again; only with --replace-roles/,
    );
    await everyoneIntact(site);
    const allowed = await site.site.cli(['apply', '--auto-approve', '--replace-roles']);
    expect([allowed.exitCode, allowed.exitCode === 0 ? '' : allowed.all]).toEqual([0, '']);
    expect(await regionReads(site)).toBe('login 400');
    await everyoneIntact();
  });

  it("a policy another region's role names is not renamed away without --delete-policy: that region keeps reading", async () => {
    const site = await applyWithSecret({ site: 'named', approle: { adopt: true }, kv: { mount: 'kv-named' }, controllers: [{ name: 'region-1' }] });
    const policies = (await vaultHttp(server.address, 'LIST', 'sys/policies/acl', { token: server.rootToken })).body.data.keys as string[];
    const policy = policies.find((name) => name.includes('named'))!;
    // A region set up by hand on this site's policy (another team's role).
    expect(
      (await vaultHttp(server.address, 'POST', 'auth/approle/role/handmade-region', { token: server.rootToken, body: { token_policies: [policy] } })).status,
    ).toBe(204);
    const handmadeRoleId = (await vaultHttp(server.address, 'GET', 'auth/approle/role/handmade-region/role-id', { token: server.rootToken })).body.data.role_id;
    const handmadeSecretId = (await vaultHttp(server.address, 'POST', 'auth/approle/role/handmade-region/secret-id', { token: server.rootToken })).body.data
      .secret_id;
    const handmade: Region = { site: site.site, mount: 'kv-named', secretsPath: 'maas', roleId: handmadeRoleId, secretId: handmadeSecretId };

    site.site.update((input) => ({ ...input, policy: { name: `${policy}_v2` } }));
    const refused = await site.site.cli(['apply', '--auto-approve']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(`the policy ${policy} would be \\w+ while 1 role staying in Vault names it \\(handmade-region\\).*only with --delete-policy`),
    );
    expect((await vaultHttp(server.address, 'GET', `sys/policies/acl/${policy}`, { token: server.rootToken })).status).toBe(200);
    expect(await regionReads(handmade)).toBe('pw-named');
    await everyoneIntact(site);
  });

  describe('on a terminal', () => {
    /** apply under a pseudo-terminal; `meanwhile` runs while it waits for the answer, then `yes` is typed. */
    async function applyOnTerminal(site: TestSite, meanwhile: () => void, command: string[] = ['apply'], answer = 'yes') {
      const line = [process.execPath, CLI, ...command, '--config', site.configPath].join(' ');
      const subprocess = execa('script', ['-qefc', line, '/dev/null'], {
        reject: false,
        extendEnv: false,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb', VAULT_TOKEN: server.rootToken, ...engineEnv() },
        stdin: 'pipe',
      });
      let output = '';
      let answered = false;
      let failed: unknown;
      subprocess.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (!answered && /will be accepted: $/.test(output)) {
          answered = true;
          try {
            meanwhile();
            subprocess.stdin?.write(`${answer}\n`);
          } catch (error) {
            failed = error;
            subprocess.kill('SIGKILL');
          }
        }
      });
      const result = await subprocess;
      if (failed) throw failed;
      return { exitCode: result.exitCode, output };
    }

    const roleStatus = async (name: string) => {
      const roles = (await vaultHttp(server.address, 'LIST', 'auth/approle/role', { token: server.rootToken })).body.data.keys as string[];
      return roles.some((role) => role.includes('tty') && role.endsWith(name));
    };

    it('applies exactly the plan it showed: a plan file changed meanwhile is refused by us, a state changed meanwhile by the engine', async () => {
      const tty = await applyWithSecret({ site: 'tty', approle: { adopt: true }, kv: { mount: 'kv-tty' }, controllers: [{ name: 'region-1' }] });
      tty.site.update((input) => ({ ...input, controllers: [{ name: 'region-1' }, { name: 'region-2' }] }));

      const tampered = await applyOnTerminal(tty.site, () => {
        const planFile = findFile(tty.site.dir, 'apply.tfplan')!;
        expect(statSync(planFile).mode & 0o777).toBe(0o600);
        appendFileSync(planFile, 'changed');
      });
      expect(tampered.output).toContain('region_region-2_role will be created');
      expect(tampered.output).toContain('changed after it was checked and shown: nothing was applied');
      expect(tampered.exitCode).toBe(2);
      expect(await roleStatus('region-2')).toBe(false);
      expect(findFile(tty.site.dir, 'apply.tfplan')).toBeUndefined();

      const stale = await applyOnTerminal(tty.site, () => {
        const statePath = findFile(tty.site.dir, 'terraform.tfstate')!;
        const state = JSON.parse(readFileSync(statePath, 'utf8'));
        writeFileSync(statePath, JSON.stringify({ ...state, serial: state.serial + 1 }));
      });
      expect(stale.exitCode).toBe(1);
      expect(stale.output).toMatch(/[Ss]aved plan is stale/);
      expect(await roleStatus('region-2')).toBe(false);
      await everyoneIntact(tty);

      // The same change, untouched, is applied as shown: the plan is made once.
      const applied = await applyOnTerminal(tty.site, () => undefined);
      expect(applied.exitCode).toBe(0);
      expect(applied.output.match(/region_region-2_role will be created/g)).toHaveLength(1);
      expect(await roleStatus('region-2')).toBe(true);
      await everyoneIntact(tty);
    }, 400_000);

    it('destroy --delete-secrets on a terminal repeats what will be lost, with counts, before asking; a wrong answer deletes nothing', async () => {
      const ttyd = await applyWithSecret({ site: 'ttyd', approle: { adopt: true }, kv: { mount: 'kv-ttyd' }, controllers: [{ name: 'region-1' }] });
      const declined = await applyOnTerminal(ttyd.site, () => undefined, ['destroy', '--delete-secrets'], 'no');
      const loss = declined.output.indexOf('the KV mount kv-ttyd/ would be deleted with 1 secret in it (maas/: 1)');
      expect(loss).toBeGreaterThanOrEqual(0);
      expect(loss).toBeLessThan(declined.output.indexOf('1 loss listed above. Type the site name (ttyd) to destroy it.'));
      expect(declined.output).toContain('operator raft snapshot save');
      expect(declined.exitCode).toBe(1);
      expect(await mounts()).toContain('kv-ttyd/');
      await everyoneIntact(ttyd);
    });
  });
});
