/**
 * An adoption whose config and Vault disagree is refused before the engine runs, with the field
 * to fix and exit 2, and Vault is left as it was (openbao tier: the refusal comes before synth).
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { serverBinary, serverCliName } from '../support/matrix.js';

const otherCli = serverCliName() === 'bao' ? 'vault' : 'bao';

describe('adoption refusals (openbao: no engine)', () => {
  let server: OpenBaoServer;
  const root = () => ({ token: server.rootToken });
  const adopting = { policy: { name: 'maas-secrets', adopt: true }, controllers: [{ name: 'region-1', role: 'maas-region-1' }] };

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    await vaultHttp(server.address, 'POST', 'sys/mounts/kv-one', { ...root(), body: { type: 'kv', options: { version: '1' } } });
    await vaultHttp(server.address, 'POST', 'sys/mounts/kv-two', { ...root(), body: { type: 'kv', options: { version: '2' } } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  const planOf = async (input: Record<string, unknown>) => {
    const site = new TestSite(server, { site: 'refusals', ...adopting, ...input });
    return site.cli(['plan']);
  };

  it('approle.adopt with no approle enabled', async () => {
    const result = await planOf({ approle: { adopt: true }, kv: { mount: 'kv-two', adopt: true } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`approle.adopt: no auth method is enabled at approle/: enable it (\`${serverCliName()} auth enable approle\`)`);
    expect(result.stderr).not.toContain(`${otherCli} auth enable`);
  });

  it('kv.adopt on a KV version 1 mount', async () => {
    await vaultHttp(server.address, 'POST', 'sys/auth/approle', { ...root(), body: { type: 'approle' } });
    const result = await planOf({ approle: { adopt: true }, kv: { mount: 'kv-one', adopt: true } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('kv.mount: kv-one/ is kv version 1, not KV version 2, which MAAS needs');
  });

  it('an existing mount or approle the config does not adopt', async () => {
    const kv = await planOf({ approle: { adopt: true }, kv: { mount: 'kv-two' } });
    expect(kv.exitCode).toBe(2);
    expect(kv.stderr).toContain('kv.adopt: kv-two/ is already mounted');
    const approle = await planOf({ kv: { mount: 'kv-two', adopt: true } });
    expect(approle.exitCode).toBe(2);
    expect(approle.stderr).toContain('approle.adopt: an auth method is already enabled at approle/');
    // Nothing was written: no role, no policy.
    expect((await vaultHttp(server.address, 'LIST', 'auth/approle/role', root())).status).toBe(404);
    expect((await vaultHttp(server.address, 'GET', 'sys/policies/acl/maas-secrets', root())).status).toBe(404);
  });

  it('an adopted role that does not exist (creating it would hand the region a role ID it never had)', async () => {
    await vaultHttp(server.address, 'POST', 'auth/approle/role/someone-else', { ...root(), body: { token_policies: ['default'] } });
    const result = await planOf({
      approle: { adopt: true },
      kv: { mount: 'kv-two', adopt: true },
      controllers: [{ name: 'region-0' }, { name: 'region-1', role: 'maas-region-1' }],
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'controllers[1].role: there is no AppRole role maas-region-1 under auth/approle/ to adopt (nothing was changed): ' +
        `fix the name (\`${serverCliName()} list auth/approle/role\`)`,
    );
    expect(result.stderr).not.toContain(`${otherCli} list`);
    const apply = await new TestSite(server, { site: 'refusals', ...adopting, approle: { adopt: true }, kv: { mount: 'kv-two', adopt: true } }).cli([
      'apply',
      '--auto-approve',
    ]);
    expect(apply.exitCode).toBe(2);
    expect(apply.stderr).toContain('controllers[0].role: there is no AppRole role maas-region-1');
    // Nothing was written: the only role is the one that was there, and no policy.
    expect((await vaultHttp(server.address, 'LIST', 'auth/approle/role', root())).body.data.keys).toEqual(['someone-else']);
    expect((await vaultHttp(server.address, 'GET', 'sys/policies/acl/maas-secrets', root())).status).toBe(404);
  });
});
