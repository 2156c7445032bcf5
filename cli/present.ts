/** How per-controller credentials are shown: the one place that prints wrapping tokens. */
import type { Reporter } from './reporter.js';
import { MIGRATE_COMMAND } from '../stacks/commands.js';

export interface ControllerLine {
  name: string;
  /** Absent when the stack issued no secret ID for it (stackSecretIds: false). */
  command?: string;
  /** Why the command cannot be used, e.g. a spent wrapping token. */
  unusable?: string;
  expiresAt?: string;
}

/** What is printed instead of a configure command whose wrapping token is spent. */
export function spentTokenNote(controller: string): string {
  return `wrapping token already used or expired: run \`maas-vault credentials --controller ${controller}\` for a fresh one`;
}

export function printConfigureCommands(report: Reporter, controllers: readonly ControllerLine[], wrapTtl: string, addressNote?: string): void {
  if (addressNote) {
    report.line(addressNote);
    report.line();
  }
  report.line(`Run on each region controller (each wrapping token works once, within ${wrapTtl}):`);
  report.line();
  for (const controller of controllers) {
    report.line(`# ${controller.name}${controller.expiresAt ? ` (token expires ${controller.expiresAt})` : ''}`);
    const unusable = controller.unusable ?? (controller.command ? undefined : `no secret ID from the stack: run \`maas-vault credentials --controller ${controller.name}\``);
    report.line(unusable ? `#   ${unusable}` : controller.command);
    report.line();
  }
  report.line('Then, once every region controller is configured, on one of them:');
  report.line(MIGRATE_COMMAND);
}

/** The CI issuer's hand-off: its role ID, and how to get the one secret ID CI logs in with. */
export function printIssuerHandOff(report: Reporter, roleName: string, roleId: string): void {
  report.line();
  report.line(`CI issuer: role ${roleName}, role ID ${roleId}.`);
  report.line('Its secret ID (response-wrapped, for CI to unwrap once): `maas-vault credentials --issuer`.');
  report.line('Whoever holds it can mint credentials for, and so log in as, any region controller of this site.');
}
