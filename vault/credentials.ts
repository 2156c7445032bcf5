/**
 * Fresh per-controller credentials straight from the Vault API, outside Terraform state: the CI
 * path, run whenever a region controller is (re)configured, since a wrapping token works once.
 */
import { roleName, type MaasVaultConfig } from '../config/index.js';
import { configureCommand } from '../stacks/commands.js';
import type { VaultClient } from './client.js';
import { randomUUID } from 'node:crypto';
import { destroySecretIdAccessor, issueWrappedSecretId, listSecretIdAccessors, readRoleId } from './approle.js';
import { destroyDuplicates } from './duplicate-secret-ids.js';

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
  /** Accessors of older secret IDs destroyed by --revoke-previous. */
  revoked: number;
}

export interface IssueOptions {
  controllers: readonly string[];
  wrapTtl: string;
  /** Destroy the role's other secret IDs once the new one exists. */
  revokePrevious?: boolean;
  issuedBy?: string;
}

export async function issueCredentials(client: VaultClient, config: MaasVaultConfig, options: IssueOptions): Promise<ControllerCredentials[]> {
  const url = config.vault.maasAddress ?? config.vault.address;
  const run = randomUUID();
  const retriesBefore = client.retries;
  const issued = await Promise.all(
    options.controllers.map(async (name) => {
      const role = roleName(config, name);
      const [roleId, wrapped] = await Promise.all([
        readRoleId(client, role),
        issueWrappedSecretId(client, role, options.wrapTtl, {
          site: config.site,
          controller: name,
          issued_by: options.issuedBy ?? 'maas-vault credentials',
          issue_run: run,
        }),
      ]);
      let revoked = 0;
      if (options.revokePrevious) {
        const older = (await listSecretIdAccessors(client, role)).filter((accessor) => accessor !== wrapped.secretIdAccessor);
        await Promise.all(older.map((accessor) => destroySecretIdAccessor(client, role, accessor)));
        revoked = older.length;
      }
      return {
        name,
        role,
        roleId,
        wrappedToken: wrapped.wrappingToken,
        wrapTtl: options.wrapTtl,
        expiresAt: new Date(Date.parse(wrapped.creationTime) + wrapped.ttlSeconds * 1000).toISOString(),
        secretIdAccessor: wrapped.secretIdAccessor,
        command: configureCommand(url, roleId, wrapped.wrappingToken, config.secretsPath, config.kv.mount),
        revoked,
      };
    }),
  );
  // A retried write may have been carried out before its answer was lost: keep only the one returned.
  if (client.retries > retriesBefore) await destroyDuplicates(client, run, issued);
  return issued;
}

/** Break-glass: destroys every secret ID of a controller's role, so none can log in again. */
export async function revokeController(client: VaultClient, config: MaasVaultConfig, controller: string): Promise<number> {
  const role = roleName(config, controller);
  const accessors = await listSecretIdAccessors(client, role);
  await Promise.all(accessors.map((accessor) => destroySecretIdAccessor(client, role, accessor)));
  return accessors.length;
}
