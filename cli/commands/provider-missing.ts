/**
 * The engine's `init` found no terraform-provider-vault (no mirror holds it, no plugin directory,
 * no registry answered): said as `npm run demo` says it, with the mirror variable and the paths
 * where the provider goes, instead of the engine's own error block.
 */
import { VAULT_PROVIDER_VERSION } from '../../stacks/vault-provider-version.js';
import { EXIT } from '../exit-codes.js';
import { engineOutput } from '../../engine/errors.js';

const PROVIDER_NOT_INSTALLED = /Failed to query available provider packages|Failed to install provider|was not found\s+in any of the search locations/;

export async function explainMissingProvider(error: unknown, env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const output = engineOutput(error);
  if (output === undefined) return error;
  if (!PROVIDER_NOT_INSTALLED.test(output) || !/hashicorp\/vault/.test(output)) return error;
  const { mirrorLacksProvider, providerFix } = await import('../../toolchain/provider.js');
  const searched =
    /search locations\s*\n((?:\s*- .+\n?)+)/
      .exec(output)?.[1]
      .split('\n')
      .map((line) => line.replace(/^\s*- /, '').trim())
      .filter(Boolean) ?? [];
  const reason = env.MAAS_VAULT_PROVIDER_MIRROR
    ? mirrorLacksProvider(env.MAAS_VAULT_PROVIDER_MIRROR)
    : searched.length > 0
      ? `the engine looked in ${searched.join(', ')} only`
      : 'the engine found no mirror or plugin directory holding it, and no registry answered';
  return new ProviderMissingError(
    `terraform-provider-vault ${VAULT_PROVIDER_VERSION} is missing: ${reason}. To supply it, ${providerFix(env)}. Nothing was changed in Vault`,
  );
}

export class ProviderMissingError extends Error {
  override name = 'ProviderMissingError';
  readonly exitCode = EXIT.usage;
}
