/**
 * `npm run toolchain` (also run before `npm test` and `npm run bench`): finds or installs OpenBao,
 * HashiCorp Vault, the engine, OpenTofu and terraform-provider-vault 5.6.0, cached by version under ~/.cache/maas-vault, and
 * says where each piece came from. A missing provider is reported, not fatal: it only gates the
 * e2e tier and the demo, which say so themselves.
 */
import { describeToolchain, ensureToolchain } from '../toolchain/index.js';

const started = Date.now();
// Progress is only reported while something is installed or built.
let installed = false;
try {
  const toolchain = await ensureToolchain({
    progress: (line) => {
      installed = true;
      process.stderr.write(`toolchain: ${line}\n`);
    },
  });
  // What is missing is said first, and the ready line names it: a reader who stops at "ready" is not misled.
  const missing: string[] = [];
  if (!toolchain.provider.found) {
    missing.push(`terraform-provider-vault ${toolchain.provider.version} (no e2e tier, no demo)`);
    process.stderr.write(
      `toolchain: terraform-provider-vault ${toolchain.provider.version} is missing, so the e2e tier is skipped and \`npm run demo\` cannot run. ` +
        `To supply it, ${toolchain.provider.fix}.\n`,
    );
  }
  if (!toolchain.vaultServer.found) {
    missing.push('HashiCorp Vault (no HashiCorp Vault column)');
    process.stderr.write(
      `toolchain: HashiCorp Vault is missing (${toolchain.vaultServer.reason}), so its column of the server matrix is skipped. To supply it, ${toolchain.vaultServer.fix}.\n`,
    );
  }
  if (!toolchain.opentofu.found) {
    missing.push('OpenTofu (no OpenTofu suites)');
    process.stderr.write(`toolchain: OpenTofu is missing (${toolchain.opentofu.reason}), so the OpenTofu suites are skipped.\n`);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const source = installed ? 'installed what it could' : 'everything from the cache';
  const state = missing.length === 0 ? 'ready' : `ready without ${missing.join(', ')}`;
  process.stderr.write(`toolchain ${state} in ${seconds}s (${source}): ${describeToolchain(toolchain)}\n`);
} catch (error) {
  process.stderr.write(`toolchain: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
