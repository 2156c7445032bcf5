import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../context.js';

/**
 * A command with typed arguments. yargs types options by their dashed names while handlers read
 * the camel-cased ones, so the builder's type is loosened here, once, instead of in every command.
 */
export function defineCommand<A extends GlobalArgs>(module: {
  command: string;
  describe: string;
  builder: (yargs: Argv<GlobalArgs>) => Argv<unknown>;
  handler: (argv: A) => Promise<void>;
}): CommandModule<GlobalArgs, A> {
  return module as unknown as CommandModule<GlobalArgs, A>;
}
