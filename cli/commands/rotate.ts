import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { addressNote, openContext, selectControllers, vaultClient, wrapTtlOption, vaultToken, type GlobalArgs } from '../context.js';
import { refuseUnmarkedRevocations } from '../revocations.js';
import { flushStdout, reserveOutFile } from '../out-file.js';
import { issuedControllerJson, outSummaryLine, regionTrustNote } from '../present.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import { EXIT, UsageError } from '../exit-codes.js';
import type { Reporter } from '../reporter.js';
import type { MaasVaultConfig } from '../../config/index.js';
import { beginRotation, destroyOlderSecretIds, planFinish, type RotationStarted } from '../../vault/rotation.js';
import {
  loadRotationRecord,
  rotationManaged,
  type RotatedCredential,
  type RotationRecord,
  rotationRecordLocation,
  saveRotationRecord,
} from '../../vault/rotation-record.js';
import { roleName } from '../../config/index.js';
import { openStackSession } from './stack-session.js';
import { withEngine, withLockTimeout } from './engine-args.js';
import { requireSecretIdGrants } from './admin-policy-gate.js';
import { namesOrNone, readTokenLife, tokenEndedReason, VaultTokenEndedError } from '../../vault/token-life.js';
import { lockSite, siteLockLostError, siteLockSeconds, type SiteLock } from '../site-lock.js';
import { eachController, isControllerNotStarted, notStartedOf } from '../../vault/each-controller.js';
import { refuseAnotherSitesVault } from './site-record-gate.js';

interface RotateArgs extends GlobalArgs {
  engine?: string;
  controller?: string[];
  finish: boolean;
  wrapTtl?: string;
  out?: string;
  autoApprove: boolean;
  lockTimeout?: string;
}

export const rotateCommand = defineCommand<RotateArgs>({
  ...COMMAND_TEXT.rotate,
  builder: (yargs: Argv<GlobalArgs>) =>
    withEngine(withLockTimeout(yargs))
      .option('controller', { type: 'string', array: true, describe: 'only these controllers (repeatable; default: all, or with --finish all pending)' })
      .option('finish', {
        type: 'boolean',
        default: false,
        describe: 'destroy the secret IDs that were live before `rotate` began (never the new one, nor any issued since)',
      })
      .option('wrap-ttl', { type: 'string', describe: 'wrapping TTL of the new secret IDs, e.g. 1h (default: wrapTtl of the config)' })
      .option('out', {
        type: 'string',
        describe:
          'write the JSON result of `rotate` to this file (new, or a regular file of yours), mode 0600, checked before Vault is called; ' +
          'stdout then gets a summary without wrapping tokens',
      })
      .option('auto-approve', { type: 'boolean', default: false, describe: 'with --finish: destroy without asking (required when not on a terminal)' })
      .example('$0 rotate --controller region-1', 'step 1: a new secret ID for region-1 and the commands to run on it')
      .example('$0 rotate --finish --controller region-1', 'step 2, once region-1 was configured and restarted: destroy its old secret ID'),
  handler: async (argv) => {
    if (argv.finish && argv.out !== undefined) throw new UsageError('--out: only `rotate` (not --finish) hands out secret IDs to write: drop --out');
    if (argv.finish) await finish(argv);
    else await begin(argv);
  },
});

async function begin(argv: RotateArgs): Promise<void> {
  const { config, report } = openContext(argv);
  const wrapTtl = wrapTtlOption(argv.wrapTtl, config);
  // Revoked controllers get no secret ID, as with credentials: refused by name, left out of "all".
  const controllers = selectControllers(config, argv.controller);
  const lockSeconds = siteLockSeconds(argv.lockTimeout);
  const token = vaultToken(`issue wrapped secret IDs for site ${config.site} (\`maas-vault policy issuer\` prints such a policy)`);
  // Checked before Vault is called: secret IDs that cannot be delivered must not be issued.
  const out = argv.out ? reserveOutFile(argv.out) : undefined;
  // The record is read, extended and written under the site's lock: a second rotate waits, then
  // continues this one's rotation (its new secret ID kept as issued, never listed as previous).
  const release = await lockSite(config, 'rotate', lockSeconds).catch((error: unknown) => {
    out?.discard();
    throw error;
  });
  let record: RotationRecord;
  try {
    await refuseUnmarkedRevocations(config, 'rotate');
    record = await loadRotationRecord(config);
  } catch (error) {
    out?.discard();
    release();
    throw error;
  }
  const client = vaultClient(config, token);
  try {
    await refuseAnotherSitesVault(client, config, 'rotate');
    await requireSecretIdGrants(client, config, controllers, 'rotate');
    const life = await readTokenLife(client);
    const result = await report.step(`issuing ${controllers.length} new wrapped secret IDs`, () =>
      beginRotation(client, config, record, { controllers, wrapTtl, stop: release.lost }),
    );
    const ended = result.failed.length > 0 ? await tokenEndedReason(client, life, result.failed[0].error) : undefined;
    const failure = (error: Error) => (ended ? `Vault stopped accepting the token: ${ended}` : error.message);
    // Recorded before anything is printed: a rotation whose tokens were shown is always finishable.
    // Also after a lost lock: the next holder is fenced off until this run releases (site-lock.ts).
    await saveRotationRecord(config, result.record);
    const data = {
      controllers: result.started.map((started) =>
        issuedControllerJson(started, {
          previousSecretIdAccessors: started.previousAccessors,
          continued: started.continued,
          command: started.command,
          restartCommands: started.restart,
        }),
      ),
      failed: [
        ...result.failed.map(({ name, error }) => ({ name, error: failure(error) })),
        ...result.notStarted.map((name) => ({ name, error: "not issued: rotate lost the site's lock before this controller's turn" })),
      ],
      finishCommand: finishCommand(config, result.started),
    };
    const caNote = regionTrustNote(config);
    if (caNote) report.note(caNote);
    out?.commit(`${JSON.stringify(data, null, 2)}\n`);
    // With --out, stdout (often a CI job's log) never carries a wrapping token: they are in the file only.
    if (out) printOutSummary(report, out.path, data);
    else if (report.json) report.data(data);
    else printRotation(report, config, result.started, wrapTtl);
    await flushStdout();
    if (ended || result.notStarted.length > 0) {
      const notStarted = controllers.filter((name) => !result.started.some((started) => started.name === name));
      const account =
        `New secret IDs issued and recorded (${out ? `in ${out.path}` : 'printed above'}) ` +
        `for: ${namesOrNone(result.started.map(({ name }) => name))}. Not issued: ${namesOrNone(notStarted)}. ` +
        `For the rest: \`maas-vault rotate ${notStarted.map((name) => `--controller ${name}`).join(' ')}\`.`;
      report.warn(
        (ended
          ? new VaultTokenEndedError(client.address, ended, account, (await client.serverProfile())?.flavour)
          : siteLockLostError('rotate', release.lost, account)
        ).message,
      );
      process.exitCode = EXIT.failure;
    } else if (result.failed.length > 0) {
      for (const { name, error } of result.failed) report.warn(`${name}: no new secret ID: ${error.message}`);
      process.exitCode = Math.max(...result.failed.map(({ error }) => exitCodeFor(error)));
    }
  } finally {
    out?.discard();
    await client.close();
    release();
  }
}

function printRotation(report: Reporter, config: MaasVaultConfig, started: readonly RotationStarted[], wrapTtl: string): void {
  if (started.length === 0) return;
  report.line(`New secret IDs issued; the old ones keep working until \`rotate --finish\` (recorded in ${rotationRecordLocation(config)}).`);
  report.line();
  report.line(`On each region controller, run its command (the wrapping token works once, within ${wrapTtl}), then restart the region:`);
  report.line();
  for (const controller of started) {
    const older = controller.previousAccessors.length;
    report.line(
      `# ${controller.name} (token expires ${controller.expiresAt}; ${older} older secret ID${older === 1 ? '' : 's'} to destroy at --finish${controller.continued ? ', kept from the rotation already under way' : ''})`,
    );
    report.line(controller.command);
    report.line(`${controller.restart.snap}    # snap install`);
    report.line(`${controller.restart.deb}    # deb install`);
    report.line();
  }
  const note = addressNote(config);
  if (note) {
    report.line(note);
    report.line();
  }
  report.line('Then, once every one of them runs on its new secret ID:');
  report.line(finishCommand(config, started));
}

interface OutSummaryController {
  name: string;
  role: string;
  secretIdAccessor: string;
  previousSecretIdAccessors: string[];
  wrapTtl: string;
  expiresAt: string;
}

/** What `rotate --out` says on stdout: controllers, accessors, expiry, the file and the finish command; no wrapping token, no configure command. */
function printOutSummary(report: Reporter, path: string, data: { controllers: OutSummaryController[]; failed: unknown[]; finishCommand: string }): void {
  const controllers = data.controllers.map(({ name, role, secretIdAccessor, previousSecretIdAccessors, wrapTtl, expiresAt }): OutSummaryController => ({
    name,
    role,
    secretIdAccessor,
    previousSecretIdAccessors,
    wrapTtl,
    expiresAt,
  }));
  if (report.json) {
    report.data({ out: path, controllers, failed: data.failed, finishCommand: data.finishCommand });
    return;
  }
  if (controllers.length === 0) return;
  const count = `${controllers.length} new wrapped secret ID${controllers.length === 1 ? '' : 's'}`;
  report.line(`Wrote ${path} (mode 0600): ${count}, each usable once; the commands to run on each region are in the file.`);
  for (const controller of controllers) report.line(outSummaryLine(controller));
  report.line('Then, once every one of them runs on its new secret ID:');
  report.line(data.finishCommand);
}

function finishCommand(config: MaasVaultConfig, started: readonly RotationStarted[]): string {
  const names = started.map(({ name }) => `--controller ${name}`).join(' ');
  return `maas-vault rotate --finish ${names} --config ${config.source}`;
}

async function finish(argv: RotateArgs): Promise<void> {
  if (!argv.autoApprove) requireTerminalOrFlag('rotate --finish');
  const { config, report } = openContext(argv);
  const lockSeconds = siteLockSeconds(argv.lockTimeout);
  // Held from reading the record to writing it back: a rotate meanwhile would add a secret ID the
  // region may be configured with next, which the plan made here would not know about.
  const release = await lockSite(config, 'rotate --finish', lockSeconds);
  let handedOver: string[];
  try {
    handedOver = await finishLocked(argv, config, report, release);
  } finally {
    release();
  }
  if (handedOver.length > 0) await forgetStackSecretIds(argv, report, handedOver);
}

/**
 * The stack no longer declares the secret IDs just destroyed (their controllers' credentials are
 * managed by rotation now): a refresh-only apply drops them and their wrapping tokens from the state
 * and outputs, without a write to Vault, so the plan is empty and `output` prints nothing stale.
 * The engine takes the site's lock itself (the stack session), hence after --finish released it.
 */
async function forgetStackSecretIds(argv: RotateArgs, report: Reporter, controllers: readonly string[]): Promise<void> {
  const names = controllers.join(', ');
  try {
    const session = await openStackSession(argv, true, 'apply');
    try {
      await session.engineStep(`${session.engine.binary.kind} apply -refresh-only (the stack stops managing the secret ID of ${names})`, () =>
        session.engine.refreshOnly(),
      );
    } finally {
      session.release();
      await session.client?.close();
    }
  } catch (error) {
    report.warn(
      `the rotation finished, but the stack's state still lists the destroyed secret ID of ${names}: ${(error as Error).message}. ` +
        '`maas-vault apply` drops it from the state (it changes nothing in Vault and issues no new secret ID).',
    );
    process.exitCode = EXIT.failure;
  }
}

/** Finishes what it can; returns the controllers whose secret ID the stack has just stopped managing. */
async function finishLocked(argv: RotateArgs, config: MaasVaultConfig, report: Reporter, lock: SiteLock): Promise<string[]> {
  const record = await loadRotationRecord(config);
  const pendingNames = Object.keys(record.controllers);
  const requested = argv.controller && argv.controller.length > 0 ? selectControllers(config, argv.controller) : pendingNames;
  const pending = requested.filter((name) => record.controllers[name] !== undefined);
  const idle = requested.filter((name) => record.controllers[name] === undefined);
  if (pending.length === 0) {
    const whom = idle.length > 0 ? ` for ${idle.join(', ')}` : '';
    if (report.json) report.data({ finished: [], blocked: [], nothingToFinish: idle });
    else report.line(`Nothing to finish: no rotation was begun${whom}. \`maas-vault rotate --controller NAME\` begins one.`);
    return [];
  }
  for (const name of idle) report.note(`${name}: no rotation was begun, nothing to finish`);

  const client = vaultClient(config, vaultToken(`list and destroy secret IDs of site ${config.site}`));
  try {
    await refuseAnotherSitesVault(client, config, 'rotate --finish');
    const life = await readTokenLife(client);
    const plans = await report
      .step('checking the pending rotations', () => planFinish(client, config, record, pending))
      .catch(async (error: unknown) => {
        const reason = await tokenEndedReason(client, life, error);
        if (reason)
          throw new VaultTokenEndedError(
            client.address,
            reason,
            'Nothing was destroyed; every rotation stays pending.',
            (await client.serverProfile())?.flavour,
          );
        throw error;
      });
    const ready = plans.filter((plan) => plan.blocked === undefined);
    const blocked = plans.filter((plan) => plan.blocked !== undefined);
    for (const plan of blocked) report.warn(`${plan.name}: not finished: ${plan.blocked}`);
    const total = ready.reduce((sum, plan) => sum + plan.destroy.length, 0);
    if (ready.length > 0 && total > 0 && !argv.autoApprove) {
      for (const plan of ready)
        report.line(`${plan.name}: ${plan.destroy.length} older secret ID${plan.destroy.length === 1 ? '' : 's'} of role ${plan.role} to destroy`);
      const question =
        `Destroy them? A region still running on an old secret ID fails its next login (within ${config.tokenTtl}): ` +
        'answer yes only once each of these regions ran `configure --yes` with its new token and was restarted.';
      if (!(await confirm(question))) {
        report.line('Finish cancelled: nothing was destroyed; the rotation stays pending.');
        process.exitCode = EXIT.failure;
        return [];
      }
    }
    const settled = await report.step(`destroying ${total} older secret IDs`, () =>
      eachController(
        ready.map(({ name }) => name),
        lock.lost,
        (_, beforeFirstWrite, index) => {
          beforeFirstWrite();
          return destroyOlderSecretIds(client, ready[index]);
        },
      ),
    );
    // Only a controller whose older secret IDs are all gone is finished; the others stay pending,
    // and --finish again destroys what is left of them (also those not begun: the lock was lost).
    const notBegun = notStartedOf(
      ready.map(({ name }) => name),
      settled,
    );
    const failures = ready.flatMap((plan, index) => {
      const outcome = settled[index];
      return outcome.status === 'rejected' && !isControllerNotStarted(outcome.reason) ? [{ plan, error: outcome.reason as unknown }] : [];
    });
    const destroyed = settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : 0));
    const finished = ready.filter((_, index) => settled[index].status === 'fulfilled');
    const left = { ...record.controllers };
    for (const plan of finished) delete left[plan.name];
    // Where the stack issues secret IDs, the one it issued was among those destroyed: from now on
    // the region's credential is the rotated one, and the stack must not issue another.
    const before = rotationManaged(record, (name) => roleName(config, name));
    const rotated: Record<string, RotatedCredential> = { ...record.rotated };
    const finishedAt = new Date().toISOString();
    if (config.stackSecretIds) {
      for (const plan of finished) rotated[plan.name] = { role: plan.role, finishedAt, secretIdAccessors: record.controllers[plan.name].issuedAccessors };
    }
    await saveRotationRecord(config, { ...record, controllers: left, ...(Object.keys(rotated).length > 0 ? { rotated } : {}) });
    const handedOver = config.stackSecretIds ? finished.map(({ name }) => name).filter((name) => !before.has(name)) : [];
    if (notBegun.length > 0) {
      const pendingNames = ready.filter((plan) => !finished.includes(plan)).map(({ name }) => name);
      throw siteLockLostError(
        'rotate --finish',
        lock.lost,
        `Finished (older secret IDs destroyed): ${namesOrNone(finished.map(({ name }) => name))}. Not finished, still pending: ${namesOrNone(pendingNames)}. ` +
          `For the rest: \`maas-vault rotate --finish ${pendingNames.map((name) => `--controller ${name}`).join(' ')} --config ${config.source}\`` +
          (handedOver.length > 0
            ? `; then \`maas-vault apply\` once: the stack's state still lists the destroyed secret ID of ${handedOver.join(', ')} (it changes nothing in Vault).`
            : '.'),
      );
    }
    if (failures.length > 0) {
      const reason = await tokenEndedReason(client, life, failures[0].error);
      const account = `Finished (older secret IDs destroyed): ${namesOrNone(finished.map(({ name }) => name))}. Not finished, still pending (run --finish again): ${namesOrNone(failures.map(({ plan }) => plan.name))}.`;
      if (reason) throw new VaultTokenEndedError(client.address, reason, account, (await client.serverProfile())?.flavour);
      report.warn(account);
      if (handedOver.length > 0)
        report.warn(
          `run \`maas-vault apply\` once: the stack's state still lists the destroyed secret ID of ${handedOver.join(', ')} (it changes nothing in Vault)`,
        );
      throw failures[0].error;
    }
    if (report.json) {
      report.data({
        finished: ready.map((plan, index) => ({
          name: plan.name,
          role: plan.role,
          destroyedSecretIds: destroyed[index],
          destroyedSecretIdAccessors: plan.destroy,
          alreadyGone: plan.alreadyGone,
        })),
        blocked: blocked.map((plan) => ({ name: plan.name, reason: plan.blocked })),
        nothingToFinish: idle,
      });
    } else {
      ready.forEach((plan, index) =>
        report.line(
          `${plan.name}: rotation finished: destroyed ${destroyed[index]} older secret ID${destroyed[index] === 1 ? '' : 's'}; it logs in with its new one only`,
        ),
      );
    }
    if (blocked.length > 0) process.exitCode = EXIT.failure;
    return handedOver;
  } finally {
    await client.close();
  }
}

function exitCodeFor(error: Error): number {
  const code = (error as { exitCode?: number }).exitCode;
  return code === 3 ? 3 : EXIT.failure;
}
