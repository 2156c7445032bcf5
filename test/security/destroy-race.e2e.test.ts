/**
 * destroy lists what a KV mount holds before it plans, but the mount is deleted
 * only after the plan (and, on a terminal, after the admin has read the prompt). Another
 * application or a site that adopted the mount may write into it in between: what it wrote must
 * keep the mount as if it had been there at the listing, never go with the mount.
 */
import { execa } from 'execa';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { CLI, engineEnv } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { applyWithSecret, regionReads } from '../support/region.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('destroy: a neighbour writing into the mount while destroy runs (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('a secret another application writes after the listing keeps the mount, even with --delete-secrets; the site own region kept reading until then', async () => {
    const owner = await applyWithSecret(server, { site: 'racer', kv: { mount: 'kv-race' }, controllers: [{ name: 'region-1' }] });
    const destroy = execa(process.execPath, [CLI, 'destroy', '--auto-approve', '--delete-secrets', '--config', owner.site.configPath], {
      reject: false,
      all: true,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...engineEnv(), VAULT_TOKEN: server.rootToken },
      timeout: 300_000,
    });
    // The listing is done once destroy has said what it will delete; the engine's plan comes next.
    let neighbour: Promise<number> | undefined;
    let seen = '';
    destroy.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (!neighbour && seen.includes('destroy of site racer will delete:')) {
        neighbour = vaultHttp(server.address, 'POST', 'kv-race/data/billing/db', {
          token: server.rootToken,
          body: { data: { value: 'precious' } },
        }).then((written) => written.status);
      }
    });
    const result = await destroy;
    expect(neighbour).toBeDefined();
    expect(await neighbour).toBe(200);

    // Whatever destroy said, the neighbour's secret is still there.
    const mounts = Object.keys((await vaultHttp(server.address, 'GET', 'sys/mounts', { token: server.rootToken })).body.data);
    expect(mounts).toContain('kv-race/');
    const read = await vaultHttp(server.address, 'GET', 'kv-race/data/billing/db', { token: server.rootToken });
    expect([read.status, read.body.data?.data?.value]).toEqual([200, 'precious']);
    // Refused with the reason and nothing deleted by the engine; the next destroy keeps the mount for it.
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('kv-race/ now holds 1 secret outside');
    expect(await regionReads(server, owner)).toBe('pw-racer');
    const again = await owner.site.cli(['destroy', '--auto-approve', '--delete-secrets']);
    expect([again.exitCode, again.exitCode === 0 ? '' : again.all]).toEqual([0, '']);
    expect(again.stderr).toContain("and keep: the KV mount kv-race/ and all its data: it holds 1 secret outside this site's secretsPath maas/ (billing/: 1)");
    expect((await vaultHttp(server.address, 'GET', 'kv-race/data/billing/db', { token: server.rootToken })).body.data?.data?.value).toBe('precious');
  });
});
