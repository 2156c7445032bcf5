/** The MAAS commands maas-vault prints; shared by the stack outputs and the CLI. */

/** The exact command a region controller runs; `--mount` is MAAS's flag (not `--secrets-mount`). */
export function configureCommand(url: string, roleId: string, wrappedToken: string, secretsPath: string, mount: string): string {
  return `sudo maas config-vault configure ${url} ${roleId} ${wrappedToken} ${secretsPath} --mount ${mount}`;
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
