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
import { issuerPolicyName, issuerRoleName, roleName, seconds, type MaasVaultConfig } from '../config/index.js';
import { legacyNames } from '../config/naming.js';
import { issuerPolicyFor, maasPolicyFor } from '../policies/render.js';
import type { RotatedCredential } from './rotation-record.js';
import { APPROLE_MOUNT_DESCRIPTION, KV_MOUNT_DESCRIPTION, stackSecretIdMetadata } from '../stacks/managed-settings.js';
import type { VaultClient } from './client.js';
import { APPROLE_MOUNT, lookupWrappingToken, rolePath } from './approle.js';
import { isVaultApiError, isWrappingTokenInvalid, VaultNotInitializedError, VaultSealedError, type VaultError } from './errors.js';
import { differences, firstDifferentLine, normalizeTokenCidr, sortedSet, type FieldDifference } from './status-compare.js';
import { claimRole } from './site-roles.js';
import { allInOrder } from './in-order.js';
import { flavourOf, serverCli, type SealStatusBody, type ServerFlavour } from './server-flavour.js';
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
  const status = await client.read<never>('sys/seal-status', { token: null });
  const body = status as unknown as SealStatusBody & { sealed: boolean; version: string };
  return { address: client.address, flavour: flavourOf(body), version: body.version, sealed: body.sealed, initialized: body.initialized !== false };
}

/** Why a server cannot answer yet, in its own CLI's words: not initialized, or sealed. */
export function notReadyError(server: ServerInfo): VaultError {
  const cli = serverCli(server.flavour);
  return server.initialized ? new VaultSealedError(server.address, cli) : new VaultNotInitializedError(server.address, cli);
}

async function leaderInfo(client: VaultClient): Promise<{ active: boolean; leaderAddress?: string }> {
  const leader = (await client.read<never>('sys/leader', { token: null, accept: [400, 404, 500, 503] })) as unknown as {
    ha_enabled?: boolean;
    is_self?: boolean;
    leader_address?: string;
  };
  if (!leader.ha_enabled) return { active: true };
  return { active: Boolean(leader.is_self), leaderAddress: leader.leader_address || undefined };
}

interface RoleSettings {
  token_policies: string[] | null;
  token_ttl: number;
  token_max_ttl: number;
  token_explicit_max_ttl: number;
  token_period: number;
  token_type: string;
  token_num_uses: number;
  token_no_default_policy: boolean;
  token_bound_cidrs: string[] | null;
  bind_secret_id: boolean;
  secret_id_num_uses: number;
  secret_id_ttl: number;
  secret_id_bound_cidrs: string[] | null;
  alias_metadata?: Record<string, string> | null;
}

/** A role as the stack writes it; every other managed field is expected at its zero value. */
interface ExpectedRole {
  policy: string;
  tokenTtl: number;
  tokenMaxTtl: number;
  secretIdTtl: number;
  cidrs: readonly string[];
}

/** Why a field matters to MAAS, said beside its difference. */
const WHY: Record<string, string> = {
  token_num_uses: 'MAAS tokens must not run out of uses',
  secret_id_num_uses: 'MAAS logs in with the same secret_id again and again',
  token_no_default_policy: 'MAAS needs auth/token/lookup-self from the default policy',
  token_type: 'MAAS renews its token, which a batch token cannot do',
  bind_secret_id: 'without it, the role ID alone logs in',
};

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

  const controllerRoles = config.controllers.map((controller) => ({ controller, role: roleName(config, controller.name), policy: config.policy.name }));
  // During the migration from the old names the stack keeps a second, legacy set alive: so does status.
  const legacyRoles = config.keepLegacyNames
    ? config.controllers.map((controller) => ({ controller, role: legacyNames.role(config, controller.name), policy: legacyNames.policy(config) }))
    : [];
  const expectedRoles = new Set([...controllerRoles, ...legacyRoles].map(({ role }) => role));
  if (config.issuer.enabled) expectedRoles.add(issuerRoleName(config));
  if (config.issuer.enabled && config.keepLegacyNames) expectedRoles.add(legacyNames.issuerRole(config));

  const checks = await allInOrder([
    check(`approle auth at ${APPROLE_MOUNT}/`, () => checkApprole(client, config, inventory)),
    check(`KV-v2 at ${config.kv.mount}/`, () => checkKv(client, config, inventory)),
    check(`policy ${config.policy.name}`, () => checkPolicy(client, config.policy.name, 'maas', maasPolicyFor(config), inventory),
    ),
    ...(config.keepLegacyNames
      ? [check(`policy ${legacyNames.policy(config)} (legacy name)`, () => checkPolicy(client, legacyNames.policy(config), 'maas', maasPolicyFor(config), inventory))]
      : []),
    ...[...controllerRoles, ...legacyRoles].map(({ controller, role, policy }) =>
      check(`role ${role}`, async () => [
        ...(await checkRole(client, role, inventory, {
          policy,
          tokenTtl: seconds(config.tokenTtl),
          tokenMaxTtl: config.tokenMaxTtl === undefined ? 0 : seconds(config.tokenMaxTtl),
          secretIdTtl: config.secretIdTtl === undefined ? 0 : seconds(config.secretIdTtl),
          cidrs: controller.cidrs ?? [],
        }, `run the configure command it prints on ${controller.name}`)),
        ...(await checkStackSecretId(client, config, controller.name, role, inventory, rotated.get(controller.name))),
      ]),
    ),
    ...(config.issuer.enabled
      ? [
          check(`role ${issuerRoleName(config)}`, () =>
            checkRole(client, issuerRoleName(config), inventory, issuerRoleExpected(config, issuerPolicyName(config)), 'hand CI the new issuer role ID (`issuer_role_id` output) and a new secret ID for it'),
          ),
          check(`policy ${issuerPolicyName(config)}`, () => checkPolicy(client, issuerPolicyName(config), 'issuer', issuerPolicyFor(config), inventory),
          ),
        ]
      : []),
    ...(config.issuer.enabled && config.keepLegacyNames
      ? [
          check(`role ${legacyNames.issuerRole(config)} (legacy name)`, () =>
            checkRole(client, legacyNames.issuerRole(config), inventory, issuerRoleExpected(config, legacyNames.issuerPolicy(config)), 'hand CI the new issuer role ID (`issuer_role_id` output) and a new secret ID for it'),
          ),
          check(`policy ${legacyNames.issuerPolicy(config)} (legacy name)`, () =>
            checkPolicy(client, legacyNames.issuerPolicy(config), 'issuer', issuerPolicyFor(config, legacyRoles.filter(({ controller }) => !controller.revoked).map(({ role }) => role)), inventory),
          ),
        ]
      : []),
    check(`other roles of site ${config.site}`, () => checkOtherRoles(client, config, expectedRoles, inventory)),
    check('policies the stack no longer needs', async () => {
      const wanted = new Set(sitePolicies(config));
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
      findings: [note(`is a standby${server.leaderAddress ? `; the active node is ${server.leaderAddress}` : ''}`, 'nothing: requests are forwarded to the active node; point VAULT_ADDR at it to avoid the extra hop')],
      problems: [],
    });
    checks.at(-1)!.problems = checks.at(-1)!.findings.map(line);
  }
  const notCreated = neverApplied(inventory, checks);
  for (const item of checks) {
    item.findings = item.findings.map(({ whenNew, ...finding }) => (notCreated && whenNew ? { kind: finding.kind, text: 'not created yet', fix: whenNew } : finding));
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
  const stateHolds = inventory.roles.length + inventory.policies.length + inventory.secretIds.length + (inventory.kvMounts?.length ?? 0) + (inventory.authMounts?.length ?? 0);
  if (stateHolds > 0) return false;
  const differences = checks.flatMap((item) => item.findings).filter((finding) => finding.kind !== 'note');
  const siteObjects = checks.filter((item) => /^(role|policy) /.test(item.subject));
  return differences.length > 0 && differences.every((finding) => finding.whenNew !== undefined) && siteObjects.every((item) => item.findings.some((finding) => finding.whenNew !== undefined));
}

/** The policies the stack writes for this config (legacy names only while keepLegacyNames). */
function sitePolicies(config: MaasVaultConfig): string[] {
  const names = [config.policy.name, ...(config.issuer.enabled ? [issuerPolicyName(config)] : [])];
  if (config.keepLegacyNames) names.push(legacyNames.policy(config), ...(config.issuer.enabled ? [legacyNames.issuerPolicy(config)] : []));
  return names;
}

/** The issuer's role as stacks/issuer/ci-issuer.ts writes it. */
function issuerRoleExpected(config: MaasVaultConfig, policy: string): ExpectedRole {
  return { policy, tokenTtl: seconds(config.issuer.tokenTtl), tokenMaxTtl: seconds(config.issuer.tokenTtl), secretIdTtl: 0, cidrs: config.issuer.cidrs ?? [] };
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
  const why = WHY[difference.field];
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

async function checkApprole(client: VaultClient, config: MaasVaultConfig, inventory: StackInventory): Promise<Finding[]> {
  const auth = await client.read<Record<string, { type: string; description: string; local: boolean }>>('sys/auth');
  const mount = auth.data?.[`${APPROLE_MOUNT}/`];
  if (!mount) {
    return config.approle.adopt
      ? [drift('not enabled, and approle.adopt is true so the stack does not enable it', 'enable it with `vault auth enable approle`, or set approle.adopt to false, then `maas-vault apply`')]
      : [{
          ...drift(
            'not enabled: MAAS logs in at auth/approle/login, and every role on it went with it',
            '`maas-vault apply` enables it and re-creates every role with a new role ID: run the configure command it prints on every region controller',
          ),
          whenNew: '`maas-vault apply` enables it',
        }];
  }
  if (mount.type !== 'approle') return [drift(`mounted, but of type ${mount.type}`, `disable that mount (\`vault auth disable ${APPROLE_MOUNT}\`), then \`maas-vault apply\``)];
  if (config.approle.adopt) return [];
  if (!inventory.authMounts?.includes(APPROLE_MOUNT)) return [notTheStacksMount('approle')];
  return differences([
    ['description', mount.description, APPROLE_MOUNT_DESCRIPTION],
    ['local', mount.local, false],
  ]).map(settingDrift);
}

interface MountEntry {
  type: string;
  description: string;
  local: boolean;
  external_entropy_access?: boolean;
  options: Record<string, string> | null;
  config?: { listing_visibility?: string; passthrough_request_headers?: string[]; allowed_response_headers?: string[] };
}

async function checkKv(client: VaultClient, config: MaasVaultConfig, inventory: StackInventory): Promise<Finding[]> {
  const mounts = await client.read<Record<string, MountEntry>>('sys/mounts');
  const mount = mounts.data?.[`${config.kv.mount}/`];
  if (!mount) {
    return config.kv.adopt
      ? [drift(
          'not mounted: MAAS would fail with "no handler for route"; kv.adopt is true, so the stack does not create it',
          `mount it (\`vault secrets enable -path=${config.kv.mount} kv-v2\`, and restore MAAS's secrets from a backup), or set kv.adopt to false; then \`maas-vault apply\``,
        )]
      : [{
          ...drift(
            'not mounted: MAAS would fail with "no handler for route"',
            "`maas-vault apply` mounts it again, empty: restore MAAS's secrets from a backup (or run `maas config-vault migrate` again)",
          ),
          whenNew: '`maas-vault apply` mounts it; then `maas config-vault migrate` on one region controller moves MAAS\'s secrets in',
        }];
  }
  const findings: Finding[] = [];
  if (mount.type !== 'kv' || mount.options?.version !== '2') {
    findings.push(drift(`is ${mount.type} version ${mount.options?.version ?? '1'}, not KV version 2`, '`maas-vault apply` replaces the mount (its data is lost)'));
  } else if (!config.kv.adopt && !inventory.kvMounts?.includes(config.kv.mount)) {
    findings.push(notTheStacksMount('kv'));
  } else if (!config.kv.adopt) {
    findings.push(
      ...differences([
        ['description', mount.description, KV_MOUNT_DESCRIPTION],
        ['options', mount.options, { version: '2' }],
        ['local', mount.local, false],
        ['external_entropy_access', mount.external_entropy_access ?? false, false],
        ['listing_visibility', mount.config?.listing_visibility ?? '', ''],
        ['passthrough_request_headers', sortedSet(mount.config?.passthrough_request_headers), []],
        ['allowed_response_headers', sortedSet(mount.config?.allowed_response_headers), []],
      ]).map(settingDrift),
    );
  }
  const settings = await client.read<{ cas_required: boolean; max_versions: number; delete_version_after?: string }>(`${config.kv.mount}/config`, { accept: [404] });
  if (settings.data) {
    const casRequired = settings.data.cas_required;
    if (casRequired) findings.push(drift('cas_required is true: MAAS writes without check-and-set, so every write would fail', APPLY_SETS_IT_BACK));
    // An adopted mount is shared: the stack writes only cas_required and a configured max_versions there.
    const fields: [string, unknown, unknown][] = config.kv.adopt ? [] : [['delete_version_after', durationSeconds(settings.data.delete_version_after), 0]];
    // Without kv.maxVersions the provider leaves max_versions alone (it is "computed").
    if (config.kv.maxVersions !== undefined) fields.push(['max_versions', settings.data.max_versions, config.kv.maxVersions]);
    findings.push(...differences(fields).map(settingDrift));
  }
  return findings;
}

/** Vault's `1h2m3s` / `0s` duration strings, in seconds. */
function durationSeconds(text: string | undefined): number {
  if (!text) return 0;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|m|s|ms)/g)) {
    total += Number(amount) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : unit === 's' ? 1 : 0.001);
  }
  return total;
}

async function checkPolicy(client: VaultClient, name: string, which: 'maas' | 'issuer', expected: string, inventory: StackInventory): Promise<Finding[]> {
  const response = await client.read<{ policy: string }>(`sys/policies/acl/${name}`, { accept: [404] });
  if (response.status === 404 || !response.data) {
    return [{ ...drift('missing', '`maas-vault apply` writes it again'), ...(inventory.policies.includes(name) ? {} : { whenNew: '`maas-vault apply` writes it' }) }];
  }
  // The provider compares the text exactly as Vault stores it: so does this.
  if (response.data.policy === expected) return [];
  return [drift(
    `differs from \`maas-vault policy ${which}\` (${firstDifferentLine(response.data.policy, expected)})`,
    '`maas-vault apply` writes the rendered text back',
  )];
}

async function checkRole(client: VaultClient, role: string, inventory: StackInventory, expected: ExpectedRole, reconfigure: string): Promise<Finding[]> {
  const response = await client.read<RoleSettings>(rolePath(role), { accept: [404] });
  if (response.status === 404 || !response.data) {
    return inventory.roles.includes(role)
      ? [drift('missing (deleted outside the stack)', `\`maas-vault apply\` re-creates it with a new role ID; then ${reconfigure}`)]
      : [{ ...drift('not created yet', `\`maas-vault apply\` creates it; then ${reconfigure}`), whenNew: `\`maas-vault apply\` creates it; then ${reconfigure}` }];
  }
  const actual = response.data;
  const cidrs = sortedSet(expected.cidrs);
  return differences([
    ['token_policies', sortedSet(actual.token_policies), [expected.policy]],
    ['token_ttl', actual.token_ttl, expected.tokenTtl],
    ['token_max_ttl', actual.token_max_ttl, expected.tokenMaxTtl],
    ['token_explicit_max_ttl', actual.token_explicit_max_ttl ?? 0, 0],
    ['token_period', actual.token_period ?? 0, 0],
    ['token_type', actual.token_type ?? 'default', 'default'],
    ['token_num_uses', actual.token_num_uses, 0],
    ['token_no_default_policy', actual.token_no_default_policy, false],
    ['token_bound_cidrs', sortedSet((actual.token_bound_cidrs ?? []).map(normalizeTokenCidr)), sortedSet(cidrs.map(normalizeTokenCidr))],
    ['bind_secret_id', actual.bind_secret_id, true],
    ['secret_id_num_uses', actual.secret_id_num_uses, 0],
    ['secret_id_ttl', actual.secret_id_ttl, expected.secretIdTtl],
    // Read back exactly as written (Vault keeps the /32 here): the provider compares them as sets.
    ['secret_id_bound_cidrs', sortedSet(actual.secret_id_bound_cidrs), cidrs],
    ['alias_metadata', actual.alias_metadata ?? {}, {}],
  ]).map(settingDrift);
}

/** The secret ID the stack issued for a controller: still there, and issued as the config now says. */
async function checkStackSecretId(
  client: VaultClient,
  config: MaasVaultConfig,
  controller: string,
  role: string,
  inventory: StackInventory,
  rotated: RotatedCredential | undefined,
): Promise<Finding[]> {
  const issued = inventory.secretIds.find((secretId) => secretId.role === role);
  if (config.controllers.find((entry) => entry.name === controller)?.revoked) {
    return issued ? [drift('has a secret ID the stack issued, and the controller is marked revoked', '`maas-vault apply` destroys it')] : [];
  }
  if (!config.stackSecretIds) {
    return issued ? [drift('has a secret ID the stack issued, and stackSecretIds is false', '`maas-vault apply` destroys it: hand the controller a credential from `maas-vault credentials` first')] : [];
  }
  if (rotated && rotated.role === role) return checkRotatedSecretId(client, controller, role, issued, rotated);
  if (!issued) {
    return inventory.roles.includes(role)
      ? [drift('has no secret ID from the stack', `\`maas-vault apply\` issues one; run the configure command it prints on ${controller}`)]
      : [];
  }
  const findings: Finding[] = [];
  const reissue = `\`maas-vault apply\` issues a new one; run the configure command it prints on ${controller}`;
  const expectedMetadata = stackSecretIdMetadata(config, controller);
  const metadata = parseJson(issued.metadata);
  if (JSON.stringify(sortKeys(metadata)) !== JSON.stringify(sortKeys(expectedMetadata))) {
    findings.push(drift(`its secret ID was issued for generation ${String(metadata?.generation)}, the config says ${config.generation}`, reissue));
  }
  if (issued.wrappingTtl !== config.wrapTtl) {
    findings.push(drift(`its secret ID was wrapped for ${issued.wrappingTtl}, the config says wrapTtl ${config.wrapTtl}`, reissue));
  }
  const lookup = await client
    .write(`${rolePath(role)}/secret-id-accessor/lookup`, { secret_id_accessor: issued.accessor }, { accept: [404] })
    .catch((error: unknown) => {
      // The role itself is gone: the role's own finding says so.
      if (isVaultApiError(error) && /does not exist/i.test(error.errors.join(' '))) return { status: 0 };
      throw error;
    });
  if (lookup.status === 404) findings.push(drift('the secret ID the stack issued no longer exists (destroyed or expired)', reissue));
  return findings;
}

/** A controller whose rotation finished: the secret ID `rotate` handed it is its credential, the stack issues none. */
async function checkRotatedSecretId(client: VaultClient, controller: string, role: string, issued: { accessor: string } | undefined, rotated: RotatedCredential): Promise<Finding[]> {
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
      client.write(`${rolePath(role)}/secret-id-accessor/lookup`, { secret_id_accessor: accessor }, { accept: [404] }).then(
        (response) => response.status === 200,
        (error: unknown) => {
          // The role itself is gone: the role's own finding says so.
          if (isVaultApiError(error) && /does not exist/i.test(error.errors.join(' '))) return true;
          throw error;
        },
      ),
    ),
  );
  if (!answers.some(Boolean)) {
    findings.push(
      drift(
        `its secret ID is managed by \`maas-vault rotate\`, and the one rotation handed it no longer exists (destroyed or expired)`,
        `\`maas-vault rotate --controller ${controller}\` issues a new one; run the configure command it prints on ${controller}, then \`rotate --finish\``,
      ),
    );
  }
  return findings;
}

async function checkOtherRoles(client: VaultClient, config: MaasVaultConfig, expected: Set<string>, inventory: StackInventory): Promise<Finding[]> {
  const listed = await client.list(`auth/${APPROLE_MOUNT}/role`, { accept: [404] });
  const candidates = (listed.data?.keys ?? []).filter((role) => !expected.has(role));
  const ourPolicies = new Set([...sitePolicies(config), issuerPolicyName(config)]);
  const findings = await allInOrder(
    candidates.map(async (role): Promise<Finding | undefined> => {
      if (inventory.roles.includes(role)) {
        return drift(`role ${role} was created by the stack but the config no longer names it`, '`maas-vault apply --replace-roles` deletes it, and whoever logs in with it is cut off');
      }
      const claim = claimRole(config, role);
      if (claim === 'not-ours') return undefined;
      if (claim === 'ambiguous') {
        // Its name fits another site too: it is this site's only if it carries this site's policies.
        const settings = await client.read<RoleSettings>(rolePath(role), { accept: [404] });
        if (!(settings.data?.token_policies ?? []).some((policy) => ourPolicies.has(policy))) return undefined;
      }
      return {
        kind: 'extra',
        text: `role ${role} is in site ${config.site}'s namespace, but neither the config nor the stack's state names it (the plan cannot see it)`,
        fix: `delete it (\`vault delete ${rolePath(role)}\`) if nothing logs in with it, or add its controller to the config`,
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

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function sortKeys(value: Record<string, unknown> | undefined): [string, unknown][] {
  return Object.entries(value ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
