/**
 * A work directory's site record (engine/site-record.ts) must hold from the first write, not only
 * from the first apply that finished: an interrupted first apply leaves a state holding part of
 * the site, and a second site's config on the same workDir must not plan over it (its plan would
 * delete the first site's roles, policy and mount).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { CLI, engineEnv } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('whose state: a first apply interrupted partway already names its site (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const roles = async () => ((await vaultHttp(server.address, 'LIST', 'auth/approle/role', { token: server.rootToken })).body.data?.keys ?? []) as string[];

  it('another site configured onto the work directory of an interrupted first apply is refused naming both; nothing of the first is deleted', async () => {
    const controllers = Array.from({ length: 200 }, (_, index) => ({ name: `region-${index + 1}` }));
    const workDir = join(mkdtempSync(join(tmpdir(), 'maas-vault-shared-')), 'work');
    const alpha = new TestSite(server, { site: 'alpha', kv: { mount: 'kv-alpha' }, workDir, controllers });
    const run = execa(process.execPath, [CLI, 'apply', '--auto-approve', '--config', alpha.configPath], {
      reject: false,
      all: true,
      extendEnv: false,
      detached: true,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...engineEnv(), VAULT_TOKEN: server.rootToken },
      timeout: 300_000,
    });
    // Interrupted as a terminal's Ctrl-C does, once the engine has created some roles.
    let sent = false;
    let seen = '';
    run.all?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (!sent && /vault_approle_auth_backend_role\.\S+: Creation complete/.test(seen)) {
        sent = true;
        process.kill(-run.pid!, 'SIGINT');
      }
    });
    const interrupted = await run;
    expect([sent, interrupted.exitCode]).toEqual([true, 130]);
    const created = (await roles()).filter((role) => role.startsWith('maas_alpha_'));
    expect(created.length).toBeGreaterThan(0);
    expect(created.length).toBeLessThan(200);

    const beta = new TestSite(server, { site: 'beta', kv: { mount: 'kv-beta' }, workDir, controllers: [{ name: 'region-1' }] });
    for (const args of [['plan'], ['apply', '--auto-approve', '--replace-roles', '--delete-policy']]) {
      const refused = await beta.cli(args);
      expect([refused.exitCode, refused.stderr]).toEqual([2, expect.stringContaining('holds the state of site alpha')]);
      expect(refused.stderr).toContain('this config is site beta');
    }
    expect((await roles()).filter((role) => role.startsWith('maas_alpha_')).sort()).toEqual(created.sort());
    const state = join(workDir, 'terraform.tfstate');
    expect(existsSync(state) && readFileSync(state, 'utf8')).toContain('maas_alpha_');

    // The first site finishes where it stopped.
    const finished = await alpha.cli(['apply', '--auto-approve']);
    expect([finished.exitCode, finished.exitCode === 0 ? '' : finished.all]).toEqual([0, '']);
    expect((await roles()).filter((role) => role.startsWith('maas_alpha_'))).toHaveLength(200);
  });
});
