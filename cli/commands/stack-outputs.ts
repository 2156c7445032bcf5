/** Reads the applied stack's outputs into one record per controller. */
import type { Engine } from '../../engine/engine.js';
import { OUTPUTS } from '../../stacks/output-names.js';

export interface AppliedController {
  name: string;
  role: string;
  roleId: string;
  wrappedToken: string;
  secretIdAccessor: string;
  command: string;
}

export async function appliedControllers(engine: Engine): Promise<AppliedController[]> {
  const outputs = await engine.outputs();
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
