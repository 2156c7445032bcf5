/**
 * The whole Vault set-up of the MAAS docs' "How to enable Vault" page, for one site: approle auth,
 * a KV-v2 mount, the MAAS policy, and one AppRole with one wrapped secret ID per region controller.
 */
import type { Construct } from 'constructs';
import { LocalBackend, TerraformStack } from 'cdktf';
import { controllerLogicalId, roleName, seconds, type MaasVaultConfig } from '../config/index.js';
import { ApproleMount } from './auth/approle-mount.js';
import { RegionController } from './controllers/region-controller.js';
import { configureCommand, MIGRATE_COMMAND } from './commands.js';
import { CiIssuer } from './issuer/ci-issuer.js';
import { KvMount } from './kv/kv-mount.js';
import { OUTPUTS, publish } from './outputs.js';
import { stackName } from './work-layout.js';
import { MaasPolicy } from './policy/maas-policy.js';
import { stackSecretIdMetadata } from './managed-settings.js';
import { VaultProvider } from './vault-provider.js';

export interface MaasVaultStackOptions {
  config: MaasVaultConfig;
  /** Engine state file, relative to the synthesized stack directory. */
  statePath: string;
}

export { stackName } from './work-layout.js';

export class MaasVaultStack extends TerraformStack {
  readonly controllers = new Map<string, RegionController>();

  constructor(scope: Construct, options: MaasVaultStackOptions) {
    const { config } = options;
    super(scope, stackName(config));

    // No token here: the provider reads VAULT_TOKEN, so the synthesized JSON never holds one.
    new VaultProvider(this, 'vault', {
      address: config.vault.address,
      ...(config.vault.caCert ? { caCertFile: config.vault.caCert } : {}),
      ...(config.vault.namespace ? { namespace: config.vault.namespace } : {}),
    });
    new LocalBackend(this, { path: options.statePath });

    const approle = new ApproleMount(this, 'approle', { path: config.approle.mount, adopt: config.approle.adopt });
    new KvMount(this, 'kv', { path: config.kv.mount, adopt: config.kv.adopt, maxVersions: config.kv.maxVersions });
    const policy = new MaasPolicy(this, 'policy', {
      name: config.policy.name,
      mount: config.kv.mount,
      secretsPath: config.secretsPath,
      profile: config.policy.profile,
      lookupSelf: config.policy.lookupSelf,
    });

    for (const controller of config.controllers) {
      const region = new RegionController(this, `controller_${controllerLogicalId(controller.name)}`, {
        backend: approle.path,
        roleName: roleName(config, controller.name),
        policyName: policy.name,
        tokenTtlSeconds: seconds(config.tokenTtl),
        tokenMaxTtlSeconds: config.tokenMaxTtl === undefined ? undefined : seconds(config.tokenMaxTtl),
        secretIdTtlSeconds: config.secretIdTtl === undefined ? undefined : seconds(config.secretIdTtl),
        wrapTtl: config.stackSecretIds ? config.wrapTtl : undefined,
        cidrs: controller.cidrs,
        metadata: stackSecretIdMetadata(config, controller.name),
      });
      this.controllers.set(controller.name, region);
    }

    if (config.issuer.enabled) {
      const issuer = new CiIssuer(this, 'issuer', { config, backend: approle.path });
      publish(this, OUTPUTS.issuerRoleId, issuer.roleId, { description: 'Role ID of the CI issuer AppRole' });
    }

    this.publishOutputs(config);
  }

  private publishOutputs(config: MaasVaultConfig): void {
    const url = config.vault.maasAddress ?? config.vault.address;
    const each = <T>(pick: (region: RegionController) => T): Record<string, T> =>
      Object.fromEntries([...this.controllers].map(([name, region]) => [name, pick(region)]));

    publish(this, OUTPUTS.roleNames, each((region) => region.roleName), { description: 'AppRole role name per region controller' });
    publish(this, OUTPUTS.roleIds, each((region) => region.roleId), { description: 'AppRole role ID per region controller' });
    publish(this, OUTPUTS.migrateCommand, MIGRATE_COMMAND, {
      description: 'Run once, on one region, after every region controller is configured',
    });
    if (!config.stackSecretIds) return;
    publish(this, OUTPUTS.secretIdAccessors, each((region) => region.secretIdAccessor), {
      description: 'Accessor of the issued secret ID per region controller (safe to log; revokes it)',
    });
    publish(this, OUTPUTS.wrappingTokens, each((region) => region.wrappingToken), {
      description: `Response-wrapped secret ID per region controller (single use, expires after ${config.wrapTtl})`,
      sensitive: true,
    });
    publish(
      this,
      OUTPUTS.configureCommands,
      each((region) => configureCommand(url, region.roleId, region.wrappingToken!, config.secretsPath, config.kv.mount)),
      { description: 'The command each region controller runs', sensitive: true },
    );
  }
}
