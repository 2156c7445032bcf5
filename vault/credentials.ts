/**
 * Fresh per-controller credentials straight from the Vault API, outside Terraform state: the CI
 * path, run whenever a region controller is (re)configured, since a wrapping token works once.
 */
import { legacyNames, roleName, type MaasVaultConfig } from '../config/index.js';
import { configureCommand } from '../stacks/commands.js';
import type { VaultClient } from './client.js';
import { randomUUID } from 'node:crypto';
import { destroySecretIdAccessorIfPresent, issueWrappedSecretId, listSecretIdAccessors, readRoleId, wrappingExpiry, type WrappedSecretId } from './approle.js';
import { destroyDuplicates } from './duplicate-secret-ids.js';
import { eachController, isControllerNotStarted } from './each-controller.js';

/** What a controller is handed of a new wrapped secret ID: the same fields whether credentials or rotate issued it. */
export function handedOver(name: string, role: string, roleId: string, wrapped: WrappedSecretId, wrapTtl: string) {
  return {
    name,
    role,
    roleId,
    wrappedToken: wrapped.wrappingToken,
    wrapTtl,
    expiresAt: wrappingExpiry(wrapped),
    secretIdAccessor: wrapped.secretIdAccessor,
  };
}

export interface ControllerCredentials {
  name: string;
  role: string;
  roleId: string;
  wrappedToken: string;
  wrapTtl: string;
  /** When the wrapping token expires (ISO 8601). */
  expiresAt: string;
  secretIdAccessor: string;
  command: string;
}

/**
 * Destroys each role's secret IDs other than the one just issued. Call it only once the new
 * credentials are safely delivered (file renamed into place, stdout flushed): until then the
 * older secret IDs are all a region controller has.
 */
export async function revokePreviousSecretIds(
  client: VaultClient,
  issued: readonly Pick<ControllerCredentials, 'role' | 'secretIdAccessor'>[],
): Promise<number> {
  const settled = await revokePreviousEach(client, issued);
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.reduce((sum, outcome) => sum + (outcome.status === 'fulfilled' ? outcome.value : 0), 0);
}

/**
 * As revokePreviousSecretIds, per role: how many it destroyed, or why it could not (the others
 * still go ahead). Once `stop` is aborted no further role is begun (rejected with ControllerNotStarted).
 */
export async function revokePreviousEach(
  client: VaultClient,
  issued: readonly Pick<ControllerCredentials, 'role' | 'secretIdAccessor'>[],
  stop?: AbortSignal,
): Promise<PromiseSettledResult<number>[]> {
  return eachController(
    issued.map(({ role }) => role),
    stop,
    async (role, beforeFirstWrite, index) => {
      const older = (await listSecretIdAccessors(client, role)).filter((accessor) => accessor !== issued[index].secretIdAccessor);
      if (older.length > 0) beforeFirstWrite();
      const destroyed = await Promise.all(older.map((accessor) => destroySecretIdAccessorIfPresent(client, role, accessor)));
      return destroyed.filter(Boolean).length;
    },
  );
}

export interface IssueOptions {
  controllers: readonly string[];
  wrapTtl: string;
  issuedBy?: string;
  /** Once aborted, no further controller is begun: those are listed in `notStarted`. */
  stop?: AbortSignal;
}

export interface IssueOutcome {
  /** In the order of the controllers asked for. */
  issued: ControllerCredentials[];
  failed: { name: string; error: unknown }[];
  /** Controllers not begun because `stop` was aborted first: nothing was written for them. */
  notStarted: string[];
}

/** A wrapped secret ID per controller: one that fails does not hide what the others were issued. */
export async function issueEachCredential(client: VaultClient, config: MaasVaultConfig, options: IssueOptions): Promise<IssueOutcome> {
  // Region controllers are told vault.maasAddress (else the file's vault.address), never VAULT_ADDR.
  const url = config.vault.maasAddress;
  const run = randomUUID();
  const retriesBefore = client.retries;
  const settled = await eachController(options.controllers, options.stop, async (name, beforeFirstWrite) => {
    const role = roleName(config, name);
    // One after the other: when the role ID cannot be read, no secret ID is issued that nobody
    // would ever be handed (a token that ends partway leaves no undelivered credential behind).
    const roleId = await readRoleId(client, role);
    beforeFirstWrite();
    const wrapped = await issueWrappedSecretId(client, role, options.wrapTtl, {
      site: config.site,
      controller: name,
      issued_by: options.issuedBy ?? 'maas-vault credentials',
      issue_run: run,
    });
    return {
      ...handedOver(name, role, roleId, wrapped, options.wrapTtl),
      command: configureCommand(url, roleId, wrapped.wrappingToken, config.secretsPath, config.kv.mount),
    };
  });
  const issued: ControllerCredentials[] = [];
  const failed: IssueOutcome['failed'] = [];
  const notStarted: string[] = [];
  settled.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') issued.push(outcome.value);
    else if (isControllerNotStarted(outcome.reason)) notStarted.push(options.controllers[index]);
    else failed.push({ name: options.controllers[index], error: outcome.reason });
  });
  // A retried write may have been carried out before its answer was lost: keep only the one returned.
  if (client.retries > retriesBefore) await destroyDuplicates(client, run, issued);
  return { issued, failed, notStarted };
}

/**
 * The roles a controller can log in with: its own, and during the name migration (keepLegacyNames)
 * its old one too.
 */
export function controllerRoles(config: MaasVaultConfig, controller: string): string[] {
  return config.keepLegacyNames ? [roleName(config, controller), legacyNames.role(config, controller)] : [roleName(config, controller)];
}

/** Break-glass: destroys every secret ID of a controller's roles, so none can log in again; returns how many this call destroyed. */
export async function revokeController(client: VaultClient, config: MaasVaultConfig, controller: string): Promise<number> {
  const counts = await Promise.all(
    controllerRoles(config, controller).map(async (role) => {
      const accessors = await listSecretIdAccessors(client, role);
      const destroyed = await Promise.all(accessors.map((accessor) => destroySecretIdAccessorIfPresent(client, role, accessor)));
      return destroyed.filter(Boolean).length;
    }),
  );
  return counts.reduce((sum, count) => sum + count, 0);
}
