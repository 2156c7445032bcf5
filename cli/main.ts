/**
 * maas-vault: bootstraps Vault/OpenBao for MAAS region controllers. Each command lives in
 * cli/commands/; this file wires them up and turns errors into one-line messages and exit codes.
 * It is bundled into one CommonJS script that cli/launch.ts runs with V8's code cache.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { normalizeArguments } from './habits.js';
import { skipHelpCache } from './help-cache.js';
import { DEFAULT_CONFIG } from './context.js';
import { commandModules } from './commands/catalog.js';
import { wroteJsonResult } from './reporter.js';
import { outputFormat } from '../config/environment.js';

// A function, not top-level code: a CommonJS script has no top-level await.
async function main(): Promise<void> {
  // `maas-vault output | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.ok);
    throw error;
  });

  // The engine writes state holding wrapping tokens; files this process and its children create are owner-only.
  process.umask(0o077);

  const habits = normalizeArguments(hideBin(process.argv));
  // VAULT_FORMAT=json is --json, as for the vault CLI; another format is refused like -format=yaml.
  const format = outputFormat(process.env);
  const problem = habits.problem ?? format.problem;
  // yargs picks its completion script by $SHELL: `completion zsh` and `completion bash` say it outright.
  if (habits.completionShell) process.env.SHELL = `/bin/${habits.completionShell}`;
  const commands = commandModules(habits.args);

  const cli = skipHelpCache(yargs(habits.args))
    .scriptName('maas-vault')
    .usage('$0 <command> [options]\n\nBootstraps HashiCorp Vault or OpenBao for MAAS region controllers.')
    .option('config', { alias: 'c', type: 'string', defaultDescription: DEFAULT_CONFIG, describe: 'config file (.json, .yaml)', global: true })
    .option('json', {
      type: 'boolean',
      default: format.json,
      defaultDescription: 'false, true with VAULT_FORMAT=json',
      describe: 'machine-readable output on stdout',
      global: true,
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress lines', global: true })
    .command(await commands)
    .completion('completion', 'Print a shell completion script: `maas-vault completion bash` (or zsh) >> ~/.bashrc (~/.zshrc)')
    .demandCommand(1, 'name a command: maas-vault --help lists them')
    .strict()
    .recommendCommands()
    .epilogue(
      'Vault is reached at VAULT_ADDR (else vault.address), with VAULT_TOKEN and VAULT_CACERT as the vault CLI reads them (or BAO_ADDR, BAO_TOKEN, BAO_CACERT); ' +
        'VAULT_NAMESPACE and VAULT_SKIP_VERIFY are refused (MAAS can use neither).\n' +
        'Exit codes: 0 ok, 1 failure, 2 bad usage or config (nothing was changed in Vault), 3 Vault sealed or unreachable, 4 drift found by status, 5 site not created yet (status: nothing of it in Vault or its state), ' +
        '129/130/143 stopped by SIGHUP/SIGINT/SIGTERM. `plan --detailed-exitcode`: 0 no changes, 2 changes, 1 any error.',
    )
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((message, error) => {
      throw error ?? new UsageFailure(message);
    });

  if (habits.completionHelp && !problem) {
    process.stdout.write(COMPLETION_HELP);
  } else if (problem) {
    process.stderr.write(`maas-vault: ${problem}\nRun \`maas-vault --help\` for usage.\n`);
    process.exitCode = habits.detailedExitcode ? EXIT.failure : EXIT.usage;
  } else {
    try {
      await cli.parseAsync();
    } catch (error) {
      const code = exitCodeOf(error);
      const message = error instanceof Error ? error.message : String(error);
      // --json promises one JSON object on stdout whatever happens; the one-line error still goes to stderr.
      if (wantsJson(habits.args, format.json) && !wroteJsonResult()) {
        process.stdout.write(`${JSON.stringify({ error: { message, exitCode: habits.detailedExitcode ? EXIT.failure : code } }, null, 2)}\n`);
      }
      process.stderr.write(`maas-vault: ${message}\n`);
      if (error instanceof UsageFailure) process.stderr.write('Run `maas-vault --help` for usage.\n');
      if (process.env.MAAS_VAULT_DEBUG === '1' && error instanceof Error && error.stack) {
        const { mappedFrames } = await import('./mapped-stack.js');
        process.stderr.write(`${mappedFrames(error.stack).join('\n')}\n`);
      }
      // With --detailed-exitcode, 2 means "changes" (as for Terraform): every error is 1.
      process.exitCode = habits.detailedExitcode ? EXIT.failure : code;
    }
  }
}

const COMPLETION_HELP = `maas-vault completion [bash|zsh]

Prints a shell completion script for maas-vault on stdout (for the shell in $SHELL when none is named):

  maas-vault completion bash >> ~/.bashrc
  maas-vault completion zsh >> ~/.zshrc
`;

function wantsJson(args: readonly string[], byEnvironment: boolean): boolean {
  if (args.some((arg) => arg === '--no-json' || arg === '--json=false')) return false;
  return byEnvironment || args.some((arg) => arg === '--json' || arg === '--json=true');
}

class UsageFailure extends Error {
  override name = 'UsageFailure';
  readonly exitCode = EXIT.usage;
}

void main();
