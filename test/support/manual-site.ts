/**
 * A MAAS site set up by hand, exactly as the MAAS docs' "How to enable Vault" page does it, as
 * plain HTTP calls: `vault auth enable approle`, `vault secrets enable -path MOUNT kv-v2`,
 * `vault policy write`, then `vault write auth/approle/role/NAME ...` per region controller, with
 * the names, policy text and role settings maas-vault's own config gives. No engine, no provider:
 * the openbao tier's base, and the real scenario of a site that followed the docs and now uses
 * maas-vault for CI credentials, verify and status.
 */
import { issuerPolicyName, issuerRoleName, roleName, seconds, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { formatDuration } from '../../config/duration.js';
import { TTL_LIMITS } from '../../config/rules.js';
import { renderIssuerPolicy, renderMaasPolicy } from '../../policies/render.js';
import { vaultHttp } from './http.js';
import { TestSite, type TestServer } from './site.js';

/** The role settings the stack gives a region controller (site/role-settings.ts), as an admin following the docs writes them. */
export function controllerRoleBody(config: MaasVaultConfig, cidrs?: string[]): Record<string, unknown> {
  return {
    token_policies: [config.policy.name],
    token_no_default_policy: false,
    token_ttl: seconds(config.tokenTtl),
    token_max_ttl: config.tokenMaxTtl === undefined ? 0 : seconds(config.tokenMaxTtl),
    token_num_uses: 0,
    bind_secret_id: true,
    secret_id_num_uses: 0,
    secret_id_ttl: config.secretIdTtl === undefined ? 0 : seconds(config.secretIdTtl),
    ...(cidrs ? { token_bound_cidrs: cidrs, secret_id_bound_cidrs: cidrs } : {}),
  };
}

async function call(server: TestServer, method: string, path: string, body?: unknown): Promise<void> {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body, caCert: server.caCert });
  if (answer.status >= 300) throw new Error(`manual set-up: ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body.errors)}`);
}

/** Runs the docs' steps for a config; steps already done (approle enabled, mount present) are skipped, as an admin would. */
export async function setUpLikeTheDocs(server: TestServer, config: MaasVaultConfig): Promise<void> {
  const auth = await vaultHttp(server.address, 'GET', 'sys/auth', { token: server.rootToken, caCert: server.caCert });
  if (!auth.body.data?.['approle/']) await call(server, 'POST', 'sys/auth/approle', { type: 'approle' });
  const mounts = await vaultHttp(server.address, 'GET', 'sys/mounts', { token: server.rootToken, caCert: server.caCert });
  if (!mounts.body.data?.[`${config.kv.mount}/`]) await call(server, 'POST', `sys/mounts/${config.kv.mount}`, { type: 'kv', options: { version: '2' } });
  await call(server, 'POST', `sys/policies/acl/${config.policy.name}`, {
    policy: renderMaasPolicy({ mount: config.kv.mount, path: config.secretsPath, profile: config.policy.profile, lookupSelf: config.policy.lookupSelf }),
  });
  for (const controller of config.controllers) {
    await call(server, 'POST', `auth/approle/role/${roleName(config, controller.name)}`, controllerRoleBody(config, controller.cidrs));
  }
  if (config.issuer.enabled) {
    await call(server, 'POST', `sys/policies/acl/${issuerPolicyName(config)}`, {
      policy: renderIssuerPolicy({
        site: config.site,
        roles: config.controllers.map((controller) => roleName(config, controller.name)),
        maxWrapTtl: formatDuration(TTL_LIMITS.wrap.max),
      }),
    });
    await call(server, 'POST', `auth/approle/role/${issuerRoleName(config)}`, {
      token_policies: [issuerPolicyName(config)],
      token_ttl: seconds(config.issuer.tokenTtl),
      token_max_ttl: seconds(config.issuer.tokenTtl),
      bind_secret_id: true,
    });
  }
}

/** A config file for the CLI plus the Vault set-up the docs would have made for it. */
export class ManualSite extends TestSite {
  /** The validated config, for names and settings. */
  get validated(): MaasVaultConfig {
    return validateConfig({ vault: { address: this.server.address }, ...this.config }, { env: {}, source: this.configPath, baseDir: this.dir });
  }

  /** Runs (or re-runs) the docs' steps: what an admin does to repair a site by hand. */
  setUp(): Promise<void> {
    return setUpLikeTheDocs(this.server, this.validated);
  }

  static async create(server: TestServer, input: Record<string, unknown>): Promise<ManualSite> {
    const site = new ManualSite(server, input);
    await site.setUp();
    return site;
  }
}
