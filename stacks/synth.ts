/** Synthesizes the stack of one config into its work directory, for the engine to run in. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from './framework.js';
import type { MaasVaultConfig } from '../config/index.js';
import { MaasVaultStack } from './maas-vault-stack.js';
import type { StackImports } from './import-ids.js';
import { STATE_PATH_FROM_STACK, workLayout, type WorkLayout } from './work-layout.js';

export type SynthResult = WorkLayout;
export { STATE_PATH_FROM_STACK, workLayout } from './work-layout.js';

export function synthStack(config: MaasVaultConfig, imports?: StackImports, rotated?: ReadonlySet<string>): SynthResult {
  // The work directory holds state with wrapping tokens: only its owner may enter it.
  mkdirSync(join(config.workDir, 'cdktf.out'), { recursive: true, mode: 0o700 });
  // ...and git must never pick it up, wherever the config (and so the work directory) lives.
  const gitignore = join(config.workDir, '.gitignore');
  if (!existsSync(gitignore)) writeFileSync(gitignore, '# maas-vault work directory: engine state holds wrapping tokens\n*\n');
  // Stack traces in construct metadata cost most of synth time for large sites and are never read.
  const app = new App({ outdir: join(config.workDir, 'cdktf.out'), stackTraces: false, skipBackendValidation: true });
  new MaasVaultStack(app, { config, statePath: STATE_PATH_FROM_STACK, imports, rotated });
  app.synth();
  return workLayout(config);
}
