/** The vault CLI's and Terraform's spellings, mapped before yargs sees them. */
import { normalizeArguments } from '../../cli/habits.js';

describe('normalizeArguments', () => {
  it.each([
    [
      ['status', '-format=json'],
      ['status', '--json'],
    ],
    [
      ['status', '--format=json'],
      ['status', '--json'],
    ],
    [
      ['status', '-format', 'json'],
      ['status', '--json'],
    ],
    [
      ['plan', '-detailed-exitcode'],
      ['plan', '--detailed-exitcode'],
    ],
    [
      ['output', '--', '-format=json'],
      ['output', '--', '-format=json'],
    ],
  ])('%j -> %j', (input, output) => expect(normalizeArguments(input).args).toEqual(output));

  it('refuses formats other than json', () => {
    expect(normalizeArguments(['status', '-format=yaml']).problem).toMatch(/only json is supported/);
  });

  it('reads the shell after completion, and refuses others', () => {
    expect(normalizeArguments(['completion', 'zsh'])).toMatchObject({ args: ['completion'], completionShell: 'zsh' });
    expect(normalizeArguments(['completion', 'fish']).problem).toMatch(/bash and zsh/);
  });

  it('--detailed-exitcode is remembered, so errors exit 1', () => {
    expect(normalizeArguments(['plan', '--detailed-exitcode']).detailedExitcode).toBe(true);
  });
});

describe('maas-vault completion', () => {
  it.each([
    ['bash', /complete -o bashdefault -o default -F _maas-vault_yargs_completions maas-vault/],
    ['zsh', /#compdef maas-vault/],
  ])('%s prints a completion script for maas-vault', async (shell, pattern) => {
    const { runCli } = await import('../support/cli.js');
    const result = await runCli(['completion', shell]);
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toMatch(pattern);
  });

  it.each([['--help'], ['bash', '--help'], ['-h']])('completion %s prints its help, not the script', async (...args) => {
    const { runCli } = await import('../support/cli.js');
    const result = await runCli(['completion', ...args]);
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
    expect(result.stdout).toContain('maas-vault completion [bash|zsh]');
    expect(result.stdout).toContain('maas-vault completion bash >> ~/.bashrc');
    expect(result.stdout).not.toMatch(/completions|compdef|complete -o/);
  });
});
