/** The shared start of plan, apply, destroy and output: config, Vault checks, synthesized stack, engine. */
import { openContext, ensureVaultReady, vaultClient, vaultToken, type CommandContext, type GlobalArgs } from '../context.js';
import type { Engine } from '../../engine/engine.js';
import type { VaultClient } from '../../vault/client.js';
import { isConcurrentCreation, requirePgConnection } from '../../engine/pg-state.js';
import { UsageError } from '../exit-codes.js';

export interface StackSession extends CommandContext {
  engine: Engine;
  statePath: string;
  client?: VaultClient;
}

export async function openStackSession(argv: GlobalArgs & { engine?: string; lockTimeout?: string }, needsVault: boolean): Promise<StackSession> {
  const context = openContext(argv);
  const { config, report } = context;
  if (argv.lockTimeout !== undefined && !/^\d{1,6}(ms|s|m|h)$/.test(argv.lockTimeout)) {
    throw new UsageError(`--lock-timeout ${JSON.stringify(argv.lockTimeout).slice(0, 40)}: write a duration such as 5s, 30s or 2m`);
  }
  if (config.state.backend === 'pg') requirePgConnection(process.env);
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
    return prepareStack({ config, engine: argv.engine, token, lockTimeout: argv.lockTimeout, onOutput: (line) => report.engineLine(line) });
  });
  const [, { engine, statePath }] = await Promise.all([ready, prepared]);
  await report.step(`${engine.binary.kind} init`, () => initEngine(engine, config.state.backend === 'pg'));
  return { ...context, engine, statePath, client };
}

/** init, run again (up to twice) when it lost a race creating the pg backend's tables to another first run. */
async function initEngine(engine: Engine, pg: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await engine.init(attempt > 0);
    } catch (error) {
      if (!pg || attempt >= 2 || !isConcurrentCreation(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 500));
    }
  }
}
