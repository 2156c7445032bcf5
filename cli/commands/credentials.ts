import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { addressNote, explainTokenRefusal, openContext, selectControllers, vaultClient, wrapTtlOption, vaultToken, type GlobalArgs } from '../context.js';
import { issueIssuerCredentials } from '../../vault/issuer-credentials.js';
import { refuseUnmarkedRevocations } from '../revocations.js';
import {
  handOffCommands,
  handOffJson,
  handOffTarget,
  issuedControllerJson,
  migrateJson,
  outSummaryLine,
  printConfigureCommands,
  regionClientCertProblem,
  regionTrustJson,
  regionTrustNote,
} from '../present.js';
import { regionStates } from '../../vault/region-state.js';
import { flushStdout, reserveOutFile } from '../out-file.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import type { Reporter } from '../reporter.js';
import { issueEachCredential, revokePreviousEach, revokePreviousSecretIds } from '../../vault/credentials.js';
import { isControllerNotStarted } from '../../vault/each-controller.js';
import { namesOrNone, readTokenLife, tokenEndedReason, VaultTokenEndedError } from '../../vault/token-life.js';
import { withLockTimeout } from './engine-args.js';
import { requireSecretIdGrants } from './admin-policy-gate.js';
import { lockSite, siteLockLostError, siteLockSeconds } from '../site-lock.js';
import { refuseAnotherSitesVault } from './site-record-gate.js';
import { serverCli } from '../../vault/server-flavour.js';

interface CredentialsArgs extends GlobalArgs {
  controller?: string[];
  wrapTtl?: string;
  out?: string;
  revokePrevious: boolean;
  autoApprove: boolean;
  issuer: boolean;
  lockTimeout?: string;
}

export const credentialsCommand = defineCommand<CredentialsArgs>({
  ...COMMAND_TEXT.credentials,
  builder: (yargs: Argv<GlobalArgs>) =>
    withLockTimeout(yargs)
      .option('controller', { type: 'string', array: true, describe: 'only these controllers (repeatable; default: all)' })
      .option('wrap-ttl', { type: 'string', describe: 'wrapping TTL, e.g. 5m (default: wrapTtl of the config)' })
      .option('out', {
        type: 'string',
        describe: 'write the JSON result to this file (new, or a regular file of yours), mode 0600; stdout then gets a summary without wrapping tokens',
      })
      .option('revoke-previous', {
        type: 'boolean',
        default: false,
        describe:
          "destroy each role's older secret IDs once the new one has been delivered: a region still running on an old one fails its next login " +
          '(within tokenTtl) until it is configured with the new one and restarted. For a rotation without that outage, use `maas-vault rotate`',
      })
      .option('auto-approve', { type: 'boolean', default: false, describe: 'with --revoke-previous: destroy without asking (required when not on a terminal)' })
      .option('issuer', {
        type: 'boolean',
        default: false,
        describe: "instead, a wrapped secret ID for the CI issuer's role (issuer.enabled), with the admin's token",
      })

      .example('$0 credentials --controller region-2 --json', 'one fresh credential as JSON')
      .example('$0 credentials --out creds.json --revoke-previous', 'all controllers, older secret IDs destroyed (running regions are cut off)'),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const wrapTtl = wrapTtlOption(argv.wrapTtl, config);
    // Asked before anything is issued, so a "no" leaves Vault exactly as it was.
    if (argv.revokePrevious && !argv.autoApprove) {
      requireTerminalOrFlag('credentials --revoke-previous');
      const whose = argv.issuer ? "the CI issuer role's" : "each controller role's";
      const question = `After issuing, destroy ${whose} older secret IDs? A region still running on one fails its next login (within ${config.tokenTtl}).`;
      if (!(await confirm(question))) {
        report.line('Credentials cancelled: nothing was issued or destroyed.');
        process.exitCode = EXIT.failure;
        return;
      }
    }
    const lockSeconds = siteLockSeconds(argv.lockTimeout);
    if (argv.issuer) {
      if (argv.controller?.length) throw new UsageError('--issuer and --controller: give one of them (the issuer has its own role)');
      if (!config.issuer.enabled) throw new UsageError(`--issuer: ${config.source} has no CI issuer: set issuer.enabled: true and apply first`);
      const issuerToken = vaultToken(`issue a secret ID for the CI issuer of site ${config.site} (\`maas-vault policy admin\` prints such a policy)`);
      const issuerOut = argv.out ? reserveOutFile(argv.out) : undefined;
      const release = await lockSite(config, 'credentials --issuer', lockSeconds).catch((error: unknown) => {
        issuerOut?.discard();
        throw error;
      });
      const client = vaultClient(config, issuerToken);
      try {
        await refuseAnotherSitesVault(client, config, 'credentials --issuer');
        if (release.lost.aborted) throw siteLockLostError('credentials --issuer', release.lost, 'Nothing was issued: run it again.');
        const issuer = await issueIssuerCredentials(client, config, { wrapTtl }).catch((error: unknown) => explainTokenRefusal(client, error));
        const result = {
          issuer: {
            role: issuer.role,
            roleId: issuer.roleId,
            wrappedToken: issuer.wrappedToken,
            wrapTtl,
            expiresAt: issuer.expiresAt,
            secretIdAccessor: issuer.secretIdAccessor,
          },
        };
        issuerOut?.commit(`${JSON.stringify(result, null, 2)}\n`);
        if (issuerOut) {
          const { wrappedToken: _, ...summary } = result.issuer;
          if (report.json) report.data({ out: issuerOut.path, issuer: summary });
          else
            report.line(
              `Wrote ${issuerOut.path} (mode 0600): the wrapped secret ID of CI issuer role ${issuer.role} (accessor ${issuer.secretIdAccessor}), usable once until ${issuer.expiresAt}.`,
            );
        } else if (report.json) report.data(result);
        else {
          report.line(`CI issuer role ${issuer.role}, role ID ${issuer.roleId}`);
          report.line(`Wrapped secret ID (works once, until ${issuer.expiresAt}): ${issuer.wrappedToken}`);
          // The server answered, so the CI lines name its CLI: an OpenBao runner often has no `vault`.
          const cli = serverCli((await client.serverProfile())?.flavour);
          report.line(
            `In CI: unwrap it once (\`VAULT_TOKEN=<wrapped secret ID> ${cli} unwrap -field=secret_id\`), ` +
              'keep the secret ID in the CI secret store, and log in with',
          );
          report.line(`  ${cli} write -field=token auth/approle/login role_id=${issuer.roleId} secret_id=$ISSUER_SECRET_ID`);
        }
        await flushStdout();
        if (argv.revokePrevious) {
          if (release.lost.aborted) {
            throw siteLockLostError(
              'credentials --issuer',
              release.lost,
              'The new secret ID was delivered above; no older one was destroyed: `maas-vault credentials --issuer --revoke-previous` issues another and destroys the rest.',
            );
          }
          const revoked = await revokePreviousSecretIds(client, [issuer]);
          report.note(`destroyed ${revoked} older secret ID${revoked === 1 ? '' : 's'} of the issuer role`);
        }
      } finally {
        issuerOut?.discard();
        await client.close();
        release();
      }
      return;
    }
    const controllers = selectControllers(config, argv.controller);
    const token = vaultToken(`issue wrapped secret IDs for site ${config.site} (\`maas-vault policy issuer\` prints such a policy)`);
    // Checked before Vault is called: credentials that cannot be delivered must not be issued.
    const out = argv.out ? reserveOutFile(argv.out) : undefined;
    const release = await lockSite(config, 'credentials', lockSeconds).catch((error: unknown) => {
      out?.discard();
      throw error;
    });
    try {
      // Read under the lock: a revoke that recorded its controllers before this run took the lock
      // is seen; one that records later waits for this run and then destroys what it issued.
      await refuseUnmarkedRevocations(config, 'credentials');
    } catch (error) {
      out?.discard();
      release();
      throw error;
    }
    const client = vaultClient(config, token);
    try {
      await refuseAnotherSitesVault(client, config, 'credentials');
      await requireSecretIdGrants(client, config, controllers, 'credentials');
      const life = await readTokenLife(client);
      const outcome = await report.step(`issuing ${controllers.length} wrapped secret IDs`, () =>
        issueEachCredential(client, config, { controllers, wrapTtl, stop: release.lost }),
      );
      const issued = outcome.issued;
      // A token that ends partway is said as such, and what was issued is still delivered: those
      // secret IDs are live, and the next run needs to know what is left to do.
      const ended = outcome.failed.length > 0 ? await tokenEndedReason(client, life, outcome.failed[0].error) : undefined;
      if (outcome.failed.length > 0 && !ended) await explainTokenRefusal(client, outcome.failed[0].error);
      const target = handOffTarget(config);
      const { loggedIn, migrated } = await regionStates(
        client,
        issued.map((record) => record.roleId),
        target.mount,
        target.secretsPath,
      );
      const forms = issued.map((record, index) => handOffCommands(target, record.roleId, record.wrappedToken, loggedIn[index]));
      const result = {
        controllers: issued.map((record, index) => issuedControllerJson(record, handOffJson(target, loggedIn[index], forms[index]))),
        ...migrateJson(migrated),
        ...regionTrustJson(config),
      };
      const caNote = regionTrustNote(config);
      if (caNote) report.note(caNote);
      const clientCertProblem = await regionClientCertProblem(config);
      if (clientCertProblem) report.warn(clientCertProblem);
      if (client.retries > 0)
        report.warn(
          `sent ${client.retries} requests again: the Vault cluster had no active node for a moment (a leader change) or rejected a write that raced another`,
        );
      out?.commit(`${JSON.stringify(result, null, 2)}\n`);
      // With --out, stdout (often a CI job's log) never carries a wrapping token: they are in the file only.
      if (out) {
        printOutSummary(report, out.path, issued);
        const note = addressNote(config);
        if (note) report.note(note);
      } else if (report.json) report.data(result);
      else {
        printConfigureCommands(
          report,
          issued.map((record, index) => ({ name: record.name, ...forms[index], configured: loggedIn[index], expiresAt: record.expiresAt })),
          { wrapTtl, addressNote: addressNote(config), target, migrated },
        );
      }
      // Older secret IDs go only once the new credentials are safely out: file in place, stdout flushed.
      await flushStdout();
      if (ended || outcome.notStarted.length > 0) {
        const notIssued = controllers.filter((name) => !issued.some((record) => record.name === name));
        const account =
          `Issued ${issued.length} (delivered above${out ? ` and in ${out.path}` : ''}): ${namesOrNone(issued.map(({ name }) => name))}. ` +
          `Not issued: ${namesOrNone(notIssued)}.${argv.revokePrevious ? ' No older secret ID was destroyed.' : ''} ` +
          `For the rest: \`maas-vault credentials ${notIssued.map((name) => `--controller ${name}`).join(' ')}${argv.revokePrevious ? ' --revoke-previous' : ''}\`.`;
        throw ended
          ? new VaultTokenEndedError(client.address, ended, account, (await client.serverProfile())?.flavour)
          : siteLockLostError('credentials', release.lost, account);
      }
      if (argv.revokePrevious) {
        const again = (names: readonly string[]) =>
          `\`maas-vault credentials ${names.map((name) => `--controller ${name}`).join(' ')} --revoke-previous\` and configure those regions with what it prints ` +
          '(it destroys every other secret ID of theirs, the ones delivered above included)';
        if (release.lost.aborted) {
          throw siteLockLostError(
            'credentials',
            release.lost,
            `All ${issued.length} new credentials were delivered above. No older secret ID was destroyed: they keep working beside the new ones. ` +
              `To cut them off, run ${again(issued.map(({ name }) => name))}.`,
          );
        }
        const settled = await report.step('destroying older secret IDs', () => revokePreviousEach(client, issued, release.lost));
        const revoked = settled.reduce((sum, outcome) => sum + (outcome.status === 'fulfilled' ? outcome.value : 0), 0);
        const failures = settled.flatMap((outcome, index) =>
          outcome.status === 'rejected' ? [{ name: issued[index].name, error: outcome.reason as unknown }] : [],
        );
        if (failures.length > 0) {
          const done = issued.filter((_, index) => settled[index].status === 'fulfilled').map(({ name }) => name);
          const notDone = failures.map(({ name }) => name);
          const account =
            `All ${issued.length} new credentials were delivered above. Older secret IDs destroyed (${revoked}) for: ${namesOrNone(done)}. ` +
            `Not destroyed, still live, for: ${namesOrNone(notDone)}.`;
          if (failures.some(({ error }) => isControllerNotStarted(error))) {
            throw siteLockLostError(
              'credentials',
              release.lost,
              `${account} Their older secret IDs keep working beside the new ones; to cut them off, run ${again(notDone)}.`,
            );
          }
          const reason = await tokenEndedReason(client, life, failures[0].error);
          if (reason) {
            throw new VaultTokenEndedError(
              client.address,
              reason,
              `${account} Their older secret IDs keep working beside the new ones; to cut them off, run ${again(notDone)}.`,
              (await client.serverProfile())?.flavour,
            );
          }
          report.warn(account);
          await explainTokenRefusal(client, failures[0].error);
        }
        report.note(`destroyed ${revoked} older secret ID${revoked === 1 ? '' : 's'}`);
      }
    } finally {
      out?.discard();
      await client.close();
      release();
    }
  },
});

/** What `credentials --out` says on stdout: which controllers got a wrapped secret ID, its accessor and expiry; no wrapping token, no command. */
function printOutSummary(
  report: Reporter,
  path: string,
  issued: ReadonlyArray<{ name: string; role: string; secretIdAccessor: string; wrapTtl: string; expiresAt: string }>,
): void {
  const controllers = issued.map(({ name, role, secretIdAccessor, wrapTtl, expiresAt }) => ({ name, role, secretIdAccessor, wrapTtl, expiresAt }));
  if (report.json) {
    report.data({ out: path, controllers });
    return;
  }
  report.line(
    `Wrote ${path} (mode 0600): ${controllers.length} wrapped secret ID${controllers.length === 1 ? '' : 's'}, each usable once; its configure commands are in the file.`,
  );
  for (const controller of controllers) report.line(outSummaryLine(controller));
}
