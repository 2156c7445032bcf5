/** How per-controller credentials are shown: the one place that prints wrapping tokens. */
import type { Reporter } from './reporter.js';
import type { MaasVaultConfig } from '../config/index.js';
import { requiresClientCert, installCaCommands, SYSTEM_BUNDLE } from '../vault/region-trust.js';
import { configureCommand, initRegionCommand, MIGRATE_COMMAND, reconfigureCommand, RESTART_COMMANDS } from '../stacks/commands.js';
import type { ControllerCredentials } from '../vault/credentials.js';

export interface ControllerLine {
  name: string;
  /** Absent when the stack issued no secret ID for it (stackSecretIds: false). */
  command?: string;
  /** The `maas init region` form for a region installed now; absent where there is no token to give. */
  initCommand?: string;
  /** Why the command cannot be used, e.g. a spent wrapping token. */
  unusable?: string;
  /** The role has logged in before (see vault/region-state.ts); undefined: Vault could not tell. */
  configured?: boolean;
  expiresAt?: string;
}

/** Where a region finds MAAS's secrets, as both hand-off forms spell it. */
export interface HandOffTarget {
  url: string;
  secretsPath: string;
  mount: string;
}

/** Region controllers are told vault.maasAddress (else the file's vault.address), never VAULT_ADDR. */
export function handOffTarget(config: Pick<MaasVaultConfig, 'vault' | 'secretsPath' | 'kv'>): HandOffTarget {
  return { url: config.vault.maasAddress, secretsPath: config.secretsPath, mount: config.kv.mount };
}

/**
 * Both forms for one wrapping token. `--yes` only skips MAAS's "already configured, overwrite?"
 * question, so it goes wherever the role has logged in before: a region that in fact was not
 * configured yet ignores it.
 */
export function handOffCommands(
  target: HandOffTarget,
  roleId: string,
  wrappedToken: string,
  configured: boolean | undefined,
): { command: string; initCommand: string } {
  const configure = configured ? reconfigureCommand : configureCommand;
  return {
    command: configure(target.url, roleId, wrappedToken, target.secretsPath, target.mount),
    initCommand: initRegionCommand(target.url, roleId, wrappedToken, target.secretsPath, target.mount),
  };
}

/**
 * A controller that was just handed a wrapped secret ID, in --json output: `credentials` and
 * `rotate` share these fields, in this order, and each adds its own hand-off after them.
 */
export function issuedControllerJson<HandOff extends object>(issued: Omit<ControllerCredentials, 'command'>, handOff: HandOff) {
  const { name, role, roleId, wrappedToken, wrapTtl, expiresAt, secretIdAccessor } = issued;
  return { name, role, roleId, wrappedToken, wrapTtl, expiresAt, secretIdAccessor, ...handOff };
}

/** What stdout says of one controller when its wrapping token went to the --out file only. */
export function outSummaryLine(controller: { name: string; role: string; secretIdAccessor: string; expiresAt: string }): string {
  return `  ${controller.name}: role ${controller.role}, secret ID accessor ${controller.secretIdAccessor}, wrapping token expires ${controller.expiresAt}`;
}

/** The hand-off fields of a controller in --json output. */
export function handOffJson(target: HandOffTarget, configured: boolean | undefined, commands?: { command: string; initCommand: string }) {
  return {
    url: target.url,
    secretsPath: target.secretsPath,
    mount: target.mount,
    configured: configured ?? null,
    command: commands?.command ?? null,
    initCommand: commands?.initCommand ?? null,
  };
}

/** What a region controller does once with the migration, for --json: null once MAAS has migrated. */
export function migrateJson(migrated: boolean | undefined) {
  return { migrated: migrated ?? null, migrateCommand: migrated ? null : MIGRATE_COMMAND };
}

/** A configured region whose stack token is spent: it runs on the secret ID it unwrapped. */
export function configuredNote(controller: string): string {
  return `configured: its role has logged in to Vault, nothing to run. A region that still needs Vault: \`maas-vault credentials --controller ${controller}\``;
}

/** What is printed instead of a configure command whose wrapping token is spent. */
export function spentTokenNote(controller: string): string {
  return `wrapping token already used or expired: run \`maas-vault credentials --controller ${controller}\` for a fresh one`;
}

export interface HandOffContext {
  wrapTtl: string;
  addressNote?: string;
  target: HandOffTarget;
  /** MAAS's global/ secrets are in Vault; undefined: Vault could not tell. */
  migrated?: boolean;
}

export function printConfigureCommands(report: Reporter, controllers: readonly ControllerLine[], context: HandOffContext): void {
  const { wrapTtl, addressNote, target, migrated } = context;
  if (addressNote) {
    report.line(addressNote);
    report.line();
  }
  const runnable = controllers.some((controller) => controller.unusable === undefined && controller.command);
  if (runnable) {
    report.line(`Run on each region controller one of its two commands (each wrapping token works once, within ${wrapTtl}):`);
    report.line('the first on a region already installed, the second to install one now (snap; add your usual --database-uri and --maas-url).');
  } else {
    report.line('No command to run on the region controllers:');
  }
  report.line();
  for (const controller of controllers) {
    report.line(`# ${controller.name}${controller.expiresAt ? ` (token expires ${controller.expiresAt})` : ''}`);
    const unusable =
      controller.unusable ?? (controller.command ? undefined : `no secret ID from the stack: run \`maas-vault credentials --controller ${controller.name}\``);
    if (unusable) report.line(`#   ${unusable}`);
    else {
      if (controller.configured) {
        report.line(
          `#   its role has logged in before, hence --yes (MAAS overwrites the region's Vault settings without asking); then ${RESTART_COMMANDS.snap} or ${RESTART_COMMANDS.deb}`,
        );
      }
      report.line(controller.command);
      if (controller.initCommand) report.line(controller.initCommand);
    }
    report.line();
  }
  if (controllers.some((controller) => controller.configured === undefined)) {
    report.line('(Vault would not say which regions are already configured: add --yes to the configure command of one that is.)');
  }
  if (migrated) {
    report.line(
      `MAAS has already migrated its secrets to Vault (global/ under ${target.mount}/${target.secretsPath}): there is no \`config-vault migrate\` to run.`,
    );
    report.line(`Restart each region after its configure: ${RESTART_COMMANDS.snap} (snap) or ${RESTART_COMMANDS.deb} (deb).`);
    return;
  }
  if (migrated === undefined) {
    report.line(
      `Unless MAAS has migrated already (\`sudo maas config-vault status\` says enabled; the token may not list ${target.mount}/metadata/${target.secretsPath}/global/ to tell), once every region controller is configured, on one of them:`,
    );
  } else {
    report.line('Then, once every region controller is configured, on one of them:');
  }
  report.line(MIGRATE_COMMAND);
}

/** The CI issuer's hand-off: its role ID, and how to get the one secret ID CI logs in with. */
export function printIssuerHandOff(report: Reporter, roleName: string, roleId: string): void {
  report.line();
  report.line(`CI issuer: role ${roleName}, role ID ${roleId}.`);
  report.line('Its secret ID (response-wrapped, for CI to unwrap once): `maas-vault credentials --issuer`.');
  report.line('Whoever holds it can mint credentials for, and so log in as, any region controller of this site.');
}

/**
 * Said once by apply, credentials and rotate when maas-vault trusts Vault through the admin's CA:
 * the regions do not get it (vault/region-trust.ts says why and what they trust instead).
 */
export function regionTrustNote(config: Pick<MaasVaultConfig, 'vault'>): string | undefined {
  const { caCert, maasAddress, origin } = config.vault;
  if (!caCert || !maasAddress.startsWith('https:')) return undefined;
  return (
    `every region controller must trust Vault's CA ${caCert} (${origin?.caCert ?? 'vault.caCert'}): MAAS gives hvac no CA, so a region verifies ` +
    `${maasAddress} against its system store ${SYSTEM_BUNDLE} (deb and snap alike: the snap's python3-requests reads the same file). ` +
    `On each one, before its configure, with a copy of that file: ${installCaCommands('<copy of the CA>').join(' && ')}`
  );
}

/**
 * Said by apply, credentials and verify when maas-vault got through with a client certificate
 * and the listener regions are told to use would refuse them: MAAS presents none.
 */
export async function regionClientCertProblem(config: Pick<MaasVaultConfig, 'vault'>): Promise<string | undefined> {
  const { clientCert, maasAddress } = config.vault;
  if (!clientCert || !(await requiresClientCert(maasAddress))) return undefined;
  return (
    `the listener at ${maasAddress} requires a client certificate (maas-vault presented ${clientCert.cert} from ${clientCert.certVariable}), ` +
    `but MAAS presents none (hvac is given no client certificate), so region controllers could not connect: give them a listener without ` +
    `tls_require_and_verify_client_cert and set vault.maasAddress to it`
  );
}

/** The same for --json (notes are not shown there): null where regions need no extra CA from us. */
export function regionTrustJson(config: Pick<MaasVaultConfig, 'vault'>) {
  const { caCert, maasAddress } = config.vault;
  return {
    regionCa:
      caCert && maasAddress.startsWith('https:') ? { caCert, systemStore: SYSTEM_BUNDLE, installCommands: installCaCommands('<copy of the CA>') } : null,
  };
}
