/** The shared start of plan, apply, destroy and output: config, Vault checks, synthesized stack, engine. */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openContext, ensureVaultReady, vaultClient, vaultToken, type CommandContext, type GlobalArgs } from '../context.js';
import type { Engine } from '../../engine/engine.js';
import type { VaultClient } from '../../vault/client.js';
import { explainEngineFailure } from './engine-failure.js';
import { describeInterruption, type StackAction } from './interrupted.js';
import { interrupts, SIGNAL_EXIT_CODES, type EngineInterruptedError } from '../../engine/interrupts.js';
import { lockWorkDir } from '../../engine/lock.js';
import { restoreBrokenState } from '../../engine/state.js';
import { stackFootprint, stateFootprint } from '../../engine/footprint.js';
import { preflight } from '../../vault/preflight.js';

export interface StackSession extends CommandContext {
  engine: Engine;
  statePath: string;
  client?: VaultClient;
  /** Runs one engine command as a step; a signal or a failure becomes the CLI's explained error. */
  engineStep<T>(label: string, run: () => Promise<T>): Promise<T>;
  /** True when an earlier apply or destroy of this work directory did not finish (interrupted, killed, failed). */
  readonly wasInterrupted: boolean;
  /** Records that a change is under way: if it never finishes, the next apply knows. */
  markUnfinished(): void;
  /** Forgets an earlier interruption once a run has converged. */
  clearInterrupted(): void;
  /** Releases the work directory's lock (also released when the process ends). */
  release(): void;
}

/** `action` names the command for messages and the lock record; commands that only read pass 'output'. */
export async function openStackSession(argv: GlobalArgs & { engine?: string }, needsVault: boolean, action: StackAction = 'output'): Promise<StackSession> {
  const context = openContext(argv);
  const { config, report } = context;
  interrupts.install((signal) => {
    process.stderr.write(`maas-vault: ${action} interrupted by ${signal} while no engine was running: nothing was being changed in Vault. Run \`maas-vault ${action}\` again when ready.\n`);
    process.exit(SIGNAL_EXIT_CODES[signal]);
  });
  const release = action === 'output' ? () => undefined : await lockWorkDir(config.workDir, `maas-vault ${action}`);
  let client: VaultClient | undefined;
  let token: string | undefined;
  if (needsVault) {
    token = vaultToken('manage auth methods, mounts, policies and AppRole roles (`maas-vault policy admin` prints such a policy)');
    client = vaultClient(config, token);
  }
  // The Vault check and the synth are independent: run them together, fail on either.
  const ready = client ? report.step(`checking Vault at ${config.vault.address}`, () => ensureVaultReady(client!)) : Promise.resolve();
  const prepared = report.step('synthesizing the stack', async () => {
    const { prepareStack } = await import('../../engine/stack-runner.js');
    return prepareStack({
      config,
      engine: argv.engine,
      token,
      onOutput: (line) => report.engineLine(line),
      onNotice: (text) => report.warn(text),
    });
  });
  let engine: Engine;
  let statePath: string;
  try {
    let jsonPath: string;
    ({ engine, statePath, jsonPath } = (await Promise.all([ready, prepared]))[1]);
    const restored = restoreBrokenState(statePath);
    if (restored) report.warn(restored);
    if (client && (action === 'plan' || action === 'apply')) {
      await report.step('pre-flight checks', () =>
        preflight(client!, {
          creates: stackFootprint(jsonPath),
          owned: stateFootprint(statePath),
          adoptedKv: config.kv.adopt ? config.kv.mount : undefined,
          adoptedApprole: config.approle.adopt ? config.approle.mount : undefined,
          approleMount: config.approle.mount,
        }),
      );
    }
  } catch (error) {
    await client?.close();
    throw error;
  }
  const marker = join(config.workDir, 'interrupted');
  const engineStep = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await report.step(label, run);
    } catch (error) {
      if ((error as Error | undefined)?.name === 'EngineInterruptedError') {
        throw describeInterruption(error as EngineInterruptedError, action, statePath);
      }
      throw await explainEngineFailure(error, client, action);
    }
  };
  await engineStep(`${engine.binary.kind} init`, () => engine.init());
  return {
    ...context,
    engine,
    statePath,
    client,
    engineStep,
    wasInterrupted: existsSync(marker),
    markUnfinished: () => writeFileSync(marker, `${new Date().toISOString()} ${action}\n`, { mode: 0o600 }),
    clearInterrupted: () => rmSync(marker, { force: true }),
    release,
  };
}
