/**
 * The e2e tier's gate. A suite of that tier wraps itself in `describeE2E`, so where the provider
 * cannot be had every one of its tests is jest's own skip (counted in the summary line) and no
 * server starts; with MAAS_VAULT_E2E=require the same absence fails the suite, naming the provider.
 */
import { readToolchain, requireProvider, type ProviderMirror } from '../../toolchain/index.js';

function resolveProvider(): ProviderMirror | undefined {
  const toolchain = readToolchain();
  if (toolchain.provider.found) return toolchain.provider;
  if (process.env.MAAS_VAULT_E2E === 'require') requireProvider(toolchain);
  return undefined;
}

export const e2eProvider = resolveProvider();

export const describeE2E: jest.Describe = e2eProvider ? describe : describe.skip;
