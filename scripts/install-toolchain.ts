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
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(`toolchain ready in ${seconds}s (${installed ? 'installed what was missing' : 'everything from the cache'}): ${describeToolchain(toolchain)}\n`);
  if (!toolchain.provider.found) {
    process.stderr.write(
      `toolchain: terraform-provider-vault ${toolchain.provider.version} is missing, so the e2e tier is skipped and \`npm run demo\` cannot run. ` +
        `To supply it, ${toolchain.provider.fix}.\n`,
    );
  }
  if (!toolchain.vaultServer.found) {
    process.stderr.write(
      `toolchain: HashiCorp Vault is missing (${toolchain.vaultServer.reason}), so its column of the server matrix is skipped. To supply it, ${toolchain.vaultServer.fix}.\n`,
    );
  }
  if (!toolchain.opentofu.found) process.stderr.write(`toolchain: OpenTofu is missing (${toolchain.opentofu.reason}), so the OpenTofu suites are skipped.\n`);
} catch (error) {
  process.stderr.write(`toolchain: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
