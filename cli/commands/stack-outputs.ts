/** Reads the applied stack's outputs into one record per controller. */
import type { Engine, EngineOutputs } from '../../engine/engine.js';
import { readBackendOutputs, readStateOutputs } from '../../engine/state.js';
import { roleName, type MaasVaultConfig } from '../../config/index.js';
import { loadRotationRecord, rotationManaged } from '../../vault/rotation-record.js';
import { OUTPUTS } from '../../stacks/output-names.js';

export interface AppliedController {
  name: string;
  role: string;
  roleId: string;
  /** Absent where the stack issues no secret IDs (stackSecretIds: false). */
  wrappedToken?: string;
  secretIdAccessor?: string;
  command?: string;
  /** Set when rotation manages its secret ID (see withRotatedCredentials): when it last finished. */
  rotationFinishedAt?: string;
}

export function controllersFromOutputs(outputs: EngineOutputs): AppliedController[] {
  const map = (name: string) => (outputs[name]?.value ?? {}) as Record<string, string>;
  const roles = map(OUTPUTS.roleNames);
  const roleIds = map(OUTPUTS.roleIds);
  const tokens = map(OUTPUTS.wrappingTokens);
  const accessors = map(OUTPUTS.secretIdAccessors);
  const commands = map(OUTPUTS.configureCommands);
  return Object.keys(roles).map((name) => ({
    name,
    role: roles[name],
    roleId: roleIds[name],
    wrappedToken: tokens[name],
    secretIdAccessor: accessors[name],
    command: commands[name],
  }));
}

/** From the state file or pg row when it can be read directly, else from the engine. */
export async function appliedControllers(engine: Engine, statePath: string, config?: Pick<MaasVaultConfig, 'site' | 'state'>): Promise<AppliedController[]> {
  const direct = config ? await readBackendOutputs(config, statePath) : readStateOutputs(statePath);
  return controllersFromOutputs(direct ?? (await engine.outputs()));
}

/** The hand-off line of a controller whose secret ID rotation manages: nothing of the stack's to run. */
export function rotatedNote(controller: AppliedController): string {
  return `its secret ID is managed by \`maas-vault rotate\` (rotation finished ${controller.rotationFinishedAt}, accessor ${controller.secretIdAccessor}): nothing to run; \`maas-vault rotate --controller ${controller.name}\` hands it a new one`;
}

/**
 * What is true of controllers whose secret ID rotation manages: their credential is the one
 * `rotate` issued (its accessor shown), and no wrapping token or command of the stack's applies,
 * even while the state still holds an old one (a refresh that did not run after `rotate --finish`).
 */
export async function withRotatedCredentials(config: MaasVaultConfig, controllers: readonly AppliedController[]): Promise<AppliedController[]> {
  if (!config.stackSecretIds) return [...controllers];
  const rotated = rotationManaged(await loadRotationRecord(config), (name) => roleName(config, name));
  return controllers.map((controller) => {
    const credential = rotated.get(controller.name);
    if (!credential) return controller;
    return {
      name: controller.name,
      role: controller.role,
      roleId: controller.roleId,
      secretIdAccessor: credential.secretIdAccessors[credential.secretIdAccessors.length - 1],
      rotationFinishedAt: credential.finishedAt,
    };
  });
}
