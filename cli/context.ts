/** What every command starts from: the validated config, a reporter, and Vault when needed. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, secretIdTtlFloorProblem, secretIdTtlWarning, type MaasVaultConfig } from '../config/index.js';
import { durationProblem, TTL_LIMITS } from '../config/rules.js';
import { readEnvironment } from '../config/environment.js';
import { VaultClient } from '../vault/client.js';
import { notReadyError, serverInfo } from '../vault/status.js';
import { isPermissionDenied, VaultTokenRefusedError } from '../vault/errors.js';
import { cliCommand } from '../vault/server-flavour.js';
import { lookupSelf } from '../vault/token-self.js';
import { Reporter } from './reporter.js';
import { UsageError } from './exit-codes.js';
import { requireTrustedWorkDir } from '../stacks/work-trust.js';

/** --config when none is given. */
export const DEFAULT_CONFIG = './maas-vault.json';

export interface GlobalArgs {
  /** Undefined when not given (then DEFAULT_CONFIG): `dev` uses its example instead. */
  config?: string;
  json: boolean;
  quiet: boolean;
}

export interface CommandContext {
  config: MaasVaultConfig;
  report: Reporter;
}

/** Some commands open their context twice (apply): what the environment has to say is said once per run. */
let environmentNoted = false;
let configNoted = false;

/** The environment is checked first (config/environment.ts): what it cannot be used with is refused before the file is read. */
export function openContext(args: GlobalArgs, options: { workDirAccess?: 'write' | 'read' } = {}): CommandContext {
  const environment = readEnvironment(process.env);
  const report = new Reporter({ json: args.json, quiet: args.quiet });
  if (!environmentNoted) for (const note of environment.notes) report.warn(note);
  environmentNoted = true;
  const config = loadConfigFile(args.config ?? DEFAULT_CONFIG, options);
  // Said where the admin works, not only in the plan's `secret_id_ttl = 0 -> N`.
  const expiring = secretIdTtlWarning(config);
  if (expiring && !configNoted) report.warn(expiring);
  configNoted = true;
  // Before any request: another user's code in the work directory would run with the admin's token.
  requireTrustedWorkDir(config);
  return { config, report };
}

/**
 * The Vault token as the `vault` CLI finds it: VAULT_TOKEN (or BAO_TOKEN), else the file `vault
 * login` leaves in ~/.vault-token. Never from the config, a file in the repo, or a command-line
 * argument. Whitespace around an exported token is refused (readEnvironment); the file's trailing
 * newline is not a mistake.
 */
export function vaultToken(purpose: string, env: NodeJS.ProcessEnv = process.env): string {
  const token = readEnvironment(env).token?.value;
  if (token) return token;
  const file = join(env.HOME || homedir(), '.vault-token');
  let saved = '';
  try {
    saved = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new UsageError(
        `VAULT_TOKEN is not set and ${file} cannot be read (${(error as NodeJS.ErrnoException).code}): export VAULT_TOKEN with a token that may ${purpose}`,
      );
    }
  }
  if (saved) return saved;
  throw new UsageError(
    `VAULT_TOKEN is not set (nor is there a token in ${file}, as ${cliCommand(undefined, 'login')} leaves, nor BAO_TOKEN): ` +
      `export a Vault token that may ${purpose}`,
  );
}

export function vaultClient(config: MaasVaultConfig, token?: string): VaultClient {
  return new VaultClient({
    address: config.vault.address,
    token,
    caCert: config.vault.caCert,
    clientCert: config.vault.clientCert && {
      cert: config.vault.clientCert.cert,
      key: config.vault.clientCert.key,
      certVariable: config.vault.clientCert.certVariable,
    },
    origin: config.vault.origin,
  });
}

/**
 * Fails early, in plain words, when Vault is unreachable or sealed, and when the token is refused,
 * rather than letting the engine or a later call fail with a longer story.
 */
export async function ensureVaultReady(client: VaultClient): Promise<void> {
  const server = await serverInfo(client);
  if (server.sealed) throw notReadyError(server);
  await lookupSelf(client).catch((error: unknown) => {
    if (isPermissionDenied(error)) throw new VaultTokenRefusedError(client.address, server.flavour);
    throw error;
  });
}

/**
 * A "permission denied" may mean the token itself is no good (Vault says the same for both):
 * ask Vault about the token, and say which it is.
 */
export async function explainTokenRefusal(client: VaultClient, error: unknown): Promise<never> {
  if (isPermissionDenied(error)) {
    const valid = await lookupSelf(client).then(
      () => true,
      (probe: unknown) => !isPermissionDenied(probe),
    );
    if (!valid) throw new VaultTokenRefusedError(client.address, (await client.serverProfile())?.flavour);
  }
  throw error;
}

/**
 * Controller names from --controller, checked against the config; all of them when none given.
 * Controllers marked `revoked: true` are left out of "all" and refused by name, unless the
 * command is the one that revokes.
 */
export function selectControllers(config: MaasVaultConfig, requested: readonly string[] | undefined, options: { includeRevoked?: boolean } = {}): string[] {
  const known = config.controllers.map((controller) => controller.name);
  const revoked = new Set(config.controllers.filter((controller) => controller.revoked).map((controller) => controller.name));
  if (!requested || requested.length === 0) return options.includeRevoked ? known : known.filter((name) => !revoked.has(name));
  for (const name of requested) {
    if (!known.includes(name)) {
      throw new UsageError(`--controller ${JSON.stringify(name).slice(0, 70)}: not in ${config.source}; known controllers: ${known.join(', ')}`);
    }
    if (revoked.has(name) && !options.includeRevoked) {
      const index = known.indexOf(name);
      throw new UsageError(
        `--controller ${name}: controllers[${index}] has "revoked": true in ${config.source}, so nothing issues it a secret ID; remove that key (and apply) to lift the revocation`,
      );
    }
  }
  return [...new Set(requested)];
}

/**
 * Said once per run when VAULT_ADDR sends this tool somewhere else than region controllers are
 * told to go (an admin's tunnel, a local port).
 */
export function addressNote(config: MaasVaultConfig): string | undefined {
  const { address, maasAddress, addressFromEnv, maasAddressKey } = config.vault;
  if (address === maasAddress) return undefined;
  return `This run reached Vault at ${address} (${addressFromEnv ? (config.vault.origin?.address ?? 'VAULT_ADDR') : 'vault.address'}); region controllers are told ${maasAddress} (${maasAddressKey} in ${config.source}), never VAULT_ADDR.`;
}

/** --wrap-ttl of the commands that issue secret IDs, else the config's wrapTtl; a secret ID must outlive its wrapping token (config/secret-id-ttl.ts). */
export function wrapTtlOption(given: string | undefined, config: MaasVaultConfig): string {
  const wrapTtl = given ?? config.wrapTtl;
  const problem = durationProblem(wrapTtl, TTL_LIMITS.wrap);
  if (problem) throw new UsageError(`--wrap-ttl: ${problem}`);
  const floor = secretIdTtlFloorProblem(config.secretIdTtl, wrapTtl, '--wrap-ttl');
  if (floor) throw new UsageError(`secretIdTtl: ${floor}`);
  return wrapTtl;
}
