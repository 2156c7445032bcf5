/**
 * Spellings users bring from the `vault` CLI and Terraform, mapped onto this CLI's own before
 * yargs sees them: `-format=json` (vault), `-detailed-exitcode` (terraform), and the shell named
 * after `completion`.
 */
export interface NormalizedArguments {
  args: string[];
  /** `plan --detailed-exitcode` was asked for: 2 then means "changes", so errors exit 1. */
  detailedExitcode: boolean;
  completionShell?: 'bash' | 'zsh';
  /** `completion --help`: yargs would print the script for it, so the CLI prints its help itself. */
  completionHelp: boolean;
  /** A usage problem found here (e.g. `-format=yaml`); nothing runs. */
  problem?: string;
}

const FORMAT = /^--?format(?:=(.*))?$/;

export function normalizeArguments(raw: readonly string[]): NormalizedArguments {
  const args: string[] = [];
  let problem: string | undefined;
  let detailedExitcode = false;
  let completionShell: NormalizedArguments['completionShell'];
  for (let index = 0; index < raw.length; index++) {
    const arg = raw[index];
    if (arg === '--') {
      args.push(...raw.slice(index));
      break;
    }
    const format = FORMAT.exec(arg);
    if (format) {
      const value = format[1] ?? raw[++index];
      if (value === 'json') args.push('--json');
      else problem ??= `-format=${value ?? ''}: only json is supported (it is the same as --json); without it, output is for people`;
      continue;
    }
    if (arg === '-detailed-exitcode' || arg === '--detailed-exitcode') {
      detailedExitcode = true;
      args.push('--detailed-exitcode');
      continue;
    }
    if (index === 1 && raw[0] === 'completion' && (arg === 'bash' || arg === 'zsh')) {
      completionShell = arg;
      continue;
    }
    args.push(arg);
  }
  if (args[0] === 'completion' && raw[1] !== undefined && !raw[1].startsWith('-') && !completionShell) {
    problem ??= `completion ${raw[1]}: the shells supported are bash and zsh`;
  }
  const completionHelp = args[0] === 'completion' && args.some((arg) => arg === '--help' || arg === '-h');
  return { args, detailedExitcode, completionShell, completionHelp, problem };
}
