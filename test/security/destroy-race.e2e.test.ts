/**
 * destroy lists what a KV mount holds before it plans, but the mount is deleted
 * only after the plan (and, on a terminal, after the admin has read the prompt). Another
 * application or a site that adopted the mount may write into it in between, or write a policy
 * that grants on it: either must keep the mount as if it had been there at the listing, never go
 * with the mount. The window is held open, not raced: the engine's plan waits for the neighbour.
 */
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { CLI, engineEnv, type CliResult } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { applyWithSecret, regionReads, REGION_SECRET, type Region } from '../support/region.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('destroy: a neighbour writing into the mount while destroy runs (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let dir: string;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    dir = mkdtempSync(join(tmpdir(), 'maas-vault-destroy-race-'));
  });

  afterAll(async () => {
    await server?.stop();
  });

  const mounts = async () => Object.keys((await vaultHttp(server.address, 'GET', 'sys/mounts', { token: server.rootToken })).body.data);

  /**
   * `destroy --auto-approve --delete-secrets` of the region's site, with `neighbour` run after
   * destroy has listed the mounts (it said what it will delete) and before the engine's plan
   * returns: the engine's plan waits until the neighbour has written, however fast or slow
   * either is. What destroy does next (the second listing, then the engine's delete) sees it.
   */
  async function destroyWhileNeighbourWrites(owner: Region, name: string, neighbour: () => Promise<number>): Promise<{ result: CliResult; written: number }> {
    const release = join(dir, `${name}.release`);
    const engine = join(dir, `${name}-engine`);
    // Bounded: a plan that was never released runs after two minutes, and the test fails on what it finds.
    writeFileSync(
      engine,
      `#!/bin/sh\ncase "$1" in plan) i=0; while [ ! -e '${release}' ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done ;; esac\n` +
        `exec '${engineEnv().MAAS_VAULT_ENGINE}' "$@"\n`,
    );
    chmodSync(engine, 0o755);
    const destroy = execa(process.execPath, [CLI, 'destroy', '--auto-approve', '--delete-secrets', '--config', owner.site.configPath], {
      reject: false,
      all: true,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...engineEnv(), MAAS_VAULT_ENGINE: engine, VAULT_TOKEN: server.rootToken },
      timeout: 300_000,
    });
    let written: Promise<number> | undefined;
    let seen = '';
    destroy.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (!written && seen.includes(`destroy of site ${owner.site.config.site} will delete:`)) {
        written = neighbour().finally(() => writeFileSync(release, ''));
      }
    });
    const result = await destroy;
    expect(written).toBeDefined();
    // The engine's plan ran only after the neighbour wrote: the window was held, not raced.
    expect(existsSync(release)).toBe(true);
    return {
      result: { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), all: String(result.all) },
      written: await written!,
    };
  }

  it('a secret another application writes after the listing keeps the mount, even with --delete-secrets; the site own region kept reading until then', async () => {
    const owner = await applyWithSecret(server, { site: 'racer', kv: { mount: 'kv-race' }, controllers: [{ name: 'region-1' }] });
    const { result, written } = await destroyWhileNeighbourWrites(owner, 'secret', async () => {
      const answer = await vaultHttp(server.address, 'POST', 'kv-race/data/billing/db', { token: server.rootToken, body: { data: { value: 'precious' } } });
      return answer.status;
    });
    expect(written).toBe(200);

    // Whatever destroy said, the neighbour's secret is still there.
    expect(await mounts()).toContain('kv-race/');
    const read = await vaultHttp(server.address, 'GET', 'kv-race/data/billing/db', { token: server.rootToken });
    expect([read.status, read.body.data?.data?.value]).toEqual([200, 'precious']);
    // Refused with the reason and nothing deleted by the engine; the next destroy keeps the mount for it.
    expect([result.exitCode, result.stderr]).toEqual([2, expect.stringContaining('kv-race/ now holds 1 secret outside')]);
    expect(await regionReads(server, owner)).toBe('pw-racer');
    const again = await owner.site.cli(['destroy', '--auto-approve', '--delete-secrets']);
    expect([again.exitCode, again.exitCode === 0 ? '' : again.all]).toEqual([0, '']);
    expect(again.stderr).toContain("and keep: the KV mount kv-race/ and all its data: it holds 1 secret outside this site's secretsPath maas/ (billing/: 1)");
    expect((await vaultHttp(server.address, 'GET', 'kv-race/data/billing/db', { token: server.rootToken })).body.data?.data?.value).toBe('precious');
  });

  it("another site's policy granting on the mount, written after the listing, keeps the mount and this site's data, even with --delete-secrets", async () => {
    const owner = await applyWithSecret(server, { site: 'granted', kv: { mount: 'kv-race-grant' }, controllers: [{ name: 'region-1' }] });
    // A second site adopting the mount applied while destroy waited: its policy is there, none of its regions stored anything yet.
    const tenantPolicy = 'path "kv-race-grant/data/maas-tenant/*" {\n  capabilities = ["create", "read", "update", "delete", "list"]\n}\n';
    const { result, written } = await destroyWhileNeighbourWrites(owner, 'grant', async () => {
      const answer = await vaultHttp(server.address, 'PUT', 'sys/policies/acl/maas_tenant', { token: server.rootToken, body: { policy: tenantPolicy } });
      return answer.status;
    });
    expect(written).toBe(204);

    // What Vault holds: the mount, this site's own secret (its region still reads it), the other site's policy.
    expect(await mounts()).toContain('kv-race-grant/');
    expect((await vaultHttp(server.address, 'GET', `kv-race-grant/data/maas/${REGION_SECRET}`, { token: server.rootToken })).body.data?.data?.password).toBe(
      'pw-granted',
    );
    expect(await regionReads(server, owner)).toBe('pw-granted');
    expect((await vaultHttp(server.address, 'GET', 'sys/policies/acl/maas_tenant', { token: server.rootToken })).body.data?.policy).toBe(tenantPolicy);
    // Refused before the engine ran, naming the policy, that nothing was deleted, and what to run.
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('the policy maas_tenant now grants on kv-race-grant/maas-tenant/');
    expect(result.stderr).toContain('The engine deleted nothing');
    expect(result.stderr).toContain('Run `maas-vault destroy` again');

    // The next destroy keeps the mount for the other site, and says why.
    const again = await owner.site.cli(['destroy', '--auto-approve']);
    expect([again.exitCode, again.exitCode === 0 ? '' : again.all]).toEqual([0, '']);
    expect(again.stderr).toContain(
      'and keep: the KV mount kv-race-grant/ and all its data: it holds no secret of others yet, but it is granted by the policy maas_tenant',
    );
    expect(await mounts()).toContain('kv-race-grant/');
    expect((await vaultHttp(server.address, 'GET', `kv-race-grant/data/maas/${REGION_SECRET}`, { token: server.rootToken })).body.data?.data?.password).toBe(
      'pw-granted',
    );
  });
});
