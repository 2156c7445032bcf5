/**
 * Each command's module, initialized only when its name is among the arguments: a run pays for
 * the command it runs, not for the others (their modules and what they import).
 */
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';
import { COMMAND_TEXT, commandName, type CommandKey } from './texts.js';

// Each command types its own arguments, and a handler taking one command's arguments is no handler of `unknown` ones.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one list of every command's module
type AnyCommand = CommandModule<GlobalArgs, any>;

const LOADERS: Record<CommandKey, () => Promise<AnyCommand>> = {
  synth: async () => (await import('./synth.js')).synthCommand,
  plan: async () => (await import('./plan.js')).planCommand,
  apply: async () => (await import('./apply.js')).applyCommand,
  destroy: async () => (await import('./destroy.js')).destroyCommand,
  output: async () => (await import('./output.js')).outputCommand,
  encryptState: async () => (await import('./encrypt-state.js')).encryptStateCommand,
  credentials: async () => (await import('./credentials.js')).credentialsCommand,
  verifyToken: async () => (await import('./verify-token.js')).verifyTokenCommand,
  verify: async () => (await import('./verify.js')).verifyCommand,
  status: async () => (await import('./status.js')).statusCommand,
  revoke: async () => (await import('./revoke.js')).revokeCommand,
  rotate: async () => (await import('./rotate.js')).rotateCommand,
  policy: async () => (await import('./policy.js')).policyCommand,
  dev: async () => (await import('./dev.js')).devCommand,
  version: async () => (await import('./version.js')).versionCommand,
};

/**
 * Every command, in listing order: in full where its name is among `args` (the one yargs runs is
 * always among them, by name), the others as their usage line and description, for --help and
 * for suggesting a mistyped name.
 */
export function commandModules(args: readonly string[]): Promise<AnyCommand[]> {
  const named = new Set(args);
  return Promise.all(
    (Object.keys(COMMAND_TEXT) as CommandKey[]).map((key) => (named.has(commandName(key)) ? LOADERS[key]() : Promise.resolve(listedOnly(key)))),
  );
}

function listedOnly(key: CommandKey): AnyCommand {
  return {
    ...COMMAND_TEXT[key],
    handler: () => {
      throw new Error(`the ${commandName(key)} command ran without being loaded: report this as a bug`);
    },
  };
}
