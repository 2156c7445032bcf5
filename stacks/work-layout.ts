/** Where a config's synthesized stack and engine state live, known without loading cdktf. */
import { join } from 'node:path';
import type { MaasVaultConfig } from '../config/index.js';

export interface WorkLayout {
  /** Directory holding `cdk.tf.json`; the engine runs here. */
  stackDir: string;
  /** Path of the synthesized Terraform JSON. */
  jsonPath: string;
  /** The engine's state file (kept outside the synthesized output, so a re-synth never touches it). */
  statePath: string;
}

export function stackName(config: Pick<MaasVaultConfig, 'site'>): string {
  return `maas-vault-${config.site}`;
}

export function workLayout(config: Pick<MaasVaultConfig, 'site' | 'workDir'>): WorkLayout {
  const stackDir = join(config.workDir, 'cdktf.out', 'stacks', stackName(config));
  return { stackDir, jsonPath: join(stackDir, 'cdk.tf.json'), statePath: join(config.workDir, 'terraform.tfstate') };
}

/** State path as the stack records it: relative to the stack directory, so the JSON is machine-independent. */
export const STATE_PATH_FROM_STACK = '../../../terraform.tfstate';
