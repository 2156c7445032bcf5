import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { openContext, vaultClient, type GlobalArgs } from '../context.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { roleName } from '../../config/index.js';
import { lookupWrappingToken, rolePath } from '../../vault/approle.js';

interface VerifyTokenArgs extends GlobalArgs {
  /** yargs reads a lone '-' as an empty flag (true or ''): either way, stdin. */
  token?: string | boolean;
  controller: string;
}

export const verifyTokenCommand = defineCommand<VerifyTokenArgs>({
  ...COMMAND_TEXT.verifyToken,
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .positional('token', { describe: "the wrapping token; '-' or nothing reads it from stdin (keeps it out of shell history)" })
      .option('controller', { type: 'string', demandOption: true, describe: 'the controller this token is meant for' })
      .example('echo "$WRAPPED_TOKEN" | $0 verify-token - --controller region-1', 'exit 0 only for a valid token of region-1'),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    if (!config.controllers.some((controller) => controller.name === argv.controller)) {
      throw new UsageError(`--controller ${argv.controller}: not in ${config.source}`);
    }
    const token = typeof argv.token === 'string' && argv.token !== '' && argv.token !== '-' ? argv.token : readFileSync(0, 'utf8').trim();
    if (token === '') throw new UsageError('no wrapping token: pass it as an argument, or pipe it in with -');
    const expectedPath = `${rolePath(roleName(config, argv.controller))}/secret-id`;
    // sys/wrapping/lookup needs no token of its own; the controller host has none.
    const client = vaultClient(config);
    try {
      const info = await lookupWrappingToken(client, token);
      const expiresAt = new Date(Date.parse(info.creation_time) + info.creation_ttl * 1000);
      const problems: string[] = [];
      if (info.creation_path !== expectedPath) {
        problems.push(`it was issued by ${info.creation_path}, not ${expectedPath}: do not use it; it may not be a MAAS credential for ${argv.controller}`);
      }
      if (expiresAt.getTime() <= Date.now()) problems.push(`it expired at ${expiresAt.toISOString()}`);
      if (report.json) report.data({ ok: problems.length === 0, creationPath: info.creation_path, expiresAt: expiresAt.toISOString(), problems });
      if (problems.length > 0) {
        if (!report.json) for (const problem of problems) report.line(`wrapping token rejected: ${problem}`);
        process.exitCode = EXIT.failure;
        return;
      }
      const left = Math.round((expiresAt.getTime() - Date.now()) / 1000);
      report.line(`wrapping token OK: unused, issued for ${expectedPath}, expires ${expiresAt.toISOString()} (${left}s left)`);
    } finally {
      await client.close();
    }
  },
});
