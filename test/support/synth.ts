/** One view over `Testing.synth` so tests ask for resources and outputs instead of digging in JSON. */
import { Testing } from '../../stacks/framework.js';
import type { MaasVaultConfig } from '../../config/index.js';
import { MaasVaultStack } from '../../stacks/maas-vault-stack.js';
import { STATE_PATH_FROM_STACK } from '../../stacks/synth.js';
import type { StackImports } from '../../stacks/import-ids.js';

type Block = Record<string, unknown>;

export interface SynthView {
  json: string;
  /** Resources of one type, by logical id, without cdktf's metadata. */
  resources(type: string): Record<string, Block>;
  resource(type: string, id: string): Block;
  dataSources(type: string): Record<string, Block>;
  output(name: string): { value: unknown; sensitive?: boolean; description?: string };
  outputNames(): string[];
  provider(): Block;
}

export function synthesize(config: MaasVaultConfig): SynthView {
  const app = Testing.app({ stackTraces: false });
  const stack = new MaasVaultStack(app, { config, statePath: STATE_PATH_FROM_STACK });
  const json = Testing.synth(stack);
  const parsed = JSON.parse(json) as {
    resource?: Record<string, Record<string, Block>>;
    data?: Record<string, Record<string, Block>>;
    output?: Record<string, { value: unknown; sensitive?: boolean; description?: string }>;
    provider: { vault: Block[] };
  };
  const strip = (blocks: Record<string, Block> = {}) =>
    Object.fromEntries(Object.entries(blocks).map(([id, block]) => [id, Object.fromEntries(Object.entries(block).filter(([key]) => key !== '//'))]));
  return {
    json,
    resources: (type) => strip(parsed.resource?.[type]),
    resource(type, id) {
      const block = strip(parsed.resource?.[type])[id];
      if (!block) throw new Error(`no ${type}.${id}; have: ${Object.keys(parsed.resource?.[type] ?? {}).join(', ') || 'none'}`);
      return block;
    },
    dataSources: (type) => strip(parsed.data?.[type]),
    output(name) {
      const output = parsed.output?.[name];
      if (!output) throw new Error(`no output ${name}`);
      return output;
    },
    outputNames: () => Object.keys(parsed.output ?? {}),
    provider: () => parsed.provider.vault[0],
  };
}

/** The whole synthesized JSON of a stack that imports the given objects. */
export function synthesizeWithImports(config: MaasVaultConfig, imports?: StackImports): Record<string, any> {
  const app = Testing.app({ stackTraces: false });
  return JSON.parse(Testing.synth(new MaasVaultStack(app, { config, statePath: STATE_PATH_FROM_STACK, imports })));
}
