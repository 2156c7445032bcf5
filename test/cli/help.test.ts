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
