/**
 * `maas-vault dev`, the embedded default: a throwaway OpenBao dev server from the toolchain, the
 * example config applied to it with the real engine and provider, the per-controller commands,
 * and `verify` proving them, then the server stops (unless --keep).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../config/package-root.js';
import { loadConfigFile } from '../../config/index.js';
import { ensureToolchain, requireProvider } from '../../toolchain/index.js';
import { startDevServer } from '../../toolchain/openbao-server.js';
import { prepareStack, protectState } from '../../engine/stack-runner.js';
import { VaultClient } from '../../vault/client.js';
import { verifyControllers } from '../../vault/verify.js';
import { EXIT } from '../exit-codes.js';
import { printConfigureCommands } from '../present.js';
import { Reporter } from '../reporter.js';
import { appliedControllers } from './stack-outputs.js';
import type { GlobalArgs } from '../context.js';

export async function runDev(argv: GlobalArgs & { keep: boolean }): Promise<void> {
  const report = new Reporter({ json: argv.json, quiet: argv.quiet });
  const toolchain = await report.step('preparing the toolchain (bao, engine, provider)', () =>
    ensureToolchain({ progress: (line) => report.note(line) }),
  );
  // Before any server starts: without the provider nothing below can run.
  const provider = requireProvider(toolchain);
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-dev-'));
  const logFile = join(dir, 'openbao.log');
  const server = await report.step('starting an OpenBao dev server', () => startDevServer({ bao: toolchain.bao.path, logFile }));
  let keep = false;
  try {
    const example = JSON.parse(readFileSync(join(packageRoot(), 'examples', 'maas-vault.json'), 'utf8'));
    const configPath = join(dir, 'maas-vault.json');
    writeFileSync(configPath, JSON.stringify({ ...example, vault: { ...example.vault, address: server.address } }, null, 2));
    const config = loadConfigFile(configPath, { env: {} });
    report.note(`OpenBao ${toolchain.bao.version} dev server at ${server.address}; config ${configPath}`);

    const { engine, statePath } = await report.step('synthesizing the stack', () =>
      prepareStack({
        config,
        engine: toolchain.engine.path,
        token: server.rootToken,
        // The demo shows results, not the engine's plan: `maas-vault apply` streams that.
        env: { MAAS_VAULT_PROVIDER_MIRROR: provider.dir },
      }),
    );
    await report.step(`${toolchain.engine.kind} ${toolchain.engine.version} init`, () => engine.init());
    await report.step(`${toolchain.engine.kind} apply`, () => engine.apply());
    protectState(statePath);
    const controllers = await appliedControllers(engine, statePath);

    const client = new VaultClient({ address: server.address, token: server.rootToken });
    const results = await report.step('verifying every controller with MAAS\'s configure sequence', () =>
      verifyControllers(client, config, controllers.map((controller) => controller.name)),
    );
    await client.close();

    if (report.json) {
      report.data({ vaultAddress: server.address, controllers, verify: results });
    } else {
      report.line();
      printConfigureCommands(report, controllers, config.wrapTtl);
      report.line();
      for (const result of results) {
        report.line(result.ok ? `verify OK      ${result.controller}` : `verify FAILED  ${result.controller}: ${result.message}`);
      }
    }
    if (results.some((result) => !result.ok)) process.exitCode = EXIT.failure;

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
    if (!keep) await server.stop();
  }
}
