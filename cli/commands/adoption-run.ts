/** plan and apply on a site adopting a hand-made set-up: the explanation first, then a saved plan that must not destroy. */
import { countPlan, describeCounts, destructiveChanges, type PlanCounts } from '../present-adoption.js';
import type { SavedPlan } from '../../engine/engine.js';
import { AdoptionError } from '../../vault/adoption.js';

/** Refusal text when an adoption's plan would destroy or replace something; undefined when it is safe. */
export function adoptionRefusal(saved: SavedPlan): string | undefined {
  const destructive = destructiveChanges(saved.resources);
  return destructive.length === 0
    ? undefined
    : `the plan would destroy or replace ${destructive.map(({ address }) => address).join(', ')}: an adoption must keep every role ID, ` +
        'so nothing was changed. Check that each controllers[].role, policy.name and kv.mount names the object that exists ' +
        '(changing the role of a controller the stack already manages replaces that role: put the old name back), then plan again';
}

export function adoptionCounts(saved: SavedPlan): PlanCounts {
  return countPlan(saved.resources);
}

export function adoptionSummary(counts: PlanCounts): string {
  return `Plan: ${describeCounts(counts)}.`;
}

export function refuseAdoption(refusal: string): never {
  throw new AdoptionError(refusal);
}
