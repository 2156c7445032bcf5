/**
 * Compares a live Vault with what the config says it should be, without the engine: what an
 * admin runs first when MAAS reports a Vault problem, and what CI runs to catch drift.
 */
import { issuerPolicyName, issuerRoleName, roleName, seconds, type MaasVaultConfig } from '../config/index.js';
import { siteRolePrefix } from '../config/naming.js';
import { issuerPolicyFor, maasPolicyFor } from '../policies/render.js';
import type { VaultClient } from './client.js';
import { APPROLE_MOUNT, rolePath } from './approle.js';

export interface ServerInfo {
  address: string;
  flavour: 'OpenBao' | 'Vault';
  version: string;
  sealed: boolean;
}

export interface StatusCheck {
  /** What was checked, e.g. `role maas-lab-region-1`. */
  subject: string;
  ok: boolean;
  /** For a failed check: what differs, in words. */
  problems: string[];
}

export interface StatusReport {
  server: ServerInfo;
  checks: StatusCheck[];
  drift: boolean;
}

/** Unauthenticated: reachable, sealed, flavour and version. */
export async function serverInfo(client: VaultClient): Promise<ServerInfo> {
  const status = await client.read<never>('sys/seal-status', { token: null });
  const body = status as unknown as { sealed: boolean; version: string; build_date?: string };
  // OpenBao forked from Vault 1.14 and numbers its releases from 2.0; Vault is still on 1.x.
  const flavour = /^v?[2-9]\./.test(body.version) ? 'OpenBao' : 'Vault';
  return { address: client.address, flavour, version: body.version, sealed: body.sealed };
}

interface RoleSettings {
  token_policies: string[];
  token_ttl: number;
  token_max_ttl: number;
  token_num_uses: number;
  token_no_default_policy: boolean;
  bind_secret_id: boolean;
  secret_id_num_uses: number;
  secret_id_ttl: number;
  token_bound_cidrs: string[] | null;
  secret_id_bound_cidrs: string[] | null;
}

export async function checkStatus(client: VaultClient, config: MaasVaultConfig): Promise<StatusReport> {
  const server = await serverInfo(client);
  if (server.sealed) return { server, checks: [], drift: true };

  const checks = await Promise.all([
    check(`approle auth at ${APPROLE_MOUNT}/`, async () => {
      const auth = await client.read<Record<string, { type: string }>>('sys/auth');
      const mount = auth.data?.[`${APPROLE_MOUNT}/`];
      if (!mount) return ['not enabled: MAAS logs in at auth/approle/login (apply the stack, or `vault auth enable approle`)'];
      return mount.type === 'approle' ? [] : [`mounted, but of type ${mount.type}`];
    }),
    check(`KV-v2 at ${config.kv.mount}/`, async () => {
      const mounts = await client.read<Record<string, { type: string; options: Record<string, string> | null }>>('sys/mounts');
      const mount = mounts.data?.[`${config.kv.mount}/`];
      if (!mount) return ['not mounted: MAAS would fail with "no handler for route"'];
      const problems: string[] = [];
      if (mount.type !== 'kv' || mount.options?.version !== '2') problems.push(`is ${mount.type} version ${mount.options?.version ?? '1'}, not KV version 2`);
      const settings = await client.read<{ cas_required: boolean }>(`${config.kv.mount}/config`, { accept: [404] });
      if (settings.data?.cas_required) problems.push('cas_required is true: MAAS writes without check-and-set, so every write would fail');
      return problems;
    }),
    check(`policy ${config.policy.name}`, async () =>
      comparePolicy(client, config.policy.name, maasPolicyFor(config)),
    ),
    ...config.controllers.map((controller) =>
      check(`role ${roleName(config, controller.name)}`, async () => {
        const response = await client.read<RoleSettings>(rolePath(roleName(config, controller.name)), { accept: [404] });
        if (response.status === 404 || !response.data) return ['missing: apply the stack'];
        return compareRole(response.data, {
          policy: config.policy.name,
          tokenTtl: seconds(config.tokenTtl),
          tokenMaxTtl: config.tokenMaxTtl === undefined ? 0 : seconds(config.tokenMaxTtl),
          secretIdTtl: config.secretIdTtl === undefined ? 0 : seconds(config.secretIdTtl),
          cidrs: controller.cidrs ?? [],
        });
      }),
    ),
    check(`no unknown roles for site ${config.site}`, async () => {
      const listed = await client.list(`auth/${APPROLE_MOUNT}/role`, { accept: [404] });
      const expected = new Set(config.controllers.map((controller) => roleName(config, controller.name)));
      if (config.issuer.enabled) expected.add(issuerRoleName(config));
      return (listed.data?.keys ?? [])
        .filter((role) => role.startsWith(siteRolePrefix(config)) && !expected.has(role))
        .map((role) => `role ${role} exists but is not in the config: remove it, or add its controller`);
    }),
    ...(config.issuer.enabled
      ? [
          check(`policy ${issuerPolicyName(config)}`, async () =>
            comparePolicy(client, issuerPolicyName(config), issuerPolicyFor(config)),
          ),
        ]
      : []),
  ]);
  return { server, checks, drift: checks.some((item) => !item.ok) };
}

async function check(subject: string, run: () => Promise<string[]>): Promise<StatusCheck> {
  const problems = await run();
  return { subject, ok: problems.length === 0, problems };
}

async function comparePolicy(client: VaultClient, name: string, expected: string): Promise<string[]> {
  const response = await client.read<{ policy: string }>(`sys/policies/acl/${name}`, { accept: [404] });
  if (response.status === 404 || !response.data) return ['missing: apply the stack'];
  return response.data.policy.trim() === expected.trim() ? [] : ['differs from the rendered policy (`maas-vault policy maas` prints it): apply the stack'];
}

function compareRole(
  actual: RoleSettings,
  expected: { policy: string; tokenTtl: number; tokenMaxTtl: number; secretIdTtl: number; cidrs: string[] },
): string[] {
  const problems: string[] = [];
  const differs = (field: string, have: unknown, want: unknown, why = '') => {
    if (JSON.stringify(have) !== JSON.stringify(want)) problems.push(`${field} is ${JSON.stringify(have)}, expected ${JSON.stringify(want)}${why}`);
  };
  differs('token_policies', [...actual.token_policies].sort(), [expected.policy]);
  differs('token_ttl', actual.token_ttl, expected.tokenTtl);
  differs('token_max_ttl', actual.token_max_ttl, expected.tokenMaxTtl);
  differs('token_num_uses', actual.token_num_uses, 0, ': MAAS tokens must not run out of uses');
  differs('secret_id_num_uses', actual.secret_id_num_uses, 0, ': MAAS logs in with the same secret_id again and again');
  differs('secret_id_ttl', actual.secret_id_ttl, expected.secretIdTtl);
  differs('bind_secret_id', actual.bind_secret_id, true);
  differs('token_no_default_policy', actual.token_no_default_policy, false, ': MAAS needs auth/token/lookup-self from the default policy');
  differs('token_bound_cidrs', [...(actual.token_bound_cidrs ?? [])].sort(), [...expected.cidrs].sort());
  differs('secret_id_bound_cidrs', [...(actual.secret_id_bound_cidrs ?? [])].sort(), [...expected.cidrs].sort());
  return problems;
}
