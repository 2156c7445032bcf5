/** The shared start of plan, apply, destroy and output: config, Vault checks, synthesized stack, engine. */
import { openContext, ensureVaultReady, vaultClient, vaultToken, type CommandContext, type GlobalArgs } from '../context.js';
import type { Engine } from '../../engine/engine.js';
import type { VaultClient } from '../../vault/client.js';
import { isAdopting, planAdoption, type AdoptionPlan } from '../../vault/adoption.js';
import { readStateResourceIds } from '../../engine/state.js';
import { workLayout } from '../../stacks/work-layout.js';

export interface StackSession extends CommandContext {
  engine: Engine;
  statePath: string;
  client?: VaultClient;
  /** plan and apply on a site that adopts a hand-made set-up: what is imported and what changes. */
  adoption?: AdoptionPlan;
}

/** `adopt`: plan and apply import the objects a hand-made set-up already has (see vault/adoption.ts). */
export async function openStackSession(argv: GlobalArgs & { engine?: string }, needsVault: boolean, adopt = false): Promise<StackSession> {
  const context = openContext(argv);
  const { config, report } = context;
  let client: VaultClient | undefined;
  let token: string | undefined;
  if (needsVault) {
    token = vaultToken('manage auth methods, mounts, policies and AppRole roles (`maas-vault policy admin` prints such a policy)');
    client = vaultClient(config, token);
  }
  // The Vault check and the synth are independent: run them together, fail on either. An
  // adoption synthesizes import blocks from what Vault holds, so it asks Vault first.
  const adopting = adopt && client !== undefined && isAdopting(config);
  const ready = client ? report.step(`checking Vault at ${config.vault.address}`, () => ensureVaultReady(client!)) : Promise.resolve();
  const adoption = adopting
    ? await ready.then(() => report.step('reading the set-up to adopt', () => planAdoption(client!, config, readStateResourceIds(workLayout(config).statePath))))
    : undefined;
  const prepared = report.step('synthesizing the stack', async () => {
    const { prepareStack } = await import('../../engine/stack-runner.js');
    return prepareStack({ config, engine: argv.engine, token, imports: adoption?.imports, onOutput: (line) => report.engineLine(line) });
  });
  const [, { engine, statePath }] = await Promise.all([ready, prepared]);
  await report.step(`${engine.binary.kind} init`, () => engine.init());
  return { ...context, engine, statePath, client, adoption };
}
