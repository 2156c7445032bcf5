/**
 * Compares a live Vault with what the config says it should be, without the engine: what an
 * admin runs first when MAAS reports a Vault problem, and what CI runs to catch drift.
 *
 * "Drift" is exactly what the engine's plan would change: every setting the stack writes (and
 * every one the provider plans back to its zero value), compared after Vault's normalization.
 * Beside it, status reports what the plan cannot see: roles in the site's namespace that neither
 * the config nor the stack's state names, spent or expired wrapping tokens in the state, a
 * standby node. Each finding says what to run.
 */
import { formatDuration, issuerPolicyName, roleName, secretIdExpiryAlarm, type MaasVaultConfig } from '../config/index.js';
import { desiredSite, type DesiredPolicy, type DesiredRole, type DesiredSite } from '../site/site.js';
import { ROLE_SETTINGS } from '../site/role-settings.js';
import type { RotatedCredential } from './rotation-record.js';
import type { VaultClient } from './client.js';
import { APPROLE_MOUNT, listSecretIdAccessors, lookupSecretIdAccessor, lookupWrappingToken, readRole, rolePath, type SecretIdInfo } from './approle.js';
import { readPolicy } from './acl-policy.js';
import { readLeader } from './cluster.js';
import { readKvConfig, readMounts } from './mounts.js';
import { isVaultApiError, isWrappingTokenInvalid, VaultNotInitializedError, VaultSealedError, type VaultError } from './errors.js';
import { approleMountDrift, kvMountDrift, kvSettingsDrift, policyDifference, roleDrift, secretIdDrift, type FieldDifference } from '../site/compare.js';
import { claimRole } from '../site/site-roles.js';
import { allInOrder } from './in-order.js';
import { flavourOf, serverCli, type ServerFlavour } from './server-flavour.js';
import type { StackInventory } from '../engine/state.js';

export interface ServerInfo {
  address: string;
  flavour: ServerFlavour;
  version: string;
  sealed: boolean;
  /** False on a server no one has run `operator init` on yet (it reports itself sealed too). */
  initialized: boolean;
  /** False on a standby node of an HA cluster (requests are forwarded to the leader). */
  active?: boolean;
  leaderAddress?: string;
}

/**
 * drift: the plan would change it (exit 4). extra: in the site's namespace but unknown to both the
 * config and the stack (exit 4; the plan cannot see it). note: worth knowing, not a difference.
 */
export type FindingKind = 'drift' | 'extra' | 'note';

export interface Finding {
  kind: FindingKind;
  /** What differs, in words. */
  text: string;
  /** What to run about it. */
  fix: string;
  /**
   * Set on an object that is missing and that the stack's state does not hold either: what to say
   * instead ("not created yet", and this fix) when the whole site turns out never to have been applied.
   */
  whenNew?: string;
}

export interface StatusCheck {
  /** What was checked, e.g. `role maas-lab-region-1`. */
  subject: string;
  ok: boolean;
  findings: Finding[];
  /** The findings as lines: text and fix. */
  problems: string[];
}

export interface StatusReport {
  server: ServerInfo;
  checks: StatusCheck[];
  drift: boolean;
  /**
   * Nothing of the site exists, in Vault or in the stack's state: it was never applied. Every
   * difference is then "not created yet" (exit 5), not a loss to recover from.
   */
  notCreated: boolean;
}

const EMPTY_INVENTORY: StackInventory = { roles: [], policies: [], secretIds: [], kvMounts: [], authMounts: [] };

const APPLY_SETS_IT_BACK = '`maas-vault apply` sets it back';

/** Unauthenticated: reachable, sealed, flavour and version. */
export async function serverInfo(client: VaultClient): Promise<ServerInfo> {
  const body = await client.sealStatus();
  return { address: client.address, flavour: flavourOf(body), version: body.version, sealed: body.sealed, initialized: body.initialized !== false };
}

/** Why a server cannot answer yet, in its own CLI's words: not initialized, or sealed. */
export function notReadyError(server: ServerInfo): VaultError {
  const cli = serverCli(server.flavour);
  return server.initialized ? new VaultSealedError(server.address, cli) : new VaultNotInitializedError(server.address, cli);
}

async function leaderInfo(client: VaultClient): Promise<{ active: boolean; leaderAddress?: string }> {
  const leader = await readLeader(client, { accept: [400, 404, 500, 503] });
  if (!leader.ha_enabled) return { active: true };
  return { active: Boolean(leader.is_self), leaderAddress: leader.leader_address || undefined };
}

/**
 * `rotated`: controllers whose secret ID is managed by rotation (vault/rotation-record.ts): the
 * stack issues them none, and the secret ID `rotate` handed them is checked instead.
 */
export async function checkStatus(
  client: VaultClient,
  config: MaasVaultConfig,
  inventory: StackInventory = EMPTY_INVENTORY,
  rotated: ReadonlyMap<string, RotatedCredential> = new Map(),
): Promise<StatusReport> {
  const server = await serverInfo(client);
  if (server.sealed) return { server, checks: [], drift: true, notCreated: false };
  Object.assign(server, await leaderInfo(client));

  // During the migration from the old names the stack keeps a second, legacy set alive: so does status.
  const site = desiredSite(config);
  const expectedRoles = new Set(site.roles.map((role) => role.name));
  const legacy = (names: string) => (names === 'legacy' ? ' (legacy name)' : '');
  const policyCheck = (policy: DesiredPolicy) => check(`policy ${policy.name}${legacy(policy.names)}`, () => checkPolicy(client, policy, inventory));
  const issuerReconfigure = 'hand CI the new issuer role ID (`issuer_role_id` output) and a new secret ID for it';

  const checks = await allInOrder([
    check(`approle auth at ${APPROLE_MOUNT}/`, () => checkApprole(client, site, inventory)),
    check(`KV-v2 at ${config.kv.mount}/`, () => checkKv(client, site, inventory)),
    ...site.policies.filter((policy) => policy.kind === 'maas').map(policyCheck),
    ...site.roles
      .filter((role) => role.kind === 'controller')
      .map((role) =>
        check(`role ${role.name}`, async () => [
          ...(await checkRole(client, role, inventory, `run the configure command it prints on ${role.controller}`)),
          ...(await checkStackSecretId(client, config, role, inventory, rotated.get(role.controller!))),
        ]),
      ),
    ...site.roles
      .filter((role) => role.kind === 'issuer')
      .flatMap((role) => [
        check(`role ${role.name}${legacy(role.names)}`, () => checkRole(client, role, inventory, issuerReconfigure)),
        policyCheck(site.policies.find((policy) => policy.name === role.policy)!),
      ]),
    check(`other roles of site ${config.site}`, () => checkOtherRoles(client, config, site, expectedRoles, inventory)),
    check('policies the stack no longer needs', async () => {
      const wanted = new Set(site.policies.map((policy) => policy.name));
      return inventory.policies
        .filter((name) => !wanted.has(name))
        .map((name) => drift(`policy ${name} was created by the stack but the config no longer names it`, '`maas-vault apply` deletes it'));
    }),
    check('wrapping tokens in the state', () => checkWrappingTokens(client, config, inventory)),
  ]);
  if (server.active === false) {
    checks.push({
      subject: 'this node',
      ok: true,
      findings: [
        note(
          `is a standby${server.leaderAddress ? `; the active node is ${server.leaderAddress}` : ''}`,
          'nothing: requests are forwarded to the active node; point VAULT_ADDR at it to avoid the extra hop',
        ),
      ],
      problems: [],
    });
    checks.at(-1)!.problems = checks.at(-1)!.findings.map(line);
  }
  const notCreated = neverApplied(inventory, checks);
  for (const item of checks) {
    item.findings = item.findings.map(({ whenNew, ...finding }) =>
      notCreated && whenNew ? { kind: finding.kind, text: 'not created yet', fix: whenNew } : finding,
    );
    item.problems = item.findings.map(line);
  }
  return { server, checks, drift: checks.some((item) => !item.ok), notCreated };
}

/**
 * A site is new when its state holds nothing and every difference is an object missing from
 * Vault that the state never held: one of its roles or policies found in Vault, and a missing
 * object is a loss, said as such. The mounts may be there already (shared with other uses).
 */
function neverApplied(inventory: StackInventory, checks: StatusCheck[]): boolean {
  const stateHolds =
    inventory.roles.length + inventory.policies.length + inventory.secretIds.length + (inventory.kvMounts?.length ?? 0) + (inventory.authMounts?.length ?? 0);
  if (stateHolds > 0) return false;
  const differences = checks.flatMap((item) => item.findings).filter((finding) => finding.kind !== 'note');
  const siteObjects = checks.filter((item) => /^(role|policy) /.test(item.subject));
  return (
    differences.length > 0 &&
    differences.every((finding) => finding.whenNew !== undefined) &&
    siteObjects.every((item) => item.findings.some((finding) => finding.whenNew !== undefined))
  );
}

async function check(subject: string, run: () => Promise<Finding[]>): Promise<StatusCheck> {
  const findings = await run();
  return { subject, ok: findings.every((finding) => finding.kind === 'note'), findings, problems: findings.map(line) };
}

function line(finding: Finding): string {
  return `${finding.text}: ${finding.fix}`;
}

function drift(text: string, fix: string): Finding {
  return { kind: 'drift', text, fix };
}

function note(text: string, fix: string): Finding {
  return { kind: 'note', text, fix };
}

function settingDrift(difference: FieldDifference): Finding {
  // Why a role field matters to MAAS, said beside its difference (site/role-settings.ts).
  const why = difference.field in ROLE_SETTINGS ? ROLE_SETTINGS[difference.field as keyof typeof ROLE_SETTINGS].atDrift : undefined;
  return drift(
    `${difference.field} is ${JSON.stringify(difference.actual)}, expected ${JSON.stringify(difference.expected)}${why ? `: ${why}` : ''}`,
    APPLY_SETS_IT_BACK,
  );
}

/**
 * A mount that is there but not in the stack's state was not created by it (a site set up by hand,
 * or another application's): the plan would try to create it, and pre-flight refuses that.
 */
function notTheStacksMount(key: 'kv' | 'approle'): Finding {
  return note(
    "exists, but the stack's state does not hold it, so its description and options are not the stack's to compare",
    `set ${key}.adopt to true for \`maas-vault apply\` to use it as it is (apply's pre-flight refuses to take it over otherwise)`,
  );
}

async function checkApprole(client: VaultClient, site: DesiredSite, inventory: StackInventory): Promise<Finding[]> {
  const mount = (await readMounts(client, 'auth')).get(APPROLE_MOUNT);
  if (!mount) {
    return site.approle.adopt
      ? [
          drift(
            'not enabled, and approle.adopt is true so the stack does not enable it',
            `enable it with ${await client.cliCommand('auth enable approle')}, or set approle.adopt to false, then \`maas-vault apply\``,
          ),
        ]
      : [
          {
            ...drift(
              'not enabled: MAAS logs in at auth/approle/login, and every role on it went with it',
              '`maas-vault apply` enables it and re-creates every role with a new role ID: run the configure command it prints on every region controller',
            ),
            whenNew: '`maas-vault apply` enables it',
          },
        ];
  }
  if (mount.type !== 'approle')
    return [
      drift(
        `mounted, but of type ${mount.type}`,
        `disable that mount (${await client.cliCommand(`auth disable ${APPROLE_MOUNT}`)}), then \`maas-vault apply\``,
      ),
    ];
  if (site.approle.adopt) return [];
  if (!inventory.authMounts?.includes(APPROLE_MOUNT)) return [notTheStacksMount('approle')];
  return approleMountDrift(site.approle, mount).map(settingDrift);
}

async function checkKv(client: VaultClient, site: DesiredSite, inventory: StackInventory): Promise<Finding[]> {
  const { kv } = site;
  const mount = (await readMounts(client, 'secrets')).get(kv.mount);
  if (!mount) {
    return kv.adopt
      ? [
          drift(
            'not mounted: MAAS would fail with "no handler for route"; kv.adopt is true, so the stack does not create it',
            `mount it (${await client.cliCommand(`secrets enable -path=${kv.mount} kv-v2`)}, and restore MAAS's secrets from a backup), ` +
              'or set kv.adopt to false; then `maas-vault apply`',
          ),
        ]
      : [
          {
            ...drift(
              'not mounted: MAAS would fail with "no handler for route"',
              "`maas-vault apply` mounts it again, empty: restore MAAS's secrets from a backup (or run `maas config-vault migrate` again)",
            ),
            whenNew: "`maas-vault apply` mounts it; then `maas config-vault migrate` on one region controller moves MAAS's secrets in",
          },
        ];
  }
  const findings: Finding[] = [];
  if (mount.type !== 'kv' || mount.options?.version !== '2') {
    findings.push(
      drift(`is ${mount.type} version ${mount.options?.version ?? '1'}, not KV version 2`, '`maas-vault apply` replaces the mount (its data is lost)'),
    );
  } else if (!kv.adopt && !inventory.kvMounts?.includes(kv.mount)) {
    findings.push(notTheStacksMount('kv'));
  } else if (!kv.adopt) {
    findings.push(...kvMountDrift(kv, mount).map(settingDrift));
  }
  const settings = await readKvConfig(client, kv.mount);
  if (settings) {
    if (settings.cas_required) findings.push(drift('cas_required is true: MAAS writes without check-and-set, so every write would fail', APPLY_SETS_IT_BACK));
    findings.push(...kvSettingsDrift(kv, settings).map(settingDrift));
  }
  return findings;
}

async function checkPolicy(client: VaultClient, policy: DesiredPolicy, inventory: StackInventory): Promise<Finding[]> {
  const { name, kind: which } = policy;
  const live = await readPolicy(client, name);
  if (live === undefined) {
    return [
      { ...drift('missing', '`maas-vault apply` writes it again'), ...(inventory.policies.includes(name) ? {} : { whenNew: '`maas-vault apply` writes it' }) },
    ];
  }
  // The provider compares the text exactly as Vault stores it: so does this.
  const difference = policyDifference(policy, live);
  if (difference.kind === 'same') return [];
  return [drift(`differs from \`maas-vault policy ${which}\` (${difference.where})`, '`maas-vault apply` writes the rendered text back')];
}

async function checkRole(client: VaultClient, role: DesiredRole, inventory: StackInventory, reconfigure: string): Promise<Finding[]> {
  const live = await readRole(client, APPROLE_MOUNT, role.name);
  if (!live) {
    return inventory.roles.includes(role.name)
      ? [drift('missing (deleted outside the stack)', `\`maas-vault apply\` re-creates it with a new role ID; then ${reconfigure}`)]
      : [
          {
            ...drift('not created yet', `\`maas-vault apply\` creates it; then ${reconfigure}`),
            whenNew: `\`maas-vault apply\` creates it; then ${reconfigure}`,
          },
        ];
  }
  return roleDrift(role, live).map(settingDrift);
}

/** The secret ID the stack issued for a controller: still there, and issued as the config now says. */
async function checkStackSecretId(
  client: VaultClient,
  config: MaasVaultConfig,
  desired: DesiredRole,
  inventory: StackInventory,
  rotated: RotatedCredential | undefined,
): Promise<Finding[]> {
  const { name: role, controller = '' } = desired;
  const issued = inventory.secretIds.find((secretId) => secretId.role === role);
  if (desired.revoked) {
    return issued ? [drift('has a secret ID the stack issued, and the controller is marked revoked', '`maas-vault apply` destroys it')] : [];
  }
  if (!config.stackSecretIds) {
    return issued
      ? [
          drift(
            'has a secret ID the stack issued, and stackSecretIds is false',
            '`maas-vault apply` destroys it: hand the controller a credential from `maas-vault credentials` first',
          ),
        ]
      : config.secretIdTtl === undefined
        ? []
        : lastSecretIdExpiry(client, role, controller);
  }
  if (rotated && rotated.role === role) return checkRotatedSecretId(client, controller, role, issued, rotated);
  if (!issued) {
    return inventory.roles.includes(role)
      ? [drift('has no secret ID from the stack', `\`maas-vault apply\` issues one; run the configure command it prints on ${controller}`)]
      : [];
  }
  const findings: Finding[] = [];
  const reissue = `\`maas-vault apply\` issues a new one; run the configure command it prints on ${controller}`;
  // Neither revoked nor left to CI, so the desired site issues this role a secret ID.
  const expected = desired.secretId!;
  for (const difference of secretIdDrift(expected, issued)) {
    const metadata = difference.actual as Record<string, unknown> | undefined;
    findings.push(
      difference.field === 'metadata'
        ? drift(`its secret ID was issued for generation ${String(metadata?.generation)}, the config says ${config.generation}`, reissue)
        : drift(`its secret ID was wrapped for ${issued.wrappingTtl}, the config says wrapTtl ${config.wrapTtl}`, reissue),
    );
  }
  const lookup = await lookupSecretIdAccessor(client, role, issued.accessor).catch((error: unknown) => {
    // The role itself is gone: the role's own finding says so.
    if (isVaultApiError(error) && /does not exist/i.test(error.errors.join(' '))) return { status: 0 };
    throw error;
  });
  if (lookup.status === 404) findings.push(drift('the secret ID the stack issued no longer exists (destroyed or expired)', reissue));
  const expiry = 'data' in lookup ? expiryFinding(lookup.data, controller) : undefined;
  if (expiry) findings.push(expiry);
  return findings;
}

/**
 * Where CI hands out every secret ID (`credentials`), status knows none of them by accessor: the
 * region runs on one of the role's live secret IDs, so when even the last to expire is near its
 * end, the region is about to be locked out.
 */
async function lastSecretIdExpiry(client: VaultClient, role: string, controller: string): Promise<Finding[]> {
  const accessors = await listSecretIdAccessors(client, role).catch((error: unknown) => {
    // The role itself is gone: the role's own finding says so.
    if (isVaultApiError(error) && /does not exist/i.test(error.errors.join(' '))) return [];
    throw error;
  });
  const answers = await Promise.all(accessors.map((accessor) => lookupSecretIdAccessor(client, role, accessor)));
  const live = answers.filter((answer) => answer.status === 200).map((answer) => answer.data);
  // One that never expires (issued before secretIdTtl was set) keeps the region in: nothing to say.
  const expiresAt = (info: SecretIdInfo | undefined) => (expiryFinding(info, controller) ? Date.parse(info!.expiration_time!) : Infinity);
  const last = live.reduce<SecretIdInfo | undefined>(
    (latest, info) => (latest === undefined || expiresAt(info) > expiresAt(latest) ? info : latest),
    undefined,
  );
  const finding = last ? expiryFinding(last, controller) : undefined;
  return finding ? [finding] : [];
}

/**
 * A secret ID with an expiration (secretIdTtl): MAAS never fetches a new one, so the region is
 * locked out when it expires. The time left is a note; under a quarter of the secret ID's life
 * (at most a day, config/secret-id-ttl.ts) it is a problem, exit 4. One that never expires says nothing.
 */
function expiryFinding(info: SecretIdInfo | undefined, controller: string, now = Date.now()): Finding | undefined {
  const expires = Date.parse(info?.expiration_time ?? '');
  if (!Number.isFinite(expires) || new Date(expires).getUTCFullYear() < 2) return undefined;
  const created = Date.parse(info?.creation_time ?? '');
  const life = Number.isFinite(created) ? Math.round((expires - created) / 1000) : undefined;
  const left = Math.max(0, Math.floor((expires - now) / 1000));
  const at = new Date(expires).toISOString();
  const rotate = `\`maas-vault rotate --controller ${controller}\`, run the configure command it prints on ${controller}, then \`maas-vault rotate --finish\``;
  if (life !== undefined && left < secretIdExpiryAlarm(life)) {
    return drift(
      `its secret ID expires in ${formatDuration(left)} (at ${at}), less than a quarter of its ${formatDuration(life)} life (or a day): ` +
        `${controller} is then locked out of Vault, and MAAS cannot read its secrets`,
      rotate,
    );
  }
  return note(`its secret ID expires in ${formatDuration(left)} (at ${at}; secretIdTtl)`, `before then: ${rotate}`);
}

/** A controller whose rotation finished: the secret ID `rotate` handed it is its credential, the stack issues none. */
async function checkRotatedSecretId(
  client: VaultClient,
  controller: string,
  role: string,
  issued: { accessor: string } | undefined,
  rotated: RotatedCredential,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (issued) {
    findings.push(
      drift(
        `its secret ID is managed by \`maas-vault rotate\` (finished ${rotated.finishedAt}), but the stack's state still lists the one the stack issued before`,
        '`maas-vault apply` drops it from the state (destroying it if it still exists) and issues none',
      ),
    );
  }
  const answers = await Promise.all(
    rotated.secretIdAccessors.map((accessor) =>
      lookupSecretIdAccessor(client, role, accessor).then(
        (response) => ({ live: response.status === 200, info: response.data }),
        (error: unknown) => {
          // The role itself is gone: the role's own finding says so.
          if (isVaultApiError(error) && /does not exist/i.test(error.errors.join(' '))) return { live: true, info: undefined };
          throw error;
        },
      ),
    ),
  );
  // The region may run on any of them: one near its end is a problem.
  const expiries = answers.filter((answer) => answer.live).map((answer) => expiryFinding(answer.info, controller));
  const soonest = expiries.find((finding) => finding?.kind === 'drift') ?? expiries.find(Boolean);
  if (soonest) findings.push(soonest);
  if (!answers.some((answer) => answer.live)) {
    findings.push(
      drift(
        `its secret ID is managed by \`maas-vault rotate\`, and the one rotation handed it no longer exists (destroyed or expired)`,
        `\`maas-vault rotate --controller ${controller}\` issues a new one; run the configure command it prints on ${controller}, then \`rotate --finish\``,
      ),
    );
  }
  return findings;
}

async function checkOtherRoles(
  client: VaultClient,
  config: MaasVaultConfig,
  site: DesiredSite,
  expected: Set<string>,
  inventory: StackInventory,
): Promise<Finding[]> {
  const listed = await client.list(`auth/${APPROLE_MOUNT}/role`, { accept: [404] });
  const candidates = (listed.data?.keys ?? []).filter((role) => !expected.has(role));
  const ourPolicies = new Set([...site.policies.map((policy) => policy.name), issuerPolicyName(config)]);
  const findings = await allInOrder(
    candidates.map(async (role): Promise<Finding | undefined> => {
      if (inventory.roles.includes(role)) {
        return drift(
          `role ${role} was created by the stack but the config no longer names it`,
          '`maas-vault apply --replace-roles` deletes it, and whoever logs in with it is cut off',
        );
      }
      const claim = claimRole(config, role);
      if (claim === 'not-ours') return undefined;
      if (claim === 'ambiguous') {
        // Its name fits another site too: it is this site's only if it carries this site's policies.
        const settings = await readRole(client, APPROLE_MOUNT, role);
        if (!(settings?.token_policies ?? []).some((policy) => ourPolicies.has(policy))) return undefined;
      }
      return {
        kind: 'extra',
        text: `role ${role} is in site ${config.site}'s namespace, but neither the config nor the stack's state names it (the plan cannot see it)`,
        fix: `delete it (${await client.cliCommand(`delete ${rolePath(role)}`)}) if nothing logs in with it, or add its controller to the config`,
      };
    }),
  );
  return findings.filter((finding): finding is Finding => finding !== undefined);
}

/** Spent or expired wrapping tokens in the state: the plan keeps them, the commands printed with them are dead. */
async function checkWrappingTokens(client: VaultClient, config: MaasVaultConfig, inventory: StackInventory): Promise<Finding[]> {
  const names = new Map(config.controllers.map((controller) => [roleName(config, controller.name), controller.name]));
  const findings = await allInOrder(
    inventory.secretIds.map(async (issued): Promise<Finding | undefined> => {
      const controller = names.get(issued.role);
      if (!controller || !issued.wrappingToken) return undefined;
      try {
        await lookupWrappingToken(client, issued.wrappingToken);
        return undefined;
      } catch (error) {
        if (!isWrappingTokenInvalid(error)) throw error;
        return note(
          `the wrapping token of ${controller} in the state was already unwrapped or has expired: \`maas-vault output\` prints its command as spent`,
          `nothing if ${controller} is configured; otherwise \`maas-vault credentials --controller ${controller}\``,
        );
      }
    }),
  );
  return findings.filter((finding): finding is Finding => finding !== undefined);
}
