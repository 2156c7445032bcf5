import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import type { GlobalArgs } from '../context.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import { EXIT } from '../exit-codes.js';
import { withAutoApprove, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { destroyPlan, describeDestroyPlan, forgottenAddresses, refuseNewNeighbours, secrets, type SharedMount } from './destroy-plan.js';
import { dropPlan, optInsOf, planGuarded, withOptIns, type GuardedPlan, type OptInArgs } from './guarded-run.js';
import { describeTops, lossSummary, PlanGuardError, refusePlan } from './plan-guard.js';
import { requireAnAdminPolicy, requireDeletableState } from './admin-policy-gate.js';
import type { PlannedResource } from '../../engine/engine.js';
import { cliCommand, flavourName, type ServerFlavour } from '../../vault/server-flavour.js';
import type { VaultClient } from '../../vault/client.js';
import type { MaasVaultConfig } from '../../config/index.js';

export const destroyCommand = defineCommand<GlobalArgs & EngineArgs & OptInArgs>({
  ...COMMAND_TEXT.destroy,
  builder: (yargs: Argv<GlobalArgs>) =>
    withOptIns(withAutoApprove(yargs, 'destroy'), 'destroy')
      .example('VAULT_TOKEN=... $0 destroy --auto-approve', 'removes the roles, policy and created (empty) mounts of ./maas-vault.json')
      .example('VAULT_TOKEN=... $0 destroy --auto-approve --delete-secrets', 'also deletes a created KV mount that holds secrets'),
  handler: async (argv) => {
    if (!argv.autoApprove) requireTerminalOrFlag('destroy');
    const session = await openStackSession(argv, true, 'destroy');
    const { engine, report, config, client } = session;
    let guarded: GuardedPlan | undefined;
    try {
      const resources = await session.stateResources();
      if (resources.length > 0) await requireAnAdminPolicy(client!, config, 'destroy');
      const plan = await destroyPlan(client!, config, resources);
      if (plan.resources === 0) {
        // A first apply that stopped before creating anything left a record: the work directory is free again.
        await session.forgetSite();
        if (report.json) report.data({ destroyed: null, site: config.site, resources: 0 });
        else report.line(`Nothing to destroy: the state at ${session.statePath} holds no resources of site ${config.site}. Nothing was changed.`);
        return;
      }
      // What will go, and what stays, before anyone is asked.
      report.warn(describeDestroyPlan(config, plan).join('\n'));
      const forgotten = forgottenAddresses(plan);
      // What the state holds and this token may not refresh or delete: refused before the engine runs, not halfway through it.
      await requireDeletableState(client!, config, resources, forgotten, 'destroy');
      guarded = await planGuarded(session, 'destroy');
      // What is forgotten before the destroy runs is not deleted: not a loss.
      const findings = { ...guarded.findings, losses: guarded.findings.losses.filter((loss) => !forgotten.includes(loss.address)) };
      refusePlan(findings, optInsOf(argv), 'destroy', config);
      // A kept mount's own secrets go only with the opt-in, and only they: the others' stay with the mount.
      const ownDeletes = argv.deleteSecrets ? plan.keepShared.filter((shared) => shared.own.length > 0) : [];
      const losses = [...lossSummary(findings), ...ownDeletes.map((shared) => `  - ${describeOwnDelete(config, shared)}`)];
      if (losses.length > 0) {
        const flavour = (await client!.serverProfile())?.flavour;
        report.warn([`this destroy will, as --delete-secrets allows:`, ...losses, snapshotAdvice(flavour)].join('\n'));
      }
      const question = `${losses.length > 0 ? `${losses.length} loss${losses.length === 1 ? '' : 'es'} listed above. ` : ''}Type the site name (${config.site}) to destroy it.`;
      if (!argv.autoApprove && !(await confirm(question, config.site))) {
        report.line('Destroy cancelled: nothing was changed.');
        process.exitCode = EXIT.failure;
        return;
      }
      session.markUnfinished();
      // Before the state forgets the mount: a failure here leaves the state whole, and destroy lists again.
      const deletedOwn = new Map<string, number>();
      for (const shared of ownDeletes) {
        await report.step(`deleting this site's ${secrets(shared.own.length)} under ` + `${shared.mount}/${config.secretsPath}/`, () =>
          deleteOwnSecrets(client!, shared),
        );
        deletedOwn.set(shared.mount, shared.own.length);
      }
      let saved = guarded.saved;
      if (forgotten.length > 0) {
        await session.engineStep(`${engine.binary.kind} state rm ${forgotten.join(' ')}`, () => engine.forget(forgotten));
        // The state changed, so the checked plan is stale: plan again, and apply it only if it is
        // the checked one without what was forgotten.
        dropPlan(guarded);
        const again = await planGuarded(session, 'destroy');
        guarded = again;
        const expected = describeChanges(saved.resources.filter((change) => !forgotten.includes(change.address)));
        if (describeChanges(again.saved.resources) !== expected) {
          throw new PlanGuardError(
            `destroy refused: the plan changed after ${forgotten.join(', ')} ${forgotten.length === 1 ? 'was' : 'were'} forgotten (something else changed the state meanwhile); Vault was not changed. Run \`maas-vault destroy\` again`,
          );
        }
        saved = again.saved;
      }
      const finalPlan = saved;
      // Listed again last: a neighbour may have written into a mount while the plan ran or the prompt waited.
      const ownDeleted = [...deletedOwn].map(([mount, count]) => `${secrets(count)} under ${mount}/${config.secretsPath}/`);
      const before = ownDeleted.length > 0 ? `before that, --delete-secrets deleted this site's own ${ownDeleted.join(' and ')}` : undefined;
      await refuseNewNeighbours(client!, config, plan, before);
      await session.engineStep(`${engine.binary.kind} destroy`, () => engine.applySaved(finalPlan));
      const left = (await session.stateResources()).length;
      if (left > 0) {
        throw new Error(
          `destroy left ${left} resource${left === 1 ? '' : 's'} of site ${config.site} in the state ${session.statePath}: run \`maas-vault destroy\` again`,
        );
      }
      session.clearInterrupted();
      await session.forgetSite();
      const destroyed = plan.resources - forgotten.length;
      if (report.json) {
        report.data({
          destroyed: config.site,
          resources: destroyed,
          keptApprole: plan.keepApprole ? { mount: config.approle.mount, otherRoles: plan.keepApprole.otherRoles.length } : null,
          ...(plan.keepKv ? { keptKv: { mount: config.kv.mount } } : {}),
          keptShared: plan.keepShared.map((shared) => ({
            mount: shared.mount,
            others: Object.fromEntries(shared.others),
            ownSecrets: shared.own.length,
            ownDeleted: deletedOwn.get(shared.mount) ?? 0,
          })),
        });
        return;
      }
      report.line(`Destroyed the maas-vault stack of site ${config.site}: ${destroyed} resources removed.`);
      if (plan.keepApprole && plan.keepApprole.otherRoles.length > 0) {
        report.line(
          `Kept the auth method ${config.approle.mount}/ with the ${plan.keepApprole.otherRoles.length} roles of others under it; this site no longer manages it ` +
            '(set approle.adopt: true before applying this site again).',
        );
      } else if (plan.keepApprole) {
        report.line(`Kept the auth method ${config.approle.mount}/ (approle.adopt is set); this site no longer manages it.`);
      }
      if (plan.keepKv) report.line(`Kept the KV mount ${config.kv.mount}/ and its data (kv.adopt is set); this site no longer manages it.`);
      for (const shared of plan.keepShared) report.line(describeKeptShared(config, shared, deletedOwn.get(shared.mount)));
    } finally {
      dropPlan(guarded);
      await client?.close();
    }
  },
});

/** Named for the server that answered; both when it could not say. */
function snapshotAdvice(flavour: ServerFlavour | undefined): string {
  return `Take a snapshot first (${flavour ? `${flavourName(flavour)}, ` : ''}raft storage): ${cliCommand(flavour, 'operator raft snapshot save FILE')}.`;
}

function describeOwnDelete(config: MaasVaultConfig, shared: SharedMount): string {
  const others = shared.others.size > 0 ? `the ${secrets(shared.othersTotal)} of others in it` : 'whatever else it holds';
  return (
    `delete this site's own ${secrets(shared.own.length)} under ${shared.mount}/${config.secretsPath}/ (the ` +
    `mount and ${others} stay), and MAAS keeps no other copy`
  );
}

/** Every version and the metadata of each of this site's keys (KV-v2 DELETE metadata/KEY): nothing of others'. */
async function deleteOwnSecrets(client: VaultClient, shared: SharedMount): Promise<void> {
  for (const key of shared.own) await client.delete(`${shared.mount}/metadata/${key}`);
}

function describeKeptShared(config: MaasVaultConfig, shared: SharedMount, deleted: number | undefined): string {
  const others =
    shared.others.size > 0
      ? `${shared.partial ? 'at least ' : ''}${secrets(shared.othersTotal)} of ` + `others in it (${describeTops(shared.others)})`
      : 'not listed in full';
  const own = deleted
    ? ` Deleted this site's ${secrets(deleted)} under ${shared.mount}/${config.secretsPath}/.`
    : shared.own.length > 0
      ? `; this site's own ${secrets(shared.own.length)} under ${config.secretsPath}/ stays in it (destroy --delete-secrets ` +
        `deletes ${shared.own.length === 1 ? 'it' : 'them'}).`
      : '.';
  return `Kept the KV mount ${shared.mount}/: ${others}; this site no longer manages it${deleted ? '.' : ''}${own}`;
}

function describeChanges(changes: readonly PlannedResource[]): string {
  return changes
    .map((change) => `${change.address}:${change.actions.join('+')}`)
    .sort()
    .join('\n');
}
