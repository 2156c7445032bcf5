/**
 * The admin's environment against a real server behind TLS with a private CA: an exported
 * namespace is refused before anything reaches Vault (MAAS sends no namespace header, so regions
 * could not log in to what would be made there), OpenBao's own BAO_ spellings work alone, and
 * `credentials --out` keeps wrapping tokens off stdout and refuses paths it must not replace,
 * before anything is issued.
 */
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName } from '../../config/index.js';
import { ManualSite } from '../support/manual-site.js';
import { TestSite } from '../support/site.js';
import { vaultHttp } from '../support/http.js';
import { onServer, serverBinary } from '../support/matrix.js';

let server: OpenBaoServer;
let site: ManualSite;
/** A HOME without ~/.vault-token: the token comes from the environment or not at all. */
let home: string;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary(), tls: true });
  site = await ManualSite.create(server, { site: 'envsite', kv: { mount: 'kv-envsite' }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
  home = mkdtempSync(join(tmpdir(), 'maas-vault-home-'));
});

afterAll(async () => {
  await server?.stop();
});

const http = (method: string, path: string, options: { namespace?: string; body?: unknown } = {}) =>
  vaultHttp(server.address, method, path, { token: server.rootToken, caCert: server.caCert, ...options });

/** What the server holds that a command could have added to: mounts, auth methods, policies, roles and their secret IDs. */
async function holdings(namespace?: string): Promise<Record<string, unknown>> {
  const keys = async (method: 'GET' | 'LIST', path: string): Promise<string[]> => {
    const answer = await http(method, path, { namespace });
    if (answer.status === 404) return [];
    expect([path, answer.status]).toEqual([path, 200]);
    return (method === 'LIST' ? (answer.body.data?.keys as string[]) : Object.keys(answer.body.data ?? {})).sort();
  };
  const roles = (await keys('GET', 'sys/auth')).includes('approle/') ? await keys('LIST', 'auth/approle/role') : [];
  const secretIds: Record<string, string[]> = {};
  for (const role of roles) secretIds[role] = await keys('LIST', `auth/approle/role/${role}/secret-id`);
  return { mounts: await keys('GET', 'sys/mounts'), auth: await keys('GET', 'sys/auth'), policies: await keys('LIST', 'sys/policies/acl'), roles, secretIds };
}

describe('a namespace is refused before anything is sent', () => {
  const NAMESPACE = 'team-a';

  beforeAll(async () => {
    // OpenBao has namespaces: one that exists is where the stack would silently have gone.
    if (onServer('openbao')) expect((await http('POST', `sys/namespaces/${NAMESPACE}`, { body: {} })).status).toBeLessThan(300);
  });

  it.each(['VAULT_NAMESPACE', 'BAO_NAMESPACE'])('%s exported: plan, apply, credentials and status exit 2, and Vault holds nothing new', async (variable) => {
    const fresh = new TestSite(server, { site: 'nsfresh', kv: { mount: 'kv-nsfresh' }, controllers: [{ name: 'region-1' }] });
    const before = { root: await holdings(), namespace: onServer('openbao') ? await holdings(NAMESPACE) : undefined };
    expect(before.root.roles).toEqual([roleName({ site: 'envsite' }, 'region-1'), roleName({ site: 'envsite' }, 'region-2')]);
    const env = { [variable]: NAMESPACE, VAULT_CACERT: server.caCert! };
    for (const [target, args] of [
      [fresh, ['plan']],
      [fresh, ['apply', '--auto-approve']],
      [site, ['credentials']],
      [site, ['status']],
    ] as const) {
      const result = await target.cli([...args], server.rootToken, env);
      expect([args[0], result.exitCode, result.stderr]).toEqual([
        args[0],
        2,
        expect.stringContaining(`${variable}="${NAMESPACE}": MAAS sends no namespace header`),
      ]);
    }
    expect({ root: await holdings(), namespace: onServer('openbao') ? await holdings(NAMESPACE) : undefined }).toEqual(before);
  });

  it('vault.namespace in the file: credentials exits 2 and issues nothing', async () => {
    const namespaced = new TestSite(server, { ...site.config, vault: { address: server.address, caCert: server.caCert, namespace: NAMESPACE } });
    const before = await holdings();
    const result = await namespaced.cli(['credentials']);
    expect([result.exitCode, result.stderr]).toEqual([2, expect.stringContaining('vault.namespace: MAAS sends no namespace header')]);
    expect(await holdings()).toEqual(before);
  });
});

it("OpenBao's spellings alone: BAO_ADDR, BAO_TOKEN and BAO_CACERT reach and trust the server; regions are still told the file's address", async () => {
  // The file's address is not where this run can reach Vault, and the file names no CA: only the BAO_ variables can make this work.
  const elsewhere = new TestSite(server, { ...site.config, vault: { address: 'https://maas-vault.invalid:8200' } });
  const env = { HOME: home, BAO_ADDR: server.address, BAO_TOKEN: server.rootToken, BAO_CACERT: server.caCert! };
  const status = await elsewhere.cli(['status'], null, env);
  expect([status.exitCode, status.exitCode === 0 ? '' : status.all]).toEqual([0, '']);
  const issued = await elsewhere.cli(['credentials', '--controller', 'region-1', '--json'], null, env);
  expect([issued.exitCode, issued.exitCode === 0 ? '' : issued.all]).toEqual([0, '']);
  const record = JSON.parse(issued.stdout).controllers[0] as { roleId: string; wrappedToken: string; command: string };
  expect(record.command).toContain('https://maas-vault.invalid:8200');
  const unwrapped = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: record.wrappedToken, caCert: server.caCert });
  const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', {
    body: { role_id: record.roleId, secret_id: unwrapped.body.data.secret_id },
    caCert: server.caCert,
  });
  expect(login.status).toBe(200);
});

describe('credentials --out', () => {
  const env = () => ({ VAULT_CACERT: server.caCert! });
  const accessors = async (controller: string) =>
    ((await http('LIST', `auth/approle/role/${roleName({ site: 'envsite' }, controller)}/secret-id`)).body.data?.keys ?? []) as string[];

  it('stdout carries no wrapping token, only a summary (controllers, accessors, expiry); the file holds what logs in', async () => {
    const out = join(site.dir, 'creds.json');
    for (const json of [false, true]) {
      const result = await site.cli(['credentials', '--out', out, ...(json ? ['--json'] : [])], server.rootToken, env());
      expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
      const written = JSON.parse(readFileSync(out, 'utf8')).controllers as Array<{
        name: string;
        roleId: string;
        wrappedToken: string;
        secretIdAccessor: string;
        expiresAt: string;
      }>;
      expect(written.map((record) => record.name)).toEqual(['region-1', 'region-2']);
      for (const record of written) {
        expect(result.all).not.toContain(record.wrappedToken);
        expect(result.stdout).toContain(record.secretIdAccessor);
        expect(result.stdout).toContain(record.expiresAt);
        const unwrapped = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: record.wrappedToken, caCert: server.caCert });
        const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', {
          body: { role_id: record.roleId, secret_id: unwrapped.body.data.secret_id },
          caCert: server.caCert,
        });
        expect(login.status).toBe(200);
      }
      if (json) {
        expect(JSON.parse(result.stdout)).toEqual({
          out,
          controllers: written.map(({ name, secretIdAccessor, expiresAt }) => expect.objectContaining({ name, secretIdAccessor, expiresAt })),
        });
      }
    }
  });

  it('a symbolic link or another path it must not replace: exit 2, and no secret ID is issued', async () => {
    const target = join(site.dir, 'target.txt');
    writeFileSync(target, 'untouched');
    const link = join(site.dir, 'link.json');
    symlinkSync(target, link);
    const before = await Promise.all(['region-1', 'region-2'].map(accessors));
    for (const out of [link, '/dev/null']) {
      const result = await site.cli(['credentials', '--out', out], server.rootToken, env());
      expect([result.exitCode, result.stderr]).toEqual([2, expect.stringContaining(`--out ${out}: cannot write there`)]);
    }
    expect(await Promise.all(['region-1', 'region-2'].map(accessors))).toEqual(before);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
  });
});
