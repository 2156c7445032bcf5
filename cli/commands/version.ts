import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import type { GlobalArgs } from '../context.js';

/** The instance the builder was given: its --version text is the one this command prints. */
let cli: Argv<unknown> | undefined;

/** `maas-vault version`, as `vault version` and `bao version`: exactly what `--version` prints. */
export const versionCommand = defineCommand<GlobalArgs>({
  ...COMMAND_TEXT.version,
  builder: (yargs: Argv<GlobalArgs>) => (cli = yargs as Argv<unknown>),
  handler: async () => {
    cli!.showVersion('log');
  },
});
