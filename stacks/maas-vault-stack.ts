/**
 * The whole Vault set-up of the MAAS docs' "How to enable Vault" page, for one site: approle auth,
 * a KV-v2 mount, the MAAS policy, and one AppRole with one wrapped secret ID per region controller.
 */
import { controllerLogicalId, type MaasVaultConfig } from '../config/index.js';
import { desiredSite, type DesiredSite, type NameSet } from '../site/site.js';
import { ApproleMount } from './auth/approle-mount.js';
import { RegionController } from './controllers/region-controller.js';
import { configureCommand, MIGRATE_COMMAND } from './commands.js';
import { CiIssuer } from './issuer/ci-issuer.js';
import { KvMount } from './kv/kv-mount.js';
import { OUTPUTS, publish } from './outputs.js';
import { stackName } from './work-layout.js';
import { MaasPolicy } from './policy/maas-policy.js';
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

    const site = desiredSite(config, options.rotated ?? new Set());
    const approle = new ApproleMount(this, 'approle', site.approle);
    new KvMount(this, 'kv', site.kv);
    this.declareSite(config, site, approle.path, 'current', imports);
    // During the migration to the '_' names the old roles, policy and issuer keep their old
    // resource addresses and settings, so the engine neither replaces nor destroys them while
    // region controllers still log in with them.
    if (config.keepLegacyNames) this.declareSite(config, site, approle.path, 'legacy', NO_IMPORTS);

    if (config.issuer.enabled) {
      const issuer = this.issuers.get('current')!;
      publish(this, OUTPUTS.issuerRoleId, issuer.roleId, { description: 'Role ID of the CI issuer AppRole' });
      publish(this, OUTPUTS.issuerRoleName, issuer.roleName, { description: 'Role name of the CI issuer AppRole' });
    }

    this.publishOutputs(config);
  }

  /**
   * The MAAS policy, one role per controller and the issuer of one name set of the desired site,
   * at that set's addresses; `imports` (current names only) are the objects of a hand-made set-up
   * to import.
   */
  private declareSite(config: MaasVaultConfig, site: DesiredSite, backend: string, names: NameSet, imports: StackImports): void {
    const legacy = names === 'legacy';
    const policies = site.policies.filter((policy) => policy.names === names);
    const roles = site.roles.filter((role) => role.names === names);
    const maas = policies.find((policy) => policy.kind === 'maas')!;
    const policy = new MaasPolicy(this, legacy ? 'policy' : 'maas_policy', {
      policy: maas,
      ...(imports.policy ? { importId: ADOPTABLE.policy.id(maas.name) } : {}),
    });
    for (const role of roles.filter((entry) => entry.kind === 'controller')) {
      const controller = role.controller!;
      const region = new RegionController(this, `${legacy ? 'controller' : 'region'}_${controllerLogicalId(controller)}`, {
        backend,
        role,
        policyName: policy.name,
        ...(imports.roles.has(controller) ? { importId: ADOPTABLE.role.id(config.approle.mount, role.name) } : {}),
      });
      if (!legacy) this.controllers.set(controller, region);
    }
    const issuerRole = roles.find((role) => role.kind === 'issuer');
    if (!issuerRole) return;
    this.issuers.set(
      names,
      new CiIssuer(this, legacy ? 'issuer' : 'ci_issuer', {
        backend,
        role: issuerRole,
        policy: policies.find((entry) => entry.kind === 'issuer')!,
      }),
    );
  }

  private publishOutputs(config: MaasVaultConfig): void {
    const url = config.vault.maasAddress;
    const each = <T>(pick: (region: RegionController) => T): Record<string, T> =>
      Object.fromEntries([...this.controllers].map(([name, region]) => [name, pick(region)]));

    publish(
      this,
      OUTPUTS.roleNames,
      each((region) => region.roleName),
      { description: 'AppRole role name per region controller' },
    );
    publish(
      this,
      OUTPUTS.roleIds,
      each((region) => region.roleId),
      { description: 'AppRole role ID per region controller' },
    );
    publish(this, OUTPUTS.migrateCommand, MIGRATE_COMMAND, {
      description: 'Run once, on one region, after every region controller is configured',
    });
    if (!config.stackSecretIds) return;
    const issued = (pick: (region: RegionController) => unknown) =>
      Object.fromEntries([...this.controllers].filter(([, region]) => region.wrappingToken !== undefined).map(([name, region]) => [name, pick(region)]));
    publish(
      this,
      OUTPUTS.secretIdAccessors,
      issued((region) => region.secretIdAccessor),
      {
        description: 'Accessor of the issued secret ID per region controller (safe to log; revokes it)',
      },
    );
    publish(
      this,
      OUTPUTS.wrappingTokens,
      issued((region) => region.wrappingToken),
      {
        description: `Response-wrapped secret ID per region controller (single use, expires after ${config.wrapTtl})`,
        sensitive: true,
      },
    );
    publish(
      this,
      OUTPUTS.configureCommands,
      issued((region) => configureCommand(url, region.roleId, region.wrappingToken!, config.secretsPath, config.kv.mount)),
      { description: 'The command each region controller runs', sensitive: true },
    );
  }
}
