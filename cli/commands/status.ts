import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { openContext, vaultClient, vaultToken, explainTokenRefusal, type GlobalArgs } from '../context.js';
import { EXIT, exitCodeOf } from '../exit-codes.js';
import { checkStatus, type StatusCheck } from '../../vault/status.js';
import { VaultSealedError } from '../../vault/errors.js';
import { readStackInventory } from '../../engine/state-inventory.js';
import { workLayout } from '../../stacks/work-layout.js';
import type { Reporter } from '../reporter.js';

const LABEL = { ok: 'ok     ', drift: 'DRIFT  ', extra: 'EXTRA  ', note: 'note   ' } as const;

export const statusCommand = defineCommand<GlobalArgs>({
  command: 'status',
  describe: 'Check Vault against the config: reachable, unsealed, approle, KV-v2, policies, roles, secret IDs (exit 4 on drift)',
  builder: (yargs: Argv<GlobalArgs>) => yargs.example('VAULT_TOKEN=... $0 status', 'lists every difference and what to run about it; exit 4 when there is one'),
  handler: async (argv) => {
    try {
      const { config, report } = openContext(argv);
      await runStatus(config, report);
    } catch (error) {
      // --json promises JSON on stdout whatever happens; the one-line error still goes to stderr.
      if (argv.json) process.stdout.write(`${JSON.stringify({ error: { message: (error as Error).message, exitCode: exitCodeOf(error) } }, null, 2)}\n`);
      throw error;
    }
  },
});

async function runStatus(config: Parameters<typeof checkStatus>[1], report: Reporter): Promise<void> {
  const client = vaultClient(config, vaultToken('read sys/auth, sys/mounts, the policies and the roles (`maas-vault policy admin` prints such a policy)'));
  try {
    const inventory = readStackInventory(workLayout(config).statePath);
    const status = await report
      .step(`checking Vault at ${config.vault.address}`, () => checkStatus(client, config, inventory))
      .catch((error: unknown) => explainTokenRefusal(client, error));
    if (status.server.sealed) throw new VaultSealedError(client.address);
    if (report.json) report.data(status);
    else printStatus(report, status.server, status.checks, status.drift);
    if (status.drift) process.exitCode = EXIT.drift;
  } finally {
    await client.close();
  }
}

function printStatus(report: Reporter, server: { flavour: string; version: string; address: string; active?: boolean }, checks: StatusCheck[], drift: boolean): void {
  report.line(`${server.flavour} ${server.version} at ${server.address}: unsealed${server.active === false ? ', standby' : ''}`);
  for (const check of checks) {
    const worst = check.findings.find((finding) => finding.kind === 'drift') ?? check.findings.find((finding) => finding.kind === 'extra') ?? check.findings[0];
    report.line(`${LABEL[worst?.kind ?? 'ok']} ${check.subject}`);
    for (const problem of check.problems) report.line(`          ${problem}`);
  }
  report.line(drift ? 'Drift found: each line above says what to run; `maas-vault plan` lists what apply would change.' : 'Vault matches the config.');
}
