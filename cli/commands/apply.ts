import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import type { GlobalArgs } from '../context.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import {
  configuredNote,
  handOffCommands,
  handOffJson,
  handOffTarget,
  migrateJson,
  printConfigureCommands,
  printIssuerHandOff,
  regionClientCertProblem,
  regionTrustJson,
  regionTrustNote,
  spentTokenNote,
} from '../present.js';
import { regionStates } from '../../vault/region-state.js';
import { addressNote, openContext } from '../context.js';
import { refuseUnmarkedRevocations } from '../revocations.js';
import { OUTPUTS } from '../../stacks/output-names.js';
import { wrappingTokenUsability } from './token-usability.js';
import { EXIT } from '../exit-codes.js';
import { MIGRATE_COMMAND } from '../../stacks/commands.js';
import { withAutoApprove, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { destroyUnrecordedStackSecretIds } from '../../vault/orphan-secret-ids.js';
import { appliedControllers, controllersFromOutputs, rotatedNote, withRotatedCredentials } from './stack-outputs.js';
import { readBackendOutputs } from '../../engine/state.js';
import { adoptedRoles, type MaasVaultConfig } from '../../config/index.js';
import type { Engine } from '../../engine/engine.js';
import { adoptionCounts, adoptionRefusal, adoptionSummary, refuseAdoption } from './adoption-run.js';
import { dropPlan, optInsOf, planGuarded, withOptIns, type GuardedPlan, type OptInArgs } from './guarded-run.js';
import { describeFindings, lossSummary, OPT_INS, refusePlan, type PlanFindings } from './plan-guard.js';
import { printAdoption, type PlanCounts } from '../present-adoption.js';

export const applyCommand = defineCommand<GlobalArgs & EngineArgs & OptInArgs>({
  ...COMMAND_TEXT.apply,
  builder: (yargs: Argv<GlobalArgs>) =>
    withOptIns(withAutoApprove(yargs, 'apply'), 'apply').example(
      'VAULT_TOKEN=... $0 apply --config maas-vault.yaml',
      'shows the plan, asks, applies, prints the commands',
    ),
  handler: async (argv) => {
    if (!argv.autoApprove) requireTerminalOrFlag('apply');
    await refuseUnmarkedRevocations(openContext(argv).config, 'apply');
    const session = await openStackSession(argv, true, 'apply');
    const { engine, report, config, client } = session;
    let guarded: GuardedPlan | undefined;
    let counts: PlanCounts | undefined;
    try {
      if (session.adoption && !report.json) printAdoption(report, session.adoption);
      guarded = await planGuarded(session, 'apply');
      const { saved, findings } = guarded;
      if (session.adoption) {
        // An adoption must keep every role ID: no delete at all, whatever the flags.
        const refusal = adoptionRefusal(saved);
        if (refusal) refuseAdoption(refusal);
        counts = adoptionCounts(saved);
      }
      refusePlan(findings, optInsOf(argv), 'apply', config);
      if (!report.json) {
        for (const line of describeFindings(findings)) report.line(line);
        if (counts) report.line(adoptionSummary(counts));
      }
      const losses = lossSummary(findings);
      if (losses.length > 0)
        report.warn([`this apply will, as ${optInFlags(findings)} allow${findings.losses.length === 1 ? 's' : ''}:`, ...losses].join('\n'));
      if (!argv.autoApprove && saved.changes) {
        const question = session.adoption
          ? `Import and apply these changes to Vault at ${config.vault.address}?`
          : `Apply these changes to Vault at ${config.vault.address}?`;
        if (!(await confirm(losses.length > 0 ? `${losses.length} loss${losses.length === 1 ? '' : 'es'} listed above. ${question}` : question))) {
          report.line(session.adoption ? 'Apply cancelled: nothing was imported or changed.' : 'Apply cancelled: nothing was changed.');
          process.exitCode = EXIT.failure;
          return;
        }
      }
      const before = new Set(await existingTokens(config, session.statePath, engine));
      session.markUnfinished();
      // Recorded before the first write: an apply cut off partway leaves a state of this site, which
      // another site's config on the same workDir or state.schema must not plan over.
      await session.recordSite();
      // Exactly the plan that was checked and shown (the engine refuses it if the state moved since).
      await session.engineStep(`${engine.binary.kind} apply`, () => engine.applySaved(saved));
      const controllers = await withRotatedCredentials(config, await appliedControllers(engine, session.statePath, config));
      if (session.wasInterrupted) {
        // An unfinished run may have issued secret IDs it never recorded: only this apply can find them.
        const removed = config.stackSecretIds
          ? await report.step('removing secret IDs an interrupted run issued but did not record', () =>
              destroyUnrecordedStackSecretIds(
                client!,
                config.site,
                controllers.map((controller) => ({ role: controller.role, accessor: controller.secretIdAccessor })),
              ),
            )
          : 0;
        if (removed > 0) report.note(`destroyed ${removed} secret ID${removed === 1 ? '' : 's'} an interrupted run had issued without recording them`);
      }
      session.clearInterrupted();
      // A re-apply keeps the secret IDs MAAS already unwrapped; their tokens may be spent, so ask
      // Vault about those. A token this apply just issued is fresh: no need to ask.
      const { usable } = await wrappingTokenUsability(
        client!,
        controllers,
        new Set(controllers.flatMap((controller) => (controller.wrappedToken && !before.has(controller.wrappedToken) ? [controller.wrappedToken] : []))),
      );
      const outputs = (await readBackendOutputs(config, session.statePath)) ?? {};
      const target = handOffTarget(config);
      const { loggedIn, migrated } = await regionStates(
        client!,
        controllers.map((controller) => controller.roleId),
        target.mount,
        target.secretsPath,
      );
      const forms = controllers.map((controller, index) =>
        controller.wrappedToken ? handOffCommands(target, controller.roleId, controller.wrappedToken, loggedIn[index]) : undefined,
      );
      const caNote = regionTrustNote(config);
      if (caNote) report.note(caNote);
      const clientCertProblem = await regionClientCertProblem(config);
      if (clientCertProblem) report.warn(clientCertProblem);
      if (report.json) {
        report.data({
          controllers: controllers.map((controller, index) => ({
            ...controller,
            wrappedTokenUsable: usable[index] ?? false,
            ...handOffJson(target, loggedIn[index], forms[index]),
          })),
          ...migrateJson(migrated),
          ...regionTrustJson(config),
          ...(config.issuer.enabled ? { issuer: { role: outputs[OUTPUTS.issuerRoleName]?.value, roleId: outputs[OUTPUTS.issuerRoleId]?.value } } : {}),
          ...(session.adoption && counts
            ? {
                adoption: {
                  importing: session.adoption.importing,
                  creating: session.adoption.creating,
                  differences: session.adoption.differences,
                  plan: counts,
                },
              }
            : {}),
          ...(findings.forgets.length > 0 ? { forgotten: findings.forgets } : {}),
        });
        return;
      }
      report.line(`Applied: site ${config.site}, ${controllers.length} region controllers, policy ${config.policy.name}.`);
      report.line();
      const revoked = new Set(config.controllers.filter((controller) => controller.revoked).map((controller) => controller.name));
      if (!config.stackSecretIds && adoptedRoles(config).size > 0) {
        report.line('Region controllers on adopted roles keep the secret IDs they run on: nothing to run on them.');
        report.line('New secret IDs come from `maas-vault credentials` (a new region) or `maas-vault rotate` (a running one).');
      } else if (!config.stackSecretIds) {
        report.line('This site gets its secret IDs from `maas-vault credentials` (stackSecretIds: false): run it to hand each region controller its command.');
        if (migrated)
          report.line(
            `MAAS has already migrated its secrets to Vault (global/ under ${target.mount}/${target.secretsPath}): there is no \`config-vault migrate\` to run.`,
          );
        else report.line(`Then, once every region controller is configured, on one of them: ${MIGRATE_COMMAND}`);
      } else {
        printConfigureCommands(
          report,
          controllers.map((controller, index) => ({
            name: controller.name,
            ...forms[index],
            configured: loggedIn[index],
            unusable: revoked.has(controller.name)
              ? 'revoked ("revoked": true in the config): no secret ID is issued for it'
              : controller.rotationFinishedAt
                ? rotatedNote(controller)
                : usable[index] === false
                  ? loggedIn[index]
                    ? configuredNote(controller.name)
                    : spentTokenNote(controller.name)
                  : undefined,
          })),
          { wrapTtl: config.wrapTtl, addressNote: addressNote(config), target, migrated },
        );
      }
      const issuerRoleId = outputs[OUTPUTS.issuerRoleId]?.value;
      const issuerRole = outputs[OUTPUTS.issuerRoleName]?.value;
      if (config.issuer.enabled && typeof issuerRoleId === 'string' && typeof issuerRole === 'string') printIssuerHandOff(report, issuerRole, issuerRoleId);
    } finally {
      dropPlan(guarded);
      await client?.close();
    }
  },
});

/** Wrapping tokens already in the state (file or pg row; encrypted state through the engine) before this apply. */
async function existingTokens(config: MaasVaultConfig, statePath: string, engine: Engine): Promise<string[]> {
  const outputs = (await readBackendOutputs(config, statePath)) ?? (config.state.encryption ? await engine.outputs() : undefined);
  return outputs ? controllersFromOutputs(outputs).flatMap((controller) => (controller.wrappedToken ? [controller.wrappedToken] : [])) : [];
}

/** The flags that allowed this run's losses, as the user typed them. */
function optInFlags(findings: PlanFindings): string {
  return [...new Set(findings.losses.map((loss) => OPT_INS[loss.kind].flag))].join(' and ');
}
