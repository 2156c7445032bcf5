import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { openContext, type GlobalArgs } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { withEngine, withLockTimeout, type EngineArgs } from './engine-args.js';
import { locateSiteEngine, lockStackSession } from './stack-session.js';
import { encryptionEnv } from '../../engine/state-encryption-env.js';
import { readStoredState, storedStateKind } from '../../engine/state.js';
import { stateSchemaName } from '../../stacks/state-schema.js';

/**
 * `encrypt-state`: the one step between a site applied with clear state and `state.encryption`.
 * Refused (exit 2) before anything is written where the config or engine could not keep the
 * state encrypted afterwards; the state itself is rewritten by engine/state-encryption-migration.ts.
 */
export const encryptStateCommand = defineCommand<GlobalArgs & EngineArgs>({
  ...COMMAND_TEXT.encryptState,
  builder: (yargs: Argv<GlobalArgs>) =>
    withLockTimeout(withEngine(yargs)).example(
      'MAAS_STATE_PASSPHRASE=... $0 encrypt-state --engine tofu',
      'encrypts the state of ./maas-vault.json (local file or PostgreSQL row) with the passphrase its state.encryption names',
    ),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const encryption = config.state.encryption;
    if (!encryption) {
      throw new UsageError(
        'state.encryption is not set, so there is nothing to encrypt the state with: add "encryption": { "passphraseEnv": "MAAS_STATE_PASSPHRASE" } ' +
          'to "state" in the config, export that variable, and run encrypt-state again. Nothing was changed',
      );
    }
    const context = { config, report };
    const pg = config.state.backend === 'pg';
    const binary = await locateSiteEngine(argv, config);
    // The engine and the passphrase, before anything is written: the same refusals as plan and apply.
    encryptionEnv(config, binary, process.env);
    const locked = await lockStackSession(argv, false, 'encrypt-state', { context, engine: binary });
    const { statePath } = locked;
    const where = pg ? `PostgreSQL schema ${stateSchemaName(config)}` : statePath;
    const readStored = () => readStoredState(config, statePath);
    try {
      // As before any run: a file an interrupted run cut off is replaced by the verified copy.
      locked.restoreLocalState();
      const before = storedStateKind(await report.step(`reading the state in ${where}`, readStored));
      if (before === 'broken') {
        throw new StateUnreadableError(
          `the state in ${where} is neither a state the engine wrote nor an encrypted one: nothing was changed. Look at it before running anything else`,
        );
      }
      if (before !== 'clear') {
        if (report.json) report.data({ site: config.site, state: where, before, after: before, removed: [] });
        else if (before === 'none') report.line(`Site ${config.site} has no state in ${where} yet: nothing to encrypt. The first apply writes it encrypted.`);
        else report.line(`The state of site ${config.site} in ${where} is already encrypted: nothing was changed.`);
        return;
      }
      const { engine, jsonPath, engineStep: step } = await locked.openStack();
      const { encryptClearState } = await import('../../engine/state-encryption-migration.js');
      await encryptClearState({ engine, jsonPath, readStored, where, step });
      const removed = pg ? [] : removeClearCopies(statePath);
      if (report.json) {
        report.data({ site: config.site, state: where, before, after: 'encrypted', removed });
        return;
      }
      report.line(`Encrypted the state of site ${config.site} in ${where} with the passphrase in ${encryption.passphraseEnv}; nothing in Vault was changed.`);
      for (const path of removed) report.line(`Removed ${path}: it held an earlier state in clear.`);
      report.line(`From now on plan, apply, destroy and output need ${encryption.passphraseEnv} exported.`);
    } finally {
      locked.release();
    }
  },
});

/**
 * The engine's backup of an earlier state, written before encryption was on, still holds wrapping
 * tokens in clear next to the encrypted state: removed. The verified copy (`.good`) already is
 * the encrypted state (engine.ts rewrites it after every run).
 */
function removeClearCopies(statePath: string): string[] {
  const backup = `${statePath}.backup`;
  if (!existsSync(backup) || storedStateKind(readFileSync(backup, 'utf8')) === 'encrypted') return [];
  rmSync(backup, { force: true });
  return [backup];
}

class StateUnreadableError extends Error {
  override name = 'StateUnreadableError';
  readonly exitCode = 1;
}
