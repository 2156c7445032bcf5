/**
 * A CLI config file that makes the engine install hashicorp/vault from a filesystem mirror
 * (air-gapped MAAS sites, and the test toolchain) and every other provider as usual.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Both engines' registry hostnames for the same provider, so one mirror serves tofu and terraform. */
export const VAULT_PROVIDER_ADDRESSES = ['registry.terraform.io/hashicorp/vault', 'registry.opentofu.org/hashicorp/vault'];

export function mirrorCliConfig(mirrorDir: string): string {
  const include = VAULT_PROVIDER_ADDRESSES.map((address) => JSON.stringify(address)).join(', ');
  return `# Written by maas-vault: hashicorp/vault from a filesystem mirror, everything else as usual.
provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(resolve(mirrorDir))}
    include = [${include}]
  }
  direct {
    exclude = [${include}]
  }
}
`;
}

export function writeMirrorCliConfig(mirrorDir: string, file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, mirrorCliConfig(mirrorDir), { mode: 0o644 });
}
