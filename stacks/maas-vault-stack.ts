/**
 * The whole Vault set-up of the MAAS docs' "How to enable Vault" page, for one site: approle auth,
 * a KV-v2 mount, the MAAS policy, and one AppRole with one wrapped secret ID per region controller.
 */
import { controllerLogicalId, issuerPolicyName, issuerRoleName, legacyNames, roleName, seconds, type MaasVaultConfig } from '../config/index.js';
import { ApproleMount } from './auth/approle-mount.js';
import { RegionController } from './controllers/region-controller.js';
import { configureCommand, MIGRATE_COMMAND } from './commands.js';
import { CiIssuer } from './issuer/ci-issuer.js';
import { KvMount } from './kv/kv-mount.js';
import { OUTPUTS, publish } from './outputs.js';
import { stackName } from './work-layout.js';
import { MaasPolicy } from './policy/maas-policy.js';
import { stackSecretIdMetadata } from './managed-settings.js';
import { TerraformStack, VaultProvider, type Construct } from './framework.js';
import { ADOPTABLE, NO_IMPORTS, type StackImports } from './import-ids.js';
import { addStateBackend } from './state-backend.js';
import { addStateEncryption } from './state-encryption.js';
import { providerAddress } from './provider-address.js';

export interface MaasVaultStackOptions {
  config: MaasVaultConfig;
  /** Engine state file, relative to the synthesized stack directory (local backend only). */
  statePath: string;
  /** Objects of a hand-made set-up to import rather than create (only those not yet in the state). */
  imports?: StackImports;
  /**
   * Controllers whose secret ID rotation manages (`rotate --finish` destroyed the stack's one): the
   * stack issues them none, so the plan stays empty and no second live secret ID is issued.
   */
  rotated?: ReadonlySet<string>;
}

export { stackName } from './work-layout.js';

export class MaasVaultStack extends TerraformStack {
  readonly controllers = new Map<string, RegionController>();
  private readonly issuers = new Map<'current' | 'legacy', CiIssuer>();

  constructor(scope: Construct, options: MaasVaultStackOptions) {
    const { config } = options;
    const imports = options.imports ?? NO_IMPORTS;
    super(scope, stackName(config));

    // No token here: the provider reads VAULT_TOKEN, so the synthesized JSON never holds one.
    new VaultProvider(this, 'vault', {
      address: providerAddress(this, config.vault.address),
      ...(config.vault.caCert ? { caCertFile: config.vault.caCert } : {}),
      // Paths only: the key itself never enters the synthesized JSON.
      ...(config.vault.clientCert ? { clientAuth: [{ certFile: config.vault.clientCert.cert, keyFile: config.vault.clientCert.key }] } : {}),
    });
    addStateBackend(this, config, options.statePath);
    addStateEncryption(this, config);

    const approle = new ApproleMount(this, 'approle', { path: config.approle.mount, adopt: config.approle.adopt });
    new KvMount(this, 'kv', { path: config.kv.mount, adopt: config.kv.adopt, maxVersions: config.kv.maxVersions });
    this.declareSite(config, approle.path, 'current', imports, options.rotated ?? new Set());
    // During the migration to the '_' names the old roles, policy and issuer keep their old
    // resource addresses and settings, so the engine neither replaces nor destroys them while
    // region controllers still log in with them.
    if (config.keepLegacyNames) this.declareSite(config, approle.path, 'legacy', NO_IMPORTS, new Set());

    if (config.issuer.enabled) {
      const issuer = this.issuers.get('current')!;
      publish(this, OUTPUTS.issuerRoleId, issuer.roleId, { description: 'Role ID of the CI issuer AppRole' });
      publish(this, OUTPUTS.issuerRoleName, issuer.roleName, { description: 'Role name of the CI issuer AppRole' });
    }

    this.publishOutputs(config);
  }

  /**
   * The MAAS policy, one role per controller and the issuer, under current or legacy names and
   * addresses; `imports` (current names only) are the objects of a hand-made set-up to import.
   */
  private declareSite(config: MaasVaultConfig, backend: string, names: 'current' | 'legacy', imports: StackImports, rotated: ReadonlySet<string>): void {
    const legacy = names === 'legacy';
    const policy = new MaasPolicy(this, legacy ? 'policy' : 'maas_policy', {
      name: legacy ? legacyNames.policy(config) : config.policy.name,
      mount: config.kv.mount,
      secretsPath: config.secretsPath,
      profile: config.policy.profile,
      lookupSelf: config.policy.lookupSelf,
      ...(imports.policy ? { importId: ADOPTABLE.policy.id(config.policy.name) } : {}),
    });
    const role = (controller: string) => (legacy ? legacyNames.role(config, controller) : roleName(config, controller));
    for (const controller of config.controllers) {
      const region = new RegionController(this, `${legacy ? 'controller' : 'region'}_${controllerLogicalId(controller.name)}`, {
        backend,
        roleName: role(controller.name),
        policyName: policy.name,
        tokenTtlSeconds: seconds(config.tokenTtl),
        tokenMaxTtlSeconds: config.tokenMaxTtl === undefined ? undefined : seconds(config.tokenMaxTtl),
        secretIdTtlSeconds: config.secretIdTtl === undefined ? undefined : seconds(config.secretIdTtl),
        // A revoked controller keeps its role but gets no secret ID, whatever generation says; nor
        // does one whose region runs on the secret ID a finished rotation handed it.
        wrapTtl: config.stackSecretIds && !controller.revoked && !rotated.has(controller.name) ? config.wrapTtl : undefined,
        cidrs: controller.cidrs,
        ...(imports.roles.has(controller.name) ? { importId: ADOPTABLE.role.id(config.approle.mount, role(controller.name)) } : {}),
        metadata: stackSecretIdMetadata(config, controller.name),
      });
      if (!legacy) this.controllers.set(controller.name, region);
    }
    if (!config.issuer.enabled) return;
    const issued = config.controllers.filter((controller) => !controller.revoked).map((controller) => role(controller.name));
    this.issuers.set(names, new CiIssuer(this, legacy ? 'issuer' : 'ci_issuer', {
      config,
      backend,
      roleName: legacy ? legacyNames.issuerRole(config) : issuerRoleName(config),
      policyName: legacy ? legacyNames.issuerPolicy(config) : issuerPolicyName(config),
      roles: issued,
    }));
  }

  private publishOutputs(config: MaasVaultConfig): void {
    const url = config.vault.maasAddress;
    const each = <T>(pick: (region: RegionController) => T): Record<string, T> =>
      Object.fromEntries([...this.controllers].map(([name, region]) => [name, pick(region)]));

    publish(this, OUTPUTS.roleNames, each((region) => region.roleName), { description: 'AppRole role name per region controller' });
    publish(this, OUTPUTS.roleIds, each((region) => region.roleId), { description: 'AppRole role ID per region controller' });
    publish(this, OUTPUTS.migrateCommand, MIGRATE_COMMAND, {
      description: 'Run once, on one region, after every region controller is configured',
    });
    if (!config.stackSecretIds) return;
    const issued = (pick: (region: RegionController) => unknown) =>
      Object.fromEntries([...this.controllers].filter(([, region]) => region.wrappingToken !== undefined).map(([name, region]) => [name, pick(region)]));
    publish(this, OUTPUTS.secretIdAccessors, issued((region) => region.secretIdAccessor), {
      description: 'Accessor of the issued secret ID per region controller (safe to log; revokes it)',
    });
    publish(this, OUTPUTS.wrappingTokens, issued((region) => region.wrappingToken), {
      description: `Response-wrapped secret ID per region controller (single use, expires after ${config.wrapTtl})`,
      sensitive: true,
    });
    publish(
      this,
      OUTPUTS.configureCommands,
      issued((region) => configureCommand(url, region.roleId, region.wrappingToken!, config.secretsPath, config.kv.mount)),
      { description: 'The command each region controller runs', sensitive: true },
    );
  }
}
