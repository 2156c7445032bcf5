/**
 * A planted `evil.tf.json` in the stack directory (a world-writable work directory of another
 * user, or a private one an intruder reached before) would be loaded by the engine beside ours
 * and applied with the admin's token. On a real server and engine: apply exits 2, and Vault holds
 * nothing of it afterwards (no new policy, no userpass user, same ACL policies as before).
 */
import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { VaultClient } from '../../vault/client.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

/** A sudo policy on everything and a userpass login that carries it: what the intruder wants. */
const EVIL = JSON.stringify({
  resource: {
    vault_policy: { evil: { name: 'evil', policy: 'path "*" { capabilities = ["create","read","update","delete","list","sudo"] }' } },
    vault_auth_backend: { evil: { type: 'userpass', path: 'evil-userpass' } },
    vault_generic_endpoint: {
      evil: {
        depends_on: ['vault_auth_backend.evil'],
        path: 'auth/evil-userpass/users/intruder',
        ignore_absent_fields: true,
        data_json: JSON.stringify({ password: 'intruder', policies: ['evil'] }),
      },
    },
  },
});

describeE2E('a planted *.tf.json in the work directory (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let client: VaultClient;

  // A server each: a site owns approle/ outright, and MAAS can use no other mount.
  beforeEach(async () => {
    server = await startDevServer({ bao: serverBinary() });
    client = new VaultClient({ address: server.address, token: server.rootToken });
  });

  afterEach(async () => {
    await client?.close();
    await server?.stop();
  });

  async function vaultHolds(): Promise<{ policies: string[]; auth: string[] }> {
    const policies = (await client.list<{ keys: string[] }>('sys/policies/acl')).data?.keys ?? [];
    const auth = Object.keys((await client.read('sys/auth')).data ?? {});
    return { policies: [...policies].sort(), auth: auth.sort() };
  }

  it.each([
    ['owned by another user, mode 0777', 'world'],
    ['private, the file planted before', 'private'],
  ])('work directory %s: apply exits 2 naming it, and Vault holds nothing of the file', async (_label, kind) => {
    const site = new TestSite(server, { site: `planted${kind}`, kv: { mount: `kv-planted-${kind}` }, controllers: [{ name: 'region-1' }] });
    await site.apply();
    const before = await vaultHolds();
    const workDir = join(site.dir, '.maas-vault', `planted${kind}`);
    const stackDir = join(workDir, 'cdktf.out', 'stacks', `maas-vault-planted${kind}`);
    writeFileSync(join(stackDir, 'evil.tf.json'), EVIL, { mode: 0o600 });
    if (kind === 'world') {
      chownSync(workDir, 65534, 65534);
      chmodSync(workDir, 0o777);
    }
    const results = [];
    for (const args of [['apply', '--auto-approve'], ['plan']]) results.push({ command: args[0], ...(await site.cli(args)) });
    // What Vault holds first: today's engine applies the planted file beside the stack.
    expect(await vaultHolds()).toEqual(before);
    for (const result of results) {
      expect([result.command, result.exitCode]).toEqual([result.command, 2]);
      expect(result.stderr).toMatch(
        kind === 'world' ? new RegExp(`workDir ${workDir} is owned by uid 65534.*mode 0777`) : /evil\.tf\.json was not written by maas-vault/,
      );
      expect(result.stderr).toMatch(/Nothing was sent to Vault and the engine did not run/);
    }
    expect(before.policies).not.toContain('evil');
    expect(before.auth).not.toContain('evil-userpass/');
    const login = await client.write('auth/evil-userpass/login/intruder', { password: 'intruder' }, { token: null, accept: [400, 403, 404, 405] });
    expect(login.auth).toBeUndefined();
  });
});
