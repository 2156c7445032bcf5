/** Every command explains itself: `--help` with an example, and no Vault or engine needed to read it. */
import { runCli } from '../support/cli.js';

it.each(['synth', 'plan', 'apply', 'destroy', 'output', 'encrypt-state', 'credentials', 'verify-token', 'verify', 'status', 'revoke', 'policy', 'dev'])(
  '%s --help has an example',
  async (command) => {
    const result = await runCli([command, '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Examples:');
  },
);

it('policy --help names both CLIs for writing the policy: no server is asked, and an OpenBao host often has no `vault`', async () => {
  const result = await runCli(['policy', '--help']);
  expect(result.exitCode).toBe(0);
  // yargs wraps the example and its description side by side: each column's words, in order.
  expect(result.stdout).toMatch(/policy admin > maas-admin-lab\.hcl && bao\s/);
  expect(result.stdout).not.toContain('&& vault');
  expect(result.stdout).toMatch(/\(or `vault\s+(.*\s)?policy write …` on HashiCorp Vault\)/);
});
