/**
 * Rough edges, each fixed with a test: output marks spent tokens, nothing prints "undefined",
 * an engine 403 is said once, dev honours --config and cleans up after itself.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roleName } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('rough edges (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('output marks a spent wrapping token as apply does, in text and JSON', async () => {
    const site = new TestSite(server, { site: 'spent', kv: { mount: 'kv-spent' }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    await site.apply();
    const spent = (await site.outputs()).get('region-1')!.wrappedToken;
    expect((await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: spent })).status).toBe(200);
    const text = await site.cli(['output'], null);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('#   wrapping token already used or expired: run `maas-vault credentials --controller region-1` for a fresh one');
    expect(text.stdout).not.toContain(spent);
    expect(text.stdout.split('\n').filter((line) => line.startsWith('sudo maas config-vault configure'))).toHaveLength(1);
    const json = JSON.parse((await site.cli(['output', '-format=json'], null)).stdout);
    expect(json.controllers.map((controller: { name: string; wrappedTokenUsable: boolean }) => [controller.name, controller.wrappedTokenUsable])).toEqual([
      ['region-1', false],
      ['region-2', true],
    ]);
  });

  it('stackSecretIds: false prints no "undefined" anywhere', async () => {
    const site = new TestSite(server, {
      site: 'noids',
      approle: { adopt: true },
      kv: { mount: 'kv-noids' },
      stackSecretIds: false,
      controllers: [{ name: 'region-1' }],
    });
    const outputs = [await site.apply(), await site.cli(['output'], null), await site.cli(['output', '--json'], null), await site.cli(['status'])];
    for (const result of outputs) {
      expect(result.exitCode).toBe(0);
      expect(result.all).not.toMatch(/undefined/);
    }
    expect(outputs[1].stdout).toContain(`region-1: role ${roleName({ site: 'noids' }, 'region-1')}, role ID `);
    expect(outputs[1].stdout).toContain('#   no secret ID from the stack: run `maas-vault credentials --controller region-1`');
  });

  it('a token lacking the admin policy: plan says permission denied once, before the engine runs, with a path and the `policy admin` command', async () => {
    const site = new TestSite(server, { site: 'weak', approle: { adopt: true }, kv: { mount: 'kv-weak' }, controllers: [{ name: 'region-1' }] });
    await site.apply();
    // Enough for the pre-flight checks' reads, not for the engine's refresh: refused before the engine runs.
    const preflightOnly =
      'path "sys/mounts" { capabilities = ["read"] }\npath "sys/auth" { capabilities = ["read"] }\n' +
      'path "sys/policies/acl/*" { capabilities = ["read"] }\npath "auth/approle/role" { capabilities = ["list"] }\npath "auth/approle/role/" { capabilities = ["list"] }\n';
    expect(
      (await vaultHttp(server.address, 'POST', 'sys/policies/acl/weak-preflight-only', { token: server.rootToken, body: { policy: preflightOnly } })).status,
    ).toBe(204);
    const weak = (
      await vaultHttp(server.address, 'POST', 'auth/token/create', {
        token: server.rootToken,
        body: { policies: ['default', 'weak-preflight-only'], ttl: '10m' },
      })
    ).body.auth.client_token;
    const result = await site.cli(['plan'], weak);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.match(/permission denied/gi)).toHaveLength(1);
    const refusedBeforeEngine = '^maas-vault: plan refused before changing anything in Vault \\(nothing was changed\\): permission denied ahead: ';
    expect(result.stderr).toMatch(
      new RegExp(
        `${refusedBeforeEngine}the token's policy \\(weak-preflight-only\\) does not grant \\w+(, \\w+)* on \\S+.*` +
          '`maas-vault policy admin --config \\S+ > weak-preflight-only\\.hcl && (bao|vault) policy write weak-preflight-only weak-preflight-only\\.hcl`$',
        'm',
      ),
    );
    expect(result.all).not.toMatch(/terraform (plan|apply)|Terraform|OpenTofu/);
    expect(result.all).not.toContain(weak);

    // With only the default policy: also once, with a path and the command, under the name the README suggests.
    const bare = (await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: ['default'], ttl: '10m' } })).body
      .auth.client_token;
    const refused = await site.cli(['plan'], bare);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.match(/permission denied/gi)).toHaveLength(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `${refusedBeforeEngine}the token does not grant \\w+(, \\w+)* on \\S+.*(bao|vault) policy write maas-admin-weak maas-admin-weak\\.hcl\`$`,
        'm',
      ),
    );
    expect(refused.all).not.toContain(bare);
  });

  it('dev runs the --config site, and leaves no temporary directory behind', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'maas-vault-devtmp-'));
    const site = new TestSite(server, { site: 'mine', kv: { mount: 'kv-mine' }, controllers: [{ name: 'edge-1' }] });
    const result = await runCli(['dev', '--config', site.configPath], { env: { TMPDIR: scratch } });
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    expect(result.stdout).toContain('verify OK      edge-1');
    expect(readdirSync(scratch).filter((name) => name.startsWith('maas-vault-dev-'))).toEqual([]);
    // ...and the site's own work directory beside its config was not touched.
    expect(existsSync(join(site.dir, '.maas-vault'))).toBe(false);
  });

  it('dev keeps the server log on a failure, and says where', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'maas-vault-devtmp-'));
    const site = new TestSite(server, { site: 'broken', kv: { mount: 'kv-absent', adopt: true }, controllers: [{ name: 'region-1' }] });
    const result = await runCli(['dev', '--quiet', '--config', site.configPath], { env: { TMPDIR: scratch } });
    expect(result.exitCode).toBe(1);
    const kept = /the dev server's log is kept in (\S+)/.exec(result.stderr)?.[1];
    expect(kept).toBeDefined();
    expect(kept!.startsWith(scratch)).toBe(true);
    expect(existsSync(kept!)).toBe(true);
  });
});
