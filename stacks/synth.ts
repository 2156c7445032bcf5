/** Synthesizes the stack of one config into its work directory, for the engine to run in. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import type { MaasVaultConfig } from '../config/index.js';
import { MaasVaultStack, stackName } from './maas-vault-stack.js';

export interface SynthResult {
  /** Directory holding `cdk.tf.json`; the engine runs here. */
  stackDir: string;
  /** Path of the synthesized Terraform JSON. */
  jsonPath: string;
  /** The engine's state file (kept outside the synthesized output, so a re-synth never touches it). */
  statePath: string;
}

/** Layout of a work directory, known without synthesizing (commands such as `output` only read it). */
export function workLayout(config: Pick<MaasVaultConfig, 'site' | 'workDir'>): SynthResult {
  const stackDir = join(config.workDir, 'cdktf.out', 'stacks', stackName(config));
  return { stackDir, jsonPath: join(stackDir, 'cdk.tf.json'), statePath: join(config.workDir, 'terraform.tfstate') };
}

/** State path as the stack records it: relative to the stack directory, so the JSON is machine-independent. */
export const STATE_PATH_FROM_STACK = '../../../terraform.tfstate';

export function synthStack(config: MaasVaultConfig): SynthResult {
  // The work directory holds state with wrapping tokens: only its owner may enter it.
  mkdirSync(join(config.workDir, 'cdktf.out'), { recursive: true, mode: 0o700 });
  // Stack traces in construct metadata cost most of synth time for large sites and are never read.
  const app = new App({ outdir: join(config.workDir, 'cdktf.out'), stackTraces: false, skipBackendValidation: true });
  new MaasVaultStack(app, { config, statePath: STATE_PATH_FROM_STACK });
  app.synth();
  return workLayout(config);
}
