import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { explainTokenRefusal, openContext, selectControllers, vaultClient, vaultToken, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import { controllerRoles, revokeController } from '../../vault/credentials.js';
import { endRoleTokens, TokenSweepRefused, type EndedTokens } from '../../vault/controller-tokens.js';
import { recordRevocations, revocationRecordPath } from '../revocations.js';
import { withLockTimeout } from './engine-args.js';
import { isUnwritable, lockSite, siteLockSeconds } from '../site-lock.js';
import type { MaasVaultConfig } from '../../config/index.js';
import { requirePgConnection } from '../../engine/pg-connection.js';
import { stateSchemaName } from '../../stacks/state-schema.js';
import { namesOrNone, readTokenLife, tokenEndedReason, VaultTokenEndedError } from '../../vault/token-life.js';
import { refuseAnotherSitesVault } from './site-record-gate.js';

interface RevokeArgs extends GlobalArgs {
  controller: string[];
  autoApprove: boolean;
  lockTimeout?: string;
}

/** Listings after the first destroy when the site's lock cannot be had: each one finds nothing left, or destroys what appeared. */
const UNLOCKED_SWEEPS = 5;

export const revokeCommand = defineCommand<RevokeArgs>({
  ...COMMAND_TEXT.revoke,
  builder: (yargs: Argv<GlobalArgs>) =>
    withLockTimeout(yargs)
      .option('controller', { type: 'string', array: true, demandOption: true, describe: 'the controller(s) to cut off' })
      .option('auto-approve', { type: 'boolean', default: false, describe: 'destroy without asking (required when not on a terminal)' })
      .example('VAULT_TOKEN=... $0 revoke --controller region-2', 'region-2 can no longer log in; then add "revoked": true to it in the config'),
  handler: async (argv) => {
    const { config, report } = openContext(argv, { workDirAccess: 'read' });
    const controllers = selectControllers(config, argv.controller, { includeRevoked: true });
    const lockSeconds = siteLockSeconds(argv.lockTimeout);
    // Checked before anything is destroyed: the lock is taken afterwards (see sweepAfter).
    if (config.state.backend === 'pg') requirePgConnection(process.env);
    // Break-glass cannot be undone: a running region is cut off at its next login.
    if (!argv.autoApprove) {
      requireTerminalOrFlag('revoke');
      const question = `Destroy every secret ID of ${controllers.join(', ')} and end their live tokens? The region${controllers.length === 1 ? '' : 's'} stop${controllers.length === 1 ? 's' : ''} at the next Vault request.`;
      if (!(await confirm(question))) {
        report.line('Revoke cancelled: nothing was destroyed.');
        process.exitCode = EXIT.failure;
        return;
      }
    }
    const client = vaultClient(config, vaultToken(`destroy secret IDs of site ${config.site}`));
    try {
      // Never another Vault's same-named site (an exported VAULT_ADDR): before anything is recorded or destroyed.
      await refuseAnotherSitesVault(client, config, 'revoke');
      const life = await readTokenLife(client);
      const unmarked = controllers.filter((name) => !config.controllers.find((controller) => controller.name === name)?.revoked);
      // Recorded first: a credentials, rotate or apply that takes the lock from now on (of this
      // work directory; of any machine for a pg site) refuses the controller. Break-glass does not
      // wait for the lock to destroy, nor stop where the record cannot be written.
      let notRecorded: string[] = [];
      const record = async () => {
        notRecorded = (await recordRevocations(config, unmarked)).notRecorded;
      };
      // A token Vault refuses from the start destroys nothing: then nothing is recorded either
      // (it is recorded after the first destroy, should the token work all the same).
      if (life?.known !== false) await record();
      const destroy = async () => {
        const settled = await Promise.allSettled(controllers.map((name) => revokeController(client, config, name)));
        if (settled.some((outcome) => outcome.status === 'rejected')) throw new RevokeIncomplete(controllers, settled);
        return settled.map((outcome) => (outcome as PromiseFulfilledResult<number>).value);
      };
      const explain = async (error: unknown): Promise<never> => {
        if (!(error instanceof RevokeIncomplete)) return explainTokenRefusal(client, error);
        const reason = await tokenEndedReason(client, life, error.first);
        if (!reason) return explainTokenRefusal(client, error.first);
        const recorded =
          unmarked.length === 0
            ? ''
            : notRecorded.length > 0
              ? `The revocation could not be recorded in ${notRecorded.join(', nor in ')}. `
              : `The revocation is recorded in ${revocationRecordPath(config)}. `;
        throw new VaultTokenEndedError(
          client.address,
          reason,
          `${recorded}Every secret ID destroyed for: ${namesOrNone(error.done)}. Not finished, may still log in: ${namesOrNone(error.notDone)}. ` +
            'Live tokens were not ended. Run this revoke again: it destroys what is left.',
          (await client.serverProfile())?.flavour,
        );
      };
      const counts = await report.step('destroying secret IDs', destroy).catch(explain);
      if (life?.known === false) await record();
      // A run that read the record before it was written may still be issuing: once it lets go of
      // the lock, one more listing under the lock catches whatever it issued.
      const settled = await report.step('destroying what runs alongside issued', () => sweepAfter(config, controllers, lockSeconds, destroy)).catch(explain);
      settled.counts.forEach((count, index) => (counts[index] += count));
      const roles = controllers.flatMap((name) => controllerRoles(config, name));
      // Secret IDs first: once they are gone no new token can appear while the old ones are swept.
      const sweep = await report.step('ending their live tokens', () =>
        endRoleTokens(client, roles).then(
          (ended): EndedTokens | TokenSweepRefused => ended,
          (error) => {
            if (error instanceof TokenSweepRefused) return error;
            throw error;
          },
        ),
      );
      const tokensOf = (name: string) =>
        sweep instanceof TokenSweepRefused ? undefined : controllerRoles(config, name).reduce((sum, role) => sum + sweep.ended[role], 0);
      if (report.json) {
        report.data({
          controllers: controllers.map((name, index) => ({ name, destroyedSecretIds: counts[index], endedTokens: tokensOf(name) ?? null })),
          tokens: sweep instanceof TokenSweepRefused ? { refused: sweep.message } : { examined: sweep.examined },
          addToConfig: unmarked,
          ...(notRecorded.length > 0 ? { notRecorded } : {}),
          ...(settled.unsettled ? { unsettled: settled.unsettled } : {}),
        });
      } else {
        controllers.forEach((name, index) => {
          const tokens = tokensOf(name);
          // Without the lock another run may still issue one after the last listing (said below).
          const outcome = settled.unsettled ? 'none is left as of now' : 'it cannot log in again';
          report.line(
            `${name}: destroyed ${counts[index]} secret ID${counts[index] === 1 ? '' : 's'}${tokens === undefined ? '' : `, ended ${tokens} live token${tokens === 1 ? '' : 's'}`}; ${outcome}`,
          );
        });
        if (sweep instanceof TokenSweepRefused) {
          const tokenLife = config.tokenMaxTtl ?? `the mount's max TTL (tokenMaxTtl is not set; each renewal adds up to ${config.tokenTtl})`;
          report.warn(
            `could not end the live tokens: ${sweep.message}. Finding a controller's tokens needs list and sudo on auth/token/accessors and update on ` +
              'auth/token/lookup-accessor and auth/token/revoke-accessor (an operator or root token; the admin policy does not grant them, since they reach every site). ' +
              `Run the same command again with such a token: it ends only tokens whose login metadata names ${roles.join(', ')}. ` +
              `Until then they stay valid until they expire: at most ${tokenLife}.`,
          );
        }
      }
      const where = unmarked.map((name) => `controllers[${config.controllers.findIndex((controller) => controller.name === name)}] (${name})`).join(', ');
      if (notRecorded.length > 0) {
        const them = unmarked.length === 1 ? 'it' : 'them';
        const sharedKept = config.state.backend === 'pg' && !notRecorded.some((entry) => entry.startsWith('PostgreSQL'));
        report.warn(
          `could not record the revocation in ${notRecorded.join(', nor in ')}, ` +
            (sharedKept
              ? `though it is recorded in PostgreSQL (schema ${stateSchemaName(config)}), which apply, credentials and rotate read on every machine. `
              : `so nothing stops the next apply, credentials or rotate from issuing ${them} a fresh secret ID. `) +
            `Add "revoked": true to ${where} in ${config.source} now: that keeps ${them} locked out from every work directory`,
        );
      } else if (unmarked.length > 0) {
        report.warn(
          `add "revoked": true to ${where} in ${config.source}: it keeps the controller locked out across apply and generation bumps; ` +
            (config.state.backend === 'pg'
              ? `until then apply, credentials and rotate refuse to run, from any machine (the revocation is recorded in PostgreSQL schema ${stateSchemaName(config)})`
              : 'until then apply, credentials and rotate from this work directory refuse to run, and from anywhere else they would issue it a fresh secret ID'),
        );
      }
      if (settled.unsettled) report.warn(settled.unsettled);
      if (sweep instanceof TokenSweepRefused || notRecorded.length > 0 || settled.unsettled) process.exitCode = EXIT.failure;
    } finally {
      await client.close();
    }
  },
});

/**
 * After the first destroy: under the site's lock, one more listing and destroy settles it (no run
 * of this work directory issues while it is held, and each one that takes it later reads the
 * revocation). When the lock cannot be had (a read-only work directory, a holder past
 * --lock-timeout), listings are repeated until one finds nothing, and a holder is named.
 */
async function sweepAfter(
  config: MaasVaultConfig,
  controllers: readonly string[],
  lockSeconds: number,
  destroy: () => Promise<number[]>,
): Promise<{ counts: number[]; unsettled?: string }> {
  let release: (() => void) | undefined;
  let held: Error | undefined;
  try {
    release = await lockSite(config, 'revoke', lockSeconds);
  } catch (error) {
    // Break-glass goes on without the lock: a read-only work directory is said elsewhere; a
    // holder past --lock-timeout, or a PostgreSQL that cannot be reached, is named below.
    if (!isUnwritable(error)) held = error as Error;
  }
  // A lost lock (its PostgreSQL session ended mid-sweep) does not stop revoke, unlike credentials
  // and rotate: its destroys only remove access, so finishing them is always safe; its revocation
  // was recorded before the lock was taken, so no record is left half-written by the loss; and
  // lockSite keeps the next holder fenced off until this sweep releases, so it stays exclusive.
  try {
    const counts = controllers.map(() => 0);
    for (let round = 0; round < (release ? 1 : UNLOCKED_SWEEPS); round++) {
      const found = await destroy();
      found.forEach((count, index) => (counts[index] += count));
      if (!release && found.every((count) => count === 0)) break;
    }
    if (!held) return { counts };
    return {
      counts,
      unsettled:
        `could not take the site's lock: ${held.message.replace(/\. (Let that run finish|Nothing was changed).*$/, '')}. ` +
        `Another run may still issue ${controllers.join(', ')} a secret ID after this one's last listing. ` +
        'Run this revoke again once it has finished (or with a longer --lock-timeout): each run destroys what is left',
    };
  } finally {
    release?.();
  }
}

/** Some controllers' secret IDs could not all be destroyed: which were, which not, and the first reason. */
class RevokeIncomplete extends Error {
  override name = 'RevokeIncomplete';
  readonly done: string[];
  readonly notDone: string[];
  readonly first: unknown;
  constructor(controllers: readonly string[], settled: readonly PromiseSettledResult<number>[]) {
    super('not every secret ID could be destroyed');
    this.done = controllers.filter((_, index) => settled[index].status === 'fulfilled');
    this.notDone = controllers.filter((_, index) => settled[index].status === 'rejected');
    this.first = (settled.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult).reason;
  }
}
