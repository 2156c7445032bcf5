import { flavourName, type ServerFlavour } from '../../vault/server-flavour.js';
import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { openContext, vaultClient, vaultToken, explainTokenRefusal, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { checkStatus, notReadyError, serverInfo, type StatusCheck, type StatusReport } from '../../vault/status.js';
import { isPermissionDenied } from '../../vault/errors.js';
import type { VaultClient } from '../../vault/client.js';
import { clusterReport, type ClusterReport } from '../../vault/cluster.js';
import { readBackendInventory, stackInventoryOf, stateNeedsEngine, type StackInventory } from '../../engine/state.js';
import { workLayout } from '../../stacks/work-layout.js';
import { roleName, type MaasVaultConfig } from '../../config/index.js';
import { loadRotationRecord, rotationManaged } from '../../vault/rotation-record.js';
import type { Colour, Reporter } from '../reporter.js';
import { withEngine, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { refuseForeignStateRead } from './site-record-gate.js';
import { ADMIN_POLICY_SUBJECT, adminPolicyStatus } from './admin-policy-gate.js';

const LABEL = { ok: 'ok     ', drift: 'DRIFT  ', extra: 'EXTRA  ', note: 'note   ', new: 'new    ' } as const;
const LABEL_COLOUR: Record<keyof typeof LABEL, Colour> = { ok: 'green', drift: 'red', extra: 'yellow', note: 'dim', new: 'cyan' };

type StatusArgs = GlobalArgs & EngineArgs;

export const statusCommand = defineCommand<StatusArgs>({
  ...COMMAND_TEXT.status,
  builder: (yargs: Argv<GlobalArgs>) =>
    withEngine(yargs).example('VAULT_TOKEN=... $0 status', 'lists every difference and what to run about it; exit 4 when there is one'),
  handler: async (argv) => {
    // A failure with --json is one JSON object on stdout too: cli/main.ts writes it for every command.
    const { config, report } = openContext(argv, { workDirAccess: 'read' });
    await runStatus(argv, config, report);
  },
});

async function runStatus(argv: StatusArgs, config: MaasVaultConfig, report: Reporter): Promise<void> {
  const token = vaultToken('read sys/auth, sys/mounts, the policies and the roles (`maas-vault policy admin` prints such a policy)');
  // The state is read first: an encrypted one needs the engine, which is found (or refused, exit 2)
  // before the first request to Vault.
  const inventory = await siteInventory(argv, config);
  const rotated = config.stackSecretIds ? rotationManaged(await loadRotationRecord(config), (name) => roleName(config, name)) : new Map();
  const client = vaultClient(config, token);
  try {
    await refuseForeignStateRead(client, config, 'status');
    const status = await report
      .step(`checking Vault at ${config.vault.address}`, () => checkStatus(client, config, inventory, rotated))
      .catch((error: unknown) => explainTokenRefusal(client, error))
      .catch((error: unknown) => staleAdminPolicyStatus(client, config, error));
    if (status.server.sealed) throw notReadyError(status.server);
    const admin = status.checks.some((check) => check.subject === ADMIN_POLICY_SUBJECT) ? undefined : await adminPolicyStatus(client, config);
    if (admin) {
      status.checks.push(admin);
      status.drift ||= !admin.ok;
    }
    const cluster = await clusterReport(client);
    if (report.json) report.data({ ...status, cluster });
    else printStatus(report, config.site, status.server, cluster, status);
    if (status.drift) process.exitCode = status.notCreated ? EXIT.notCreated : EXIT.drift;
  } finally {
    await client.close();
  }
}

/**
 * A permission denied on a token whose admin policy was rendered for an older config is that
 * finding: reported as such (exit 4), with what status could not read; any other error stays one.
 */
async function staleAdminPolicyStatus(client: VaultClient, config: MaasVaultConfig, error: unknown): Promise<StatusReport> {
  if (!isPermissionDenied(error)) throw error;
  const admin = await adminPolicyStatus(client, config).catch(() => undefined);
  if (!admin || admin.ok) throw error;
  admin.problems.push(`status read no further: ${error.message}`);
  return { server: await serverInfo(client), checks: [admin], drift: true, notCreated: false };
}

/** What the stack's state manages, from wherever it lives: an encrypted state through the engine. */
async function siteInventory(argv: StatusArgs, config: MaasVaultConfig): Promise<StackInventory> {
  if (!stateNeedsEngine(config)) return readBackendInventory(config, workLayout(config).statePath);
  const session = await openStackSession(argv, false);
  const pulled = await session.engineStep(`${session.engine.binary.kind} state pull`, () => session.engine.pullState());
  return stackInventoryOf(pulled);
}

function printStatus(
  report: Reporter,
  site: string,
  server: { flavour: ServerFlavour; version: string; address: string; active?: boolean },
  cluster: ClusterReport,
  { checks, drift, notCreated }: { checks: StatusCheck[]; drift: boolean; notCreated: boolean },
): void {
  report.line(`${flavourName(server.flavour)} ${server.version} at ${server.address}: unsealed${server.active === false ? ', standby' : ''}`);
  printCluster(report, cluster);
  for (const check of checks) {
    // A site never applied: only what apply will create, which is all there is to say.
    if (notCreated && check.ok && check.findings.length === 0) continue;
    const worst = check.findings.find((finding) => finding.kind === 'drift') ?? check.findings.find((finding) => finding.kind === 'extra') ?? check.findings[0];
    // The admin policy is no object apply creates: stale, it is drift on a new site too.
    const kind = notCreated && worst?.kind === 'drift' && check.subject !== ADMIN_POLICY_SUBJECT ? 'new' : (worst?.kind ?? 'ok');
    // Only the label is painted: its padding and the subject stay as they are.
    report.line(`${report.paint(LABEL[kind].trimEnd(), LABEL_COLOUR[kind])}${LABEL[kind].slice(LABEL[kind].trimEnd().length)} ${check.subject}`);
    for (const problem of check.problems) report.line(`          ${problem}`);
  }
  if (notCreated) {
    report.line(report.paint(`Site ${site} is not created yet: \`maas-vault plan\` lists what \`maas-vault apply\` would create.`, 'cyan'));
    return;
  }
  report.line(
    drift
      ? report.paint('Drift found: each line above says what to run; `maas-vault plan` lists what apply would change.', 'red')
      : report.paint('Vault matches the config.', 'green'),
  );
}

function printCluster(report: Reporter, cluster: ClusterReport): void {
  if (!cluster.haEnabled) return;
  const unknown = '(unknown: the token may not read it)';
  report.line(`HA cluster: this node is ${cluster.isStandby ? 'a standby' : 'the active node'}; active node ${cluster.activeAddress ?? 'none'}`);
  report.line(`  standbys: ${cluster.standbys ? cluster.standbys.join(', ') || 'none' : unknown}`);
  report.line(
    `  standby reads: ${cluster.standbyReads === undefined ? unknown : cluster.standbyReads ? 'enabled' : 'disabled (standbys forward every request)'}`,
  );
  for (const warning of cluster.warnings) report.warn(warning);
}
