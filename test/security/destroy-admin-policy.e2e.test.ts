/**
 * destroy under the admin policy gate: what it deletes comes from the state,
 * not the config, so a token whose policy cannot delete something the state holds (here the CI
 * issuer of an earlier config, with a policy rendered by the release before the leftover grants)
 * is refused before the first write, exit 2, naming the object and the re-render. Before, the
 * engine deleted part of the site and stopped on "permission denied".
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { applyWithSecret, regionReads, type Region } from '../support/region.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

const POLICY = 'maas-admin-gone';

describeE2E('destroy refuses a token that cannot delete what the state holds (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let region: Region;

  const get = async (method: string, path: string) => (await vaultHttp(server.address, method, path, { token: server.rootToken })).body;
  /** What the site holds in Vault: policies, roles with their secret-ID counts, mounts. */
  async function vaultHolds(): Promise<unknown> {
    const roles = (((await get('LIST', 'auth/approle/role')).data?.keys ?? []) as string[]).sort();
    return {
      policies: ((await get('LIST', 'sys/policies/acl')).data.keys as string[]).sort(),
      roles: await Promise.all(roles.map(async (name) => [name, ((await get('LIST', `auth/approle/role/${name}/secret-id`)).data?.keys ?? []).length])),
      mounts: Object.keys((await get('GET', 'sys/mounts')).data).sort(),
    };
  }

  async function writePolicy(text: string): Promise<void> {
    expect((await vaultHttp(server.address, 'PUT', `sys/policies/acl/${POLICY}`, { token: server.rootToken, body: { policy: text } })).status).toBe(204);
  }

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    region = await applyWithSecret(server, { site: 'gone', kv: { mount: 'kv-gone' }, issuer: { enabled: true }, controllers: [{ name: 'region-1' }] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refused before any write, naming what it may not delete; after the re-render destroy passes', async () => {
    const { site } = region;
    site.update((input) => ({ ...input, issuer: { enabled: false } }));
    const rendered = (await site.cli(['policy', 'admin'], null)).stdout;
    // The release before rendered no leftover grants: this token may not delete the issuer the state still holds.
    const previous = rendered.replace(/\n# What an earlier config of this site[\s\S]*?(?=\n# What this policy was rendered for)/, '');
    expect(previous).not.toContain('maas-issuer_gone');
    await writePolicy(previous);
    const token = (await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: [POLICY], ttl: '1h' } })).body.auth
      .client_token as string;
    const before = await vaultHolds();

    const refused = await site.cli(['destroy', '--auto-approve', '--delete-secrets'], token);
    expect([refused.exitCode, refused.exitCode === 2 ? '' : refused.all]).toEqual([2, '']);
    expect(refused.stderr).toContain('destroy refused before changing anything in Vault (nothing was changed)');
    // Reading any policy's text is granted (sys/policies/acl/*, for the pre-flight's overlap check); deleting it is not.
    expect(refused.stderr).toContain('the policy maas-issuer_gone (delete on sys/policies/acl/maas-issuer_gone)');
    expect(refused.stderr).toContain('the role maas-issuer_gone (delete on auth/approle/role/maas-issuer_gone)');
    expect(refused.stderr).toContain(
      `maas-vault policy admin --config ${site.configPath} > ${POLICY}.hcl && ${serverCliName()} policy write ${POLICY} ${POLICY}.hcl`,
    );
    expect(refused.all).not.toContain(token);
    expect(await vaultHolds()).toEqual(before);
    expect(await regionReads(server, region)).toBe('pw-gone');

    await writePolicy(rendered);
    const destroyed = await site.cli(['destroy', '--auto-approve', '--delete-secrets'], token);
    expect([destroyed.exitCode, destroyed.exitCode === 0 ? '' : destroyed.all]).toEqual([0, '']);
    const after = (await vaultHolds()) as { policies: string[]; roles: unknown[]; mounts: string[] };
    expect(after.policies.filter((name) => name.includes('gone'))).toEqual([POLICY]);
    expect(after.roles).toEqual([]);
    expect(after.mounts).not.toContain('kv-gone/');
  });
});
