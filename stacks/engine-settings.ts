/**
 * The `terraform` block of a stack whose state is a local file in clear, known without cdktf:
 * it is all `init` reads, so init can run while synth does (engine/early-init.ts), which checks
 * it against the synthesized block before using that init.
 */
import { VAULT_PROVIDER_VERSION } from './vault-provider-version.js';
import { STATE_PATH_FROM_STACK } from './work-layout.js';

export const VAULT_PROVIDER_SOURCE = 'hashicorp/vault';

export function localEngineSettings(): Record<string, unknown> {
  return {
    backend: { local: { path: STATE_PATH_FROM_STACK } },
    required_providers: { vault: { source: VAULT_PROVIDER_SOURCE, version: VAULT_PROVIDER_VERSION } },
  };
}

/** True when the synthesized stack needs no provider, module or setting `init` would act on beyond `settings`. */
export function initSettledBy(stack: unknown, settings: Record<string, unknown>): boolean {
  if (typeof stack !== 'object' || stack === null) return false;
  const { terraform, provider, resource, data, module } = stack as Record<string, unknown>;
  const vaultOnly = (blocks: unknown) =>
    blocks === undefined || (typeof blocks === 'object' && blocks !== null && Object.keys(blocks).every((type) => type.startsWith('vault_')));
  const providers = provider === undefined || (typeof provider === 'object' && provider !== null && Object.keys(provider).every((name) => name === 'vault'));
  return module === undefined && providers && vaultOnly(resource) && vaultOnly(data) && canonical(terraform) === canonical(settings);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
