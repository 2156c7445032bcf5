/**
 * A region controller of a test site as MAAS runs it: configured with the credentials the tool
 * issued (test/support/http.ts), storing a secret with its own token, and reading it back at start.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { maasConfigure, vaultHttp } from './http.js';
import { serverBinary } from './matrix.js';
import { TestSite, type TestServer } from './site.js';
import { startAll } from './stop.js';

export const REGION_SECRET = 'controller/1/database-creds';

export interface Region {
  site: TestSite;
  mount: string;
  secretsPath: string;
  roleId: string;
  secretId: string;
}

/** Applies a site, configures its first region as MAAS does, and stores a secret with the region's own token. */
export async function applyWithSecret(server: TestServer, input: Record<string, any>): Promise<Region> {
  const site = new TestSite(server, input);
  await site.apply();
  const issued = [...(await site.outputs()).values()][0];
  const mount = input.kv.mount as string;
  const secretsPath = (input.secretsPath as string | undefined) ?? 'maas';
  const configured = await maasConfigure(server.address, { roleId: issued.roleId, wrappedToken: issued.wrappedToken, secretsPath, mount });
  const written = await vaultHttp(server.address, 'POST', `${mount}/data/${secretsPath}/${REGION_SECRET}`, {
    token: configured.token,
    body: { data: { password: `pw-${input.site}` } },
  });
  if (written.status !== 200) throw new Error(`the region of ${input.site} could not store its secret: HTTP ${written.status}`);
  return { site, mount, secretsPath, roleId: issued.roleId, secretId: configured.secretId };
}

/**
 * A suite's dev server and its base site, which creates approle/ (every other site of the suite
 * adopts it) and whose region must keep reading whatever the others do; a failed apply stops the server.
 */
export async function startWithBaseSite(): Promise<{ server: OpenBaoServer; base: Region }> {
  return startAll([startDevServer({ bao: serverBinary() })], async (server) => ({
    server,
    base: await applyWithSecret(server, { site: 'base', kv: { mount: 'kv-base' }, controllers: [{ name: 'region-1' }] }),
  }));
}

/** Two sites on one KV mount, each region with a secret stored: the owner creates the mount (secretsPath maas), the tenant adopts it at `tenantPath`. */
export async function ownerAndTenant(
  server: TestServer,
  sites: { owner: string; tenant: string; mount: string; tenantPath: string },
): Promise<{ owner: Region; tenant: Region }> {
  const owner = await applyWithSecret(server, { site: sites.owner, approle: { adopt: true }, kv: { mount: sites.mount }, controllers: [{ name: 'region-1' }] });
  const tenant = await applyWithSecret(server, {
    site: sites.tenant,
    approle: { adopt: true },
    kv: { mount: sites.mount, adopt: true },
    secretsPath: sites.tenantPath,
    controllers: [{ name: 'region-1' }],
  });
  return { owner, tenant };
}

/** What MAAS does at start: log in with its stored secret ID, read its secret. The password, or what failed. */
export async function regionReads(server: TestServer, region: Region): Promise<string> {
  const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: region.roleId, secret_id: region.secretId } });
  if (login.status !== 200) return `login ${login.status}`;
  const read = await vaultHttp(server.address, 'GET', `${region.mount}/data/${region.secretsPath}/${REGION_SECRET}`, { token: login.body.auth.client_token });
  return read.status === 200 ? String(read.body.data.data.password) : `read ${read.status}`;
}
