/** plan and apply on a site adopting a hand-made set-up: the explanation first, then a saved plan that must not destroy. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StackSession } from './stack-session.js';
import { countPlan, describeCounts, destructiveChanges, printAdoption, type PlanCounts } from '../present-adoption.js';
import type { SavedPlan } from '../../engine/engine.js';
import { AdoptionError, type AdoptionPlan } from '../../vault/adoption.js';

export interface AdoptionRun {
  planFile: string;
  saved: SavedPlan;
  counts: PlanCounts;
  /** Refusal text when the plan would destroy or replace something; undefined when it is safe. */
  refusal?: string;
}

export async function planAdoptionRun(session: StackSession & { adoption: AdoptionPlan }): Promise<AdoptionRun> {
  const { report, engine, config } = session;
  if (!report.json) printAdoption(report, session.adoption);
  const planFile = join(config.workDir, 'adoption.tfplan');
  const saved = await session.engineStep(`${engine.binary.kind} plan`, () => engine.savedPlan(planFile));
  const counts = countPlan(saved.resources);
  const destructive = destructiveChanges(saved.resources);
  const refusal =
    destructive.length === 0
      ? undefined
      : `the plan would destroy or replace ${destructive.map(({ address }) => address).join(', ')}: an adoption must keep every role ID, ` +
        'so nothing was changed. Check that each controllers[].role, policy.name and kv.mount names the object that exists ' +
        '(changing the role of a controller the stack already manages replaces that role: put the old name back), then plan again';
  return { planFile, saved, counts, refusal };
}

export function adoptionSummary(run: AdoptionRun): string {
  return `Plan: ${describeCounts(run.counts)}.`;
}

export function removePlanFile(run: AdoptionRun | undefined): void {
  if (run) rmSync(run.planFile, { force: true });
}

export function refuse(run: AdoptionRun): never {
  throw new AdoptionError(run.refusal!);
}
