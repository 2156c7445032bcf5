import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { Argv } from 'yargs';
import { rotationManagedControllers } from '../../vault/rotation-record.js';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { openContext, type GlobalArgs } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { lockTimeoutSeconds, withEngine, withLockTimeout, type EngineArgs } from './engine-args.js';
import { explainStateLock } from './state-lock.js';
import { InterruptedError } from './interrupted.js';
import { interrupts, SIGNAL_EXIT_CODES, type EngineInterruptedError } from '../../engine/interrupts.js';
import { lockWaitSeconds, lockWorkDir } from '../../engine/lock.js';
import { requirePgConnection } from '../../engine/pg-connection.js';
import { encryptionEnv } from '../../engine/state-encryption-env.js';
import { readStoredState, restoreBrokenState, storedStateKind } from '../../engine/state.js';
import { stateSchemaName } from '../../stacks/state-schema.js';
import { workLayout } from '../../stacks/work-layout.js';

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
    const pg = config.state.backend === 'pg';
    if (pg) requirePgConnection(process.env);
    const { locateEngine } = await import('../../engine/locate.js');
    const binary = await locateEngine(argv.engine ?? process.env.MAAS_VAULT_ENGINE, argv.engine ? '--engine' : 'MAAS_VAULT_ENGINE');
    // The engine and the passphrase, before anything is written: the same refusals as plan and apply.
    encryptionEnv(config, binary, process.env);
    interrupts.install((signal) => {
      process.stderr.write(`maas-vault: encrypt-state interrupted by ${signal} while no engine was running. Run \`maas-vault encrypt-state\` again: it reads the stored state afresh.\n`);
      process.exit(SIGNAL_EXIT_CODES[signal]);
    });
    const release = await lockWorkDir(config.workDir, 'maas-vault encrypt-state', argv.lockTimeout === undefined ? lockWaitSeconds() : lockTimeoutSeconds(argv.lockTimeout));
    const { statePath } = workLayout(config);
    const where = pg ? `PostgreSQL schema ${stateSchemaName(config)}` : statePath;
    const readStored = () => readStoredState(config, statePath);
    try {
      if (!pg) {
        // As before any run: a file an interrupted run cut off is replaced by the verified copy.
        const restored = restoreBrokenState(statePath);
        if (restored) report.warn(restored);
      }
      const before = storedStateKind(await report.step(`reading the state in ${where}`, readStored));
      if (before === 'broken') {
        throw new StateUnreadableError(`the state in ${where} is neither a state the engine wrote nor an encrypted one: nothing was changed. Look at it before running anything else`);
      }
      if (before !== 'clear') {
        if (report.json) report.data({ site: config.site, state: where, before, after: before, removed: [] });
        else if (before === 'none') report.line(`Site ${config.site} has no state in ${where} yet: nothing to encrypt. The first apply writes it encrypted.`);
        else report.line(`The state of site ${config.site} in ${where} is already encrypted: nothing was changed.`);
        return;
      }
      const { prepareStack } = await import('../../engine/stack-runner.js');
      const { engine, jsonPath } = await report.step('synthesizing the stack', async () =>
        prepareStack({ config, engine: binary, rotated: await rotationManagedControllers(config), lockTimeout: argv.lockTimeout, onOutput: (line) => report.engineLine(line), onNotice: (text) => report.warn(text) }),
      );
      const { encryptClearState } = await import('../../engine/state-encryption-migration.js');
      const step = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
        try {
          return await report.step(label, run);
        } catch (error) {
          if ((error as Error | undefined)?.name === 'EngineInterruptedError') throw interrupted(error as EngineInterruptedError);
          throw await explainStateLock(error, config, engine.lockTimeout);
        }
      };
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
      release();
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

function interrupted(error: EngineInterruptedError): InterruptedError {
  return new InterruptedError(
    `encrypt-state interrupted by ${error.signal} during ${error.command}: nothing in Vault was changed, and the engine finished writing what it had started. ` +
      'Run `maas-vault encrypt-state` again: it reads the stored state afresh',
    error.exitCode,
  );
}

class StateUnreadableError extends Error {
  override name = 'StateUnreadableError';
  readonly exitCode = 1;
}
