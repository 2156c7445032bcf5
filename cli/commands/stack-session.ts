/** The shared start of plan, apply, destroy and output: config, Vault checks, synthesized stack, engine. */
import { openContext, ensureVaultReady, vaultClient, vaultToken, type CommandContext, type GlobalArgs } from '../context.js';
import type { Engine } from '../../engine/engine.js';
import type { VaultClient } from '../../vault/client.js';
import type { Reporter } from '../reporter.js';

export interface StackSession extends CommandContext {
  engine: Engine;
  statePath: string;
  client?: VaultClient;
}

export async function openStackSession(argv: GlobalArgs & { engine?: string }, needsVault: boolean): Promise<StackSession> {
  const context = openContext(argv);
  const { config, report } = context;
  let client: VaultClient | undefined;
  let token: string | undefined;
  if (needsVault) {
    token = vaultToken('manage auth methods, mounts, policies and AppRole roles (`maas-vault policy admin` prints such a policy)');
    client = vaultClient(config, token);
  }
  // Exit 2 promises that nothing was sent to Vault: find the engine (a usage error when it is
  // missing) before the first request, then check Vault while the stack is synthesized.
  const { locateEngine } = await import('../../engine/locate.js');
  const binary = await locateEngine(argv.engine ?? process.env.MAAS_VAULT_ENGINE, argv.engine ? '--engine' : 'MAAS_VAULT_ENGINE');
  const ready = client ? report.step(`checking Vault at ${config.vault.address}`, () => ensureVaultReady(client!)) : Promise.resolve();
  const prepared = report.step('synthesizing the stack', async () => {
    const { prepareStack } = await import('../../engine/stack-runner.js');
    return prepareStack({ config, engine: binary, token, onOutput: streamUntilError(report) });
  });
  try {
    const [, { engine, statePath }] = await Promise.all([ready, prepared]);
    await report.step(`${engine.binary.kind} init`, () => engine.init());
    return { ...context, engine, statePath, client };
  } catch (error) {
    await client?.close();
    throw error;
  }
}

/**
 * Engine lines as they come, up to its first error block: the error that ends the command
 * carries that block (or a shorter account of it), so it is shown once.
 */
function streamUntilError(report: Reporter): (line: string) => void {
  let failed = false;
  return (line) => {
    if (/^(\s*\|\s*)?(│\s*)?Error:/.test(line)) failed = true;
    if (!failed) report.engineLine(line);
  };
}
