/** How an adoption is shown: what is imported, and each difference in words, before anything is imported. */
import type { Reporter } from './reporter.js';
import type { AdoptionPlan } from '../vault/adoption.js';
import type { PlannedResource } from '../engine/engine.js';

export interface PlanCounts {
  import: number;
  add: number;
  change: number;
  destroy: number;
  replace: number;
}

export function countPlan(resources: readonly PlannedResource[]): PlanCounts {
  const counts: PlanCounts = { import: 0, add: 0, change: 0, destroy: 0, replace: 0 };
  for (const { actions, importing } of resources) {
    if (importing) counts.import += 1;
    if (actions.includes('delete') && actions.includes('create')) counts.replace += 1;
    else if (actions.includes('delete')) counts.destroy += 1;
    else if (actions.includes('create')) counts.add += 1;
    else if (actions.includes('update')) counts.change += 1;
  }
  return counts;
}

/** Resources an adoption must never touch that way: a replaced role gets a new role ID. */
export function destructiveChanges(resources: readonly PlannedResource[]): PlannedResource[] {
  return resources.filter(({ actions }) => actions.includes('delete'));
}

export function printAdoption(report: Reporter, plan: AdoptionPlan): void {
  if (plan.importing.length > 0) {
    report.line('Adopting a set-up made by hand. These exist and are imported (no role ID changes, no secret ID is issued or destroyed):');
    for (const line of plan.importing) report.line(`  import ${line}`);
  }
  for (const line of plan.creating) report.line(`  create ${line}`);
  if (plan.differences.length > 0) {
    report.line('What apply changes on them, and why:');
    for (const line of plan.differences) report.line(`  - ${line}`);
  } else if (plan.importing.length > 0) {
    report.line('They already match the config.');
  }
  report.line();
}

export function describeCounts(counts: PlanCounts): string {
  return `${counts.import} to import, ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy, ${counts.replace} to replace`;
}
