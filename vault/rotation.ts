/**
 * Rotating a region controller's secret ID without an outage, in two phases. MAAS logs in again
 * with its stored secret_id whenever its token nears expiry, and keeps using it until it is
 * configured with another one and restarted. So `rotate` only adds a secret ID (the old one keeps
 * working while the region is re-configured), and `rotate --finish` later destroys exactly the
 * secret IDs that were live before the rotation began: never the new one, never one issued since.
 */
import { roleName, type MaasVaultConfig } from '../config/index.js';
import { reconfigureCommand, RESTART_COMMANDS } from '../stacks/commands.js';
import type { VaultClient } from './client.js';
import { isVaultApiError } from './errors.js';
import { destroySecretIdAccessor, issueWrappedSecretId, listSecretIdAccessors, readRoleId } from './approle.js';
import type { PendingRotation, RotationRecord } from './rotation-record.js';
import { handedOver, type ControllerCredentials } from './credentials.js';
import { eachController, isControllerNotStarted } from './each-controller.js';

/** A fresh credential like `credentials` issues, and what `--finish` will need. */
export interface RotationStarted extends ControllerCredentials {
  /** The secret IDs `--finish` will destroy (those live when the rotation began). */
  previousAccessors: string[];
  /** True when a rotation of this controller was already pending: its older list is kept. */
  continued: boolean;
  /** What the region runs (`command`: configure --yes), then one restart of the region service. */
  restart: typeof RESTART_COMMANDS;
}

export interface RotationFailure {
  name: string;
  error: Error;
}

export interface BeginResult {
  started: RotationStarted[];
  failed: RotationFailure[];
  /** Controllers not begun because `stop` was aborted first: nothing was written for them, nor recorded. */
  notStarted: string[];
  /** The record to keep: every pending rotation, the new ones included. */
  record: RotationRecord;
}

/**
 * Issues one new wrapped secret ID per controller, after listing the accessors that were live
 * before it. Destroys nothing. A controller that fails is reported and left out of the record.
 */
export async function beginRotation(
  client: VaultClient,
  config: MaasVaultConfig,
  record: RotationRecord,
  options: { controllers: readonly string[]; wrapTtl: string; now?: Date; stop?: AbortSignal },
): Promise<BeginResult> {
  // What region controllers are told: never VAULT_ADDR (see config/load.ts).
  const url = config.vault.maasAddress;
  const startedAt = (options.now ?? new Date()).toISOString();
  const settled = await eachController(options.controllers, options.stop, async (name, beforeFirstWrite) => {
    const role = roleName(config, name);
    // Listed before the new secret ID exists, so it can never be in the list.
    const before = await listSecretIdAccessors(client, role);
    // The role ID first: a secret ID is issued only when it can be handed out.
    const roleId = await readRoleId(client, role);
    beforeFirstWrite();
    const wrapped = await issueWrappedSecretId(client, role, options.wrapTtl, { site: config.site, controller: name, issued_by: 'maas-vault rotate' });
    return { name, role, roleId, wrapped, before };
  });

  const controllers: Record<string, PendingRotation> = { ...record.controllers };
  const started: RotationStarted[] = [];
  const failed: RotationFailure[] = [];
  const notStarted: string[] = [];
  settled.forEach((outcome, index) => {
    const name = options.controllers[index];
    if (outcome.status === 'rejected' && isControllerNotStarted(outcome.reason)) {
      notStarted.push(name);
      return;
    }
    if (outcome.status === 'rejected') {
      failed.push({ name, error: outcome.reason as Error });
      return;
    }
    const { role, roleId, wrapped, before } = outcome.value;
    const pending = controllers[name];
    // A second rotate before --finish keeps the first one's list: the region may already run on
    // the secret ID the first rotate issued, which must survive.
    const continued = pending !== undefined && pending.role === role;
    controllers[name] = continued
      ? {
          ...pending,
          issuedAccessors: [...pending.issuedAccessors, wrapped.secretIdAccessor],
          wrappingAccessors: [...pending.wrappingAccessors, wrapped.wrappingAccessor],
        }
      : {
          role,
          startedAt,
          previousAccessors: before,
          issuedAccessors: [wrapped.secretIdAccessor],
          wrappingAccessors: [wrapped.wrappingAccessor],
        };
    started.push({
      ...handedOver(name, role, roleId, wrapped, options.wrapTtl),
      previousAccessors: controllers[name].previousAccessors,
      continued,
      command: reconfigureCommand(url, roleId, wrapped.wrappingToken, config.secretsPath, config.kv.mount),
      restart: RESTART_COMMANDS,
    });
  });
  return { started, failed, notStarted, record: { ...record, controllers } };
}

export interface FinishPlan {
  name: string;
  role: string;
  /** Older secret IDs still live: the ones --finish destroys. */
  destroy: string[];
  /** Older secret IDs that no longer exist (revoked or destroyed by an earlier, interrupted --finish). */
  alreadyGone: number;
  /** Why this controller must not be finished now; nothing of it is destroyed. */
  blocked?: string;
}

/**
 * What `--finish` would destroy for each pending controller, checked against Vault now. A
 * controller is blocked when destroying its older secret IDs would leave the region without a
 * working one: the new secret IDs are gone, or the region has not unwrapped any of them yet.
 */
export async function planFinish(client: VaultClient, config: MaasVaultConfig, record: RotationRecord, controllers: readonly string[]): Promise<FinishPlan[]> {
  return Promise.all(
    controllers.map(async (name) => {
      const pending = record.controllers[name];
      const role = roleName(config, name);
      const plan: FinishPlan = { name, role, destroy: [], alreadyGone: 0 };
      if (pending.role !== role) {
        return {
          ...plan,
          blocked: `the rotation was begun for role ${pending.role}, but the config now names role ${role}: run \`maas-vault rotate --controller ${name}\` again`,
        };
      }
      const live = new Set(await listSecretIdAccessors(client, role));
      const issued = new Set(pending.issuedAccessors);
      const older = pending.previousAccessors.filter((accessor) => !issued.has(accessor));
      plan.destroy = older.filter((accessor) => live.has(accessor));
      plan.alreadyGone = older.length - plan.destroy.length;
      if (!pending.issuedAccessors.some((accessor) => live.has(accessor))) {
        return {
          ...plan,
          blocked: `the secret ID that \`rotate\` issued no longer exists, so the region cannot be running on it: run \`maas-vault rotate --controller ${name}\` again`,
        };
      }
      if (plan.destroy.length > 0 && (await allStillWrapped(client, pending.wrappingAccessors))) {
        return {
          ...plan,
          blocked: `its new wrapping token has not been unwrapped yet, so the region has not run configure with it: run the command \`rotate\` printed on ${name} (or \`maas-vault rotate --controller ${name}\` for a fresh one), restart it, then finish`,
        };
      }
      return plan;
    }),
  );
}

/**
 * True only when Vault says every one of these wrapping tokens still exists (none was unwrapped).
 * A token that was unwrapped or expired is gone; a token not allowed to look accessors up cannot
 * tell, and then the admin's confirmation is all there is.
 */
async function allStillWrapped(client: VaultClient, wrappingAccessors: readonly string[]): Promise<boolean> {
  if (wrappingAccessors.length === 0) return false;
  const answers = await Promise.all(
    wrappingAccessors.map((accessor) =>
      client.write('auth/token/lookup-accessor', { accessor }, { accept: [400, 403, 404] }).then(
        (response) => response.status,
        () => 0,
      ),
    ),
  );
  return answers.every((status) => status === 200);
}

/** Destroys the planned accessors of one controller; one that vanished meanwhile counts as gone. */
export async function destroyOlderSecretIds(client: VaultClient, plan: FinishPlan): Promise<number> {
  const results = await Promise.all(
    plan.destroy.map((accessor) =>
      destroySecretIdAccessor(client, plan.role, accessor).then(
        () => 1,
        (error: unknown) => {
          if (isVaultApiError(error, 400, 404)) return 0;
          throw error;
        },
      ),
    ),
  );
  return results.reduce((sum, count) => sum + count, 0);
}
