/** plan to a file, read it, check it (plan-guard.ts): the only way apply and destroy reach the engine. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import type { StackSession } from './stack-session.js';
import type { SavedPlan } from '../../engine/engine.js';
import { checkPlan, OPT_INS, type LossKind, type OptIns, type PlanFindings } from './plan-guard.js';

export interface GuardedPlan {
  saved: SavedPlan;
  findings: PlanFindings;
}

export async function planGuarded(session: StackSession, mode: 'apply' | 'destroy' | 'plan'): Promise<GuardedPlan> {
  const { engine, report, config, client } = session;
  // In the stack directory, owner-only (engine.ts); removed by dropPlan whatever happens.
  const planFile = join(engine.stackDir, `${mode}.tfplan`);
  const saved = await session.engineStep(`${engine.binary.kind} plan`, () => engine.savedPlan(planFile, { destroy: mode === 'destroy' }));
  try {
    const findings = await report.step('checking the plan for losses', () => checkPlan(client!, config, saved, mode === 'destroy' ? 'destroy' : 'apply'));
    return { saved, findings };
  } catch (error) {
    dropPlan(saved);
    throw error;
  }
}

export function dropPlan(plan: SavedPlan | GuardedPlan | undefined): void {
  const saved = plan && 'saved' in plan ? plan.saved : plan;
  if (saved) rmSync(saved.planFile, { force: true });
}

export interface OptInArgs {
  deleteSecrets?: boolean;
  disableApprole?: boolean;
  replaceRoles?: boolean;
  deletePolicy?: boolean;
}

/** The opt-in flags a command takes, each naming the loss it allows. */
export function withOptIns<T>(yargs: Argv<T>, command: 'apply' | 'destroy') {
  let built = yargs;
  for (const optIn of Object.values(OPT_INS)) {
    if (!optIn.commands.includes(command)) continue;
    built = built.option(optIn.option, { type: 'boolean', default: false, describe: optIn.describe });
  }
  return built as Argv<T & OptInArgs>;
}

export function optInsOf(argv: OptInArgs): OptIns {
  const kinds: Record<LossKind, boolean | undefined> = {
    secrets: argv.deleteSecrets,
    approle: argv.disableApprole,
    roles: argv.replaceRoles,
    policy: argv.deletePolicy,
  };
  return Object.fromEntries(Object.entries(kinds).map(([kind, value]) => [kind, value === true]));
}
