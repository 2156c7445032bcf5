/** The MAAS commands maas-vault prints; shared by the stack outputs and the CLI. */

/** The exact command a region controller runs; `--mount` is MAAS's flag (not `--secrets-mount`). */
export function configureCommand(url: string, roleId: string, wrappedToken: string, secretsPath: string, mount: string): string {
  return `sudo maas config-vault configure ${url} ${roleId} ${wrappedToken} ${secretsPath} --mount ${mount}`;
}

/**
 * A region installed after `migrate` (MAAS refuses to start one without Vault): the snap's
 * `maas init region` takes Vault at install time (maascli/snap.py, `get_vault_settings`, which
 * unwraps and checks as `configure` does). Its `--vault-secrets-mount` defaults to `secret`, so
 * it is always given.
 */
export function initRegionCommand(url: string, roleId: string, wrappedToken: string, secretsPath: string, mount: string): string {
  return `sudo maas init region --vault-uri ${url} --vault-approle-id ${roleId} --vault-wrapped-token ${wrappedToken} --vault-secrets-path ${secretsPath} --vault-secrets-mount ${mount}`;
}

/** Run once, on one region, after every region controller is configured. */
export const MIGRATE_COMMAND = 'sudo maas config-vault migrate';

/**
 * On a region that is already configured: `--yes` lets MAAS overwrite its stored Vault settings
 * without asking. MAAS keeps its Vault client cached, so the region service restarts afterwards.
 */
export function reconfigureCommand(url: string, roleId: string, wrappedToken: string, secretsPath: string, mount: string): string {
  return `${configureCommand(url, roleId, wrappedToken, secretsPath, mount)} --yes`;
}

/** Restarting the region service, per way MAAS was installed. */
export const RESTART_COMMANDS = {
  snap: 'sudo snap restart maas',
  deb: 'sudo systemctl restart maas-regiond',
} as const;
