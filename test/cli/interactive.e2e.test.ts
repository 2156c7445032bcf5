/**
 * apply and destroy on a terminal: they show what will change and wait for an explicit answer.
 * `script` gives the CLI a real pseudo-terminal; the answer is typed into it.
 */
import { roleName } from '../../config/index.js';
import { execa } from 'execa';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { CLI, engineEnv } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('interactive (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, { site: 'tty', kv: { mount: 'kv-tty' }, controllers: [{ name: 'region-1' }] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** Runs the CLI under a pseudo-terminal, typing `answer` once it asks. */
  async function onTerminal(command: string, answer: string) {
    const line = [process.execPath, CLI, command, '--config', site.configPath].join(' ');
    const subprocess = execa('script', ['-qefc', line, '/dev/null'], {
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'dumb', VAULT_TOKEN: server.rootToken, ...engineEnv() },
      input: undefined,
      stdin: 'pipe',
    });
    let output = '';
    let answered = false;
    subprocess.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && /will be accepted: $/.test(output)) {
        answered = true;
        subprocess.stdin?.write(`${answer}\n`);
      }
    });
    const result = await subprocess;
    return { exitCode: result.exitCode, output };
  }

  const role = () => vaultHttp(server.address, 'GET', `auth/approle/role/${roleName({ site: 'tty' }, 'region-1')}`, { token: server.rootToken });

  it('apply shows the plan and changes nothing unless the answer is yes', async () => {
    const declined = await onTerminal('apply', 'no');
    expect(declined.output).toContain('vault_approle_auth_backend_role.region_region-1_role will be created');
    expect(declined.output).toContain(`Apply these changes to Vault at ${server.address}? Only 'yes' will be accepted:`);
    expect(declined.output).toContain('Apply cancelled: nothing was changed.');
    expect(declined.exitCode).toBe(1);
    expect((await role()).status).toBe(404);

    const accepted = await onTerminal('apply', 'yes');
    expect(accepted.exitCode).toBe(0);
    expect(accepted.output).toContain('sudo maas config-vault configure');
    expect((await role()).status).toBe(200);
  });

  it('destroy shows what it will delete, then needs the site name typed back', async () => {
    const declined = await onTerminal('destroy', 'yes');
    const plan = declined.output.indexOf('destroy of site tty will delete:');
    expect(plan).toBeGreaterThanOrEqual(0);
    expect(plan).toBeLessThan(declined.output.indexOf('Type the site name (tty) to destroy it.'));
    expect(declined.output).toContain(`1 AppRole role (${roleName({ site: 'tty' }, 'region-1')}) and every secret ID of them`);
    expect(declined.output).toContain('the KV mount kv-tty/ and EVERY SECRET IN IT');
    expect(declined.output).toContain('If MAAS was migrated to this Vault (`maas config-vault migrate`), MAAS loses its secrets.');
    expect(declined.output).toContain('Type the site name (tty) to destroy it.');
    expect(declined.exitCode).toBe(1);
    expect((await role()).status).toBe(200);

    const accepted = await onTerminal('destroy', 'tty');
    expect(accepted.exitCode).toBe(0);
    expect((await role()).status).toBe(404);
  });
});
