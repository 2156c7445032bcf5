/**
 * Which server answers: OpenBao or HashiCorp Vault, and what each accepts.
 *
 * The two speak one API but differ where maas-vault leans on them. The one that breaks every
 * request: HashiCorp Vault answers 400 "forwarding via header X-Vault-Inconsistent=forward-active-node
 * disabled in configuration" to the consistency headers unless its listener sets
 * `allow_forwarding_via_header` (no default set-up does), while OpenBao needs them on a read-enabled
 * standby. HashiCorp Vault's community edition has no read-serving standbys (a standby forwards
 * every request to the active node), so it needs no header; its Enterprise performance standbys do,
 * where the listener allows it.
 */

export type ServerFlavour = 'OpenBao' | 'Vault';

/**
 * `sys/seal-status` as both servers answer it (unauthenticated, its fields at the top level), as
 * far as maas-vault reads it; VaultClient.sealStatus reads it. Where a proxy strips fields, the
 * functions below take what is left (`Partial`).
 */
export interface SealStatusBody {
  sealed: boolean;
  /** False on a server no one has run `operator init` on yet. */
  initialized: boolean;
  version: string;
  /** OpenBao's name for the build's date. */
  commit_date?: string;
  /** HashiCorp Vault's name for it. */
  build_date?: string;
  /** Empty or left out while sealed. */
  cluster_id?: string;
}

export interface ServerProfile {
  flavour: ServerFlavour;
  version: string;
  /** HashiCorp Vault Enterprise (`+ent` in its version): performance standbys, namespaces. */
  enterprise: boolean;
  /** Empty while the server cannot say (sealed, not initialized). */
  clusterId?: string;
}

/**
 * OpenBao renamed seal-status's `build_date` to `commit_date` when it forked; where neither is
 * there (a proxy that strips fields), OpenBao numbers its releases from 2.0 and Vault is on 1.x.
 */
export function flavourOf(body: Partial<SealStatusBody>): ServerFlavour {
  if (body.commit_date !== undefined && body.build_date === undefined) return 'OpenBao';
  if (body.build_date !== undefined) return 'Vault';
  return /^v?[2-9]\./.test(body.version ?? '') ? 'OpenBao' : 'Vault';
}

export function profileOf(body: Partial<SealStatusBody>): ServerProfile {
  const version = body.version ?? 'unknown';
  return { flavour: flavourOf(body), version, enterprise: /\+ent\b/.test(version), clusterId: body.cluster_id || undefined };
}

/**
 * Whether maas-vault's requests carry the consistency headers: on OpenBao always (standbys serve
 * reads), on HashiCorp Vault Enterprise only while its listener has not refused them, never on the
 * community edition, which refuses them and needs none.
 */
export function sendsConsistencyHeaders(profile: ServerProfile): boolean {
  return profile.flavour === 'OpenBao' || profile.enterprise;
}

/** HashiCorp Vault's refusal of the consistency headers, by its words. */
export function isForwardingHeaderRefusal(status: number, errors: readonly string[]): boolean {
  return status === 400 && errors.some((message) => /forwarding via header .*disabled in configuration/i.test(message));
}

/** The server's own CLI, for commands printed in messages. */
export function serverCli(flavour: ServerFlavour | undefined): 'bao' | 'vault' {
  return flavour === 'OpenBao' ? 'bao' : 'vault';
}

/**
 * A command for the admin to run, in backticks, in the one form every message uses: the server's own
 * CLI when the server said which it is, else both, OpenBao's first (an OpenBao host often has no
 * `vault` binary, a HashiCorp Vault host no `bao`).
 */
export function cliCommand(flavour: ServerFlavour | undefined, args: string): string {
  return flavour ? `\`${serverCli(flavour)} ${args}\`` : `\`bao ${args}\` (or \`vault ${args}\`)`;
}

export function flavourName(flavour: ServerFlavour): string {
  return flavour === 'OpenBao' ? 'OpenBao' : 'HashiCorp Vault';
}
