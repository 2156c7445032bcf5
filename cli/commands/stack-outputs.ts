/** Reads the applied stack's outputs into one record per controller. */
import type { Engine, EngineOutputs } from '../../engine/engine.js';
import { readBackendOutputs, readStateOutputs } from '../../engine/state.js';
import type { MaasVaultConfig } from '../../config/index.js';
import { OUTPUTS } from '../../stacks/output-names.js';

export interface AppliedController {
  name: string;
  role: string;
  roleId: string;
  /** Absent where the stack issues no secret IDs (stackSecretIds: false). */
  wrappedToken?: string;
  secretIdAccessor?: string;
  command?: string;
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
