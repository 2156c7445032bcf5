/**
 * Commands printed for the admin name the CLI of the server that answered (`bao` on OpenBao,
 * `vault` on HashiCorp Vault), never the other: an OpenBao host often has no `vault` binary. The
 * CI lines of `credentials --issuer` are run as printed, with this server's own CLI.
 */
import { execa } from 'execa';
import { issuerRoleName, roleName } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { ManualSite } from '../support/manual-site.js';
import { serverBinary, serverCliName } from '../support/matrix.js';
import { TestSite } from '../support/site.js';

const cli = serverCliName();
const other = cli === 'bao' ? 'vault' : 'bao';

let server: OpenBaoServer;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
});

afterAll(async () => {
  await server?.stop();
});

/** As root; any refusal fails the test at once. */
async function asRoot(method: string, path: string, body?: unknown): Promise<void> {
  expect((await vaultHttp(server.address, method, path, { token: server.rootToken, body })).status).toBeLessThan(300);
}

/** No command of the other server's CLI anywhere in `text`. */
function expectNoOtherCli(text: string): void {
  expect(text).not.toMatch(new RegExp(`\`${other} `));
}

it(`status of an adopting site with nothing mounted: the fixes are \`${cli} auth enable\` and \`${cli} secrets enable\``, async () => {
  const site = new TestSite(server, { site: 'names', approle: { adopt: true }, kv: { mount: 'kv-names', adopt: true }, controllers: [{ name: 'region-1' }] });
  const result = await site.cli(['status']);
  expect(result.exitCode).toBe(4);
  expect(result.stdout).toContain(`enable it with \`${cli} auth enable approle\`, or set approle.adopt to false`);
  expect(result.stdout).toContain(`mount it (\`${cli} secrets enable -path=kv-names kv-v2\`, and restore MAAS's secrets from a backup)`);
  expectNoOtherCli(result.stdout);
});

it(`status with another auth method at approle/: the fix is \`${cli} auth disable approle\``, async () => {
  await asRoot('POST', 'sys/auth/approle', { type: 'userpass' });
  try {
    const site = new TestSite(server, { site: 'names', kv: { mount: 'kv-names' }, controllers: [{ name: 'region-1' }] });
    const result = await site.cli(['status']);
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toContain(`disable that mount (\`${cli} auth disable approle\`), then \`maas-vault apply\``);
    expectNoOtherCli(result.stdout);
  } finally {
    await asRoot('DELETE', 'sys/auth/approle');
  }
});

it(`status with a role in the site's namespace that nothing names: the fix is \`${cli} delete\``, async () => {
  const site = await ManualSite.create(server, { site: 'extra', kv: { mount: 'kv-extra' }, controllers: [{ name: 'region-1' }] });
  const extra = roleName(site.validated, 'region-9');
  await asRoot('POST', `auth/approle/role/${extra}`, { token_policies: [site.validated.policy.name] });
  try {
    const result = await site.cli(['status']);
    expect(result.stdout).toContain(`delete it (\`${cli} delete auth/approle/role/${extra}\`) if nothing logs in with it`);
    expectNoOtherCli(result.stdout);
  } finally {
    await asRoot('DELETE', 'sys/auth/approle');
  }
});

it(`credentials --issuer: the CI lines use \`${cli}\`, and run as printed they log the issuer in`, async () => {
  const site = await ManualSite.create(server, { site: 'ci', kv: { mount: 'kv-ci' }, issuer: { enabled: true }, controllers: [{ name: 'region-1' }] });
  try {
    const result = await site.cli(['credentials', '--issuer']);
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
    const wrapped = /^Wrapped secret ID \(works once, until .+\): (\S+)$/m.exec(result.stdout)?.[1];
    const unwrapLine = /\(`VAULT_TOKEN=<wrapped secret ID> (.+)`\)/.exec(result.stdout)?.[1];
    const loginLine = /^ {2}(.+)$/m.exec(result.stdout)?.[1];
    expect([unwrapLine, loginLine?.split(' ')[0]]).toEqual([`${cli} unwrap -field=secret_id`, cli]);
    expect(result.stdout).not.toMatch(new RegExp(`\\b${other} (unwrap|write)\\b`));
    // The commands as printed, with this server's own binary standing for `${cli}`.
    const env = { VAULT_ADDR: server.address };
    const [, ...unwrapArgs] = unwrapLine!.split(' ');
    const secretId = (await execa(serverBinary(), unwrapArgs, { env: { ...env, VAULT_TOKEN: wrapped! } })).stdout.trim();
    const [, ...loginArgs] = loginLine!.replace('$ISSUER_SECRET_ID', secretId).split(' ');
    const token = (await execa(serverBinary(), loginArgs, { env })).stdout.trim();
    const self = await vaultHttp(server.address, 'GET', 'auth/token/lookup-self', { token });
    expect(self.body.data.meta?.role_name ?? self.body.data.display_name).toContain(issuerRoleName(site.validated));
  } finally {
    await asRoot('DELETE', 'sys/auth/approle');
  }
});
