/** The MAAS commands maas-vault prints; shared by the stack outputs and the CLI. */

/** The exact command a region controller runs; `--mount` is MAAS's flag (not `--secrets-mount`). */
export function configureCommand(url: string, roleId: string, wrappedToken: string, secretsPath: string, mount: string): string {
  return `sudo maas config-vault configure ${url} ${roleId} ${wrappedToken} ${secretsPath} --mount ${mount}`;
}

/** Run once, on one region, after every region controller is configured. */
export const MIGRATE_COMMAND = 'sudo maas config-vault migrate';
