/**
 * `maas-vault dev`, the embedded default: a throwaway OpenBao dev server from the toolchain, the
 * example config (or --config's) applied to it with the real engine and provider, the
 * per-controller commands, and `verify` proving them, then the server stops (unless --keep) and
 * its temporary directory goes with it; on a failure the server log stays, and the command says where.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { packageRoot } from '../../config/package-root.js';
import { loadConfigFile, parseConfigText } from '../../config/index.js';
import { readEnvironment } from '../../config/environment.js';
import { ensureToolchain, requireProvider, ToolchainError, type VaultServerResolution } from '../../toolchain/index.js';
import { startDevServer } from '../../toolchain/openbao-server.js';
import { verifyControllers } from '../../vault/verify.js';
import { EXIT } from '../exit-codes.js';
import { handOffCommands, handOffTarget, printConfigureCommands } from '../present.js';
import { Reporter } from '../reporter.js';
import { appliedControllers } from './stack-outputs.js';
import type { GlobalArgs } from '../context.js';
import { openStackSession } from './stack-session.js';

export type DevServerKind = 'openbao' | 'vault';

export async function runDev(argv: GlobalArgs & { keep: boolean; server: DevServerKind }): Promise<void> {
  // The dev server is its own, but the engine inherits this shell's environment (a namespace would reach the provider).
  readEnvironment(process.env);
  const report = new Reporter({ json: argv.json, quiet: argv.quiet });
  // --config's site on the dev server: checked before anything starts, so a bad file is exit 2.
  const sourcePath = argv.config ?? join(packageRoot(), 'examples', 'maas-vault.json');
  loadConfigFile(sourcePath, { env: {} });
  const site = devSite(sourcePath);
  const onVault = argv.server === 'vault';
  const toolchain = await report.step(`preparing the toolchain (${onVault ? 'HashiCorp Vault' : 'bao'}, engine, provider)`, () =>
    ensureToolchain({ progress: (line) => report.note(line), want: { vaultServer: onVault, opentofu: false } }),
  );
  // Before any server starts: without the provider nothing below can run.
  const provider = requireProvider(toolchain);
  const binary = onVault ? requireVaultServer(toolchain.vaultServer) : { path: toolchain.bao.path, version: toolchain.bao.version };
  const serverName = onVault ? 'HashiCorp Vault' : 'OpenBao';
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-dev-'));
  const logFile = join(dir, `${argv.server}.log`);
  const server = await report
    .step(`starting a${onVault ? '' : 'n'} ${serverName} dev server`, () => startDevServer({ bao: binary.path, logFile }))
    .catch((error: unknown) => {
      report.warn(`the dev server's log is kept in ${logFile}`);
      throw error;
    });
  let keep = false;
  let failed = true;
  try {
    const configPath = join(dir, 'maas-vault.json');
    writeFileSync(configPath, JSON.stringify({ ...site, vault: { address: server.address } }, null, 2));
    const config = loadConfigFile(configPath, { env: {} });
    report.note(`${serverName} ${binary.version} dev server at ${server.address}; config ${configPath}`);

    // The one engine session, as apply's, with the dev server's root token and the toolchain's
    // engine and provider; its defaults for dev (stack-session.ts) say why there is no pre-flight.
    const session = await openStackSession(argv, true, 'dev', {
      context: { config, report },
      token: server.rootToken,
      engine: toolchain.engine.path,
      // The toolchain's provider, and none of this shell's maas-vault settings (the site is the dev server's).
      env: { MAAS_VAULT_PROVIDER_MIRROR: provider.dir },
    });
    const { engine, statePath, client } = session;
    let results: Awaited<ReturnType<typeof verifyControllers>>;
    let controllers: Awaited<ReturnType<typeof appliedControllers>>;
    try {
      await session.engineStep(`${toolchain.engine.kind} apply`, () => engine.applyUnguarded());
      controllers = await appliedControllers(engine, statePath);
      results = await report.step("verifying every controller with MAAS's configure sequence", () =>
        verifyControllers(
          client!,
          config,
          controllers.map((controller) => controller.name),
        ),
      );
    } finally {
      session.release();
      await client?.close();
    }

    if (report.json) {
      report.data({ vaultAddress: server.address, controllers, verify: results });
    } else {
      report.line();
      // A dev server just started: no region has configured or migrated against it yet.
      const target = handOffTarget(config);
      const lines = controllers.map((controller) => ({
        ...controller,
        configured: false,
        ...(controller.wrappedToken ? handOffCommands(target, controller.roleId, controller.wrappedToken, false) : {}),
      }));
      printConfigureCommands(report, lines, { wrapTtl: config.wrapTtl, target, migrated: false });
      report.line();
      for (const result of results) {
        report.line(result.ok ? `verify OK      ${result.controller}` : `verify FAILED  ${result.controller}: ${result.message}`);
      }
    }
    failed = results.some((result) => !result.ok);
    if (failed) process.exitCode = EXIT.failure;

    if (!argv.keep && !report.json) {
      report.line();
      report.line('The dev server stops now, and these commands with it: `maas-vault dev --keep` leaves it running.');
    }
    if (argv.keep) {
      keep = true;
      server.detach();
      report.line();
      report.line(`The dev server keeps running (pid ${server.pid}, log ${logFile}). To use it, and to stop it:`);
      report.line(`  export VAULT_ADDR=${server.address} VAULT_TOKEN=${server.rootToken}`);
      report.line(`  maas-vault status --config ${configPath}`);
      report.line(`  kill ${server.pid}`);
    }
  } finally {
    if (!keep) {
      await server.stop();
      if (failed) report.warn(`the dev server's log is kept in ${logFile}`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * The site to run: the config's own settings, minus what only fits its real Vault (address, CA,
 * namespace), its work directory and its state backend: the state lives in the throwaway directory
 * with the dev server, never in the real site's PostgreSQL schema, whose record an older state may lack.
 */
function devSite(path: string): Record<string, unknown> {
  const data = parseConfigText(readFileSync(path, 'utf8'), extname(path).toLowerCase(), path) as Record<string, unknown>;
  const { workDir: _workDir, vault: _vault, state: _state, ...site } = data;
  return site;
}

/** HashiCorp Vault for `dev --server vault`, or exit 1 saying why it is missing and how to supply it. */
function requireVaultServer(resolution: VaultServerResolution): { path: string; version: string } {
  if (resolution.found) return resolution;
  throw new ToolchainError(`--server vault: HashiCorp Vault is missing (${resolution.reason}). To supply it, ${resolution.fix}.`);
}
