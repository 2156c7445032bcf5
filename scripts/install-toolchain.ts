/**
 * `npm run toolchain` (also run before `npm test` and `npm run bench`): finds or installs OpenBao,
 * the engine and terraform-provider-vault 5.6.0, cached by version under ~/.cache/maas-vault.
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
} catch (error) {
  process.stderr.write(`toolchain: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
