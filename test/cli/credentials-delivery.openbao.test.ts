/**
 * `credentials --out --revoke-previous` on a site set up by hand, as the MAAS docs do: an --out
 * that cannot be written is refused before Vault is called, and the older secret IDs are
 * destroyed only once the new credentials are in place, so a controller is never locked out.
 */
import { mkdirSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName } from '../../config/index.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { serverBinary } from '../support/matrix.js';

describe('credentials delivery (openbao)', () => {
  let server: OpenBaoServer;
  let site: TestSite;
  let role: string;
  let original: string;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, { site: 'deliver', kv: { mount: 'kv-deliver' }, controllers: [{ name: 'region-1' }] });
    role = roleName({ site: 'deliver' }, 'region-1');
    expect((await http('POST', 'sys/auth/approle', { type: 'approle' })).status).toBe(204);
    expect((await http('POST', `auth/approle/role/${role}`, { token_policies: ['default'], secret_id_num_uses: 0 })).status).toBe(204);
    original = (await http('POST', `auth/approle/role/${role}/secret-id`, {})).body.data.secret_id_accessor;
  });

  afterAll(async () => {
    await server?.stop();
  });

  const http = (method: string, path: string, body?: unknown) => vaultHttp(server.address, method, path, { token: server.rootToken, body });
  const accessors = async () => ((await http('LIST', `auth/approle/role/${role}/secret-id`)).body.data?.keys ?? []) as string[];

  it.each([
    ['a directory that does not exist', () => join(site.dir, 'missing', 'creds.json')],
    ['a directory', () => site.dir],
  ])('--out naming %s: exit 2 before Vault is called; the existing secret ID stays and none is issued', async (_, out) => {
    const result = await site.cli(['credentials', '--revoke-previous', '--auto-approve', '--out', out()]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`--out ${out()}: cannot write there`);
    expect(result.stderr).toContain('nothing was sent to Vault');
    expect(await accessors()).toEqual([original]);
  });

  it('--revoke-previous destroys the older secret IDs once the new credentials are written, mode 0600', async () => {
    mkdirSync(join(site.dir, 'out'));
    const out = join(site.dir, 'out', 'creds.json');
    const result = await site.cli(['credentials', '--revoke-previous', '--auto-approve', '--out', out]);
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(out, 'utf8')) as { controllers: { roleId: string; wrappedToken: string; secretIdAccessor: string }[] };
    expect(await accessors()).toEqual([written.controllers[0].secretIdAccessor]);
    expect(result.stderr).toContain('destroyed 1 older secret ID');
    const unwrapped = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: written.controllers[0].wrappedToken });
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', {
      body: { role_id: written.controllers[0].roleId, secret_id: unwrapped.body.data.secret_id },
    });
    expect(login.status).toBe(200);
  });
});
