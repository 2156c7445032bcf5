// Ends `npm test` with the count of each column of the matrix (tier, server, engine) and one
// banner per piece that was missing: which, why, and the fix.
// Plain ESM (reporters are not transformed); it reads the toolchain record through the built code.
import { readToolchain } from '../../dist/toolchain/index.js';

export default class TierReport {
  onRunComplete(_contexts, results) {
    const columns = new Map();
    for (const suite of results.testResults) {
      const name = suite.displayName?.name ?? (typeof suite.displayName === 'string' ? suite.displayName : 'unit');
      const counts = columns.get(name) ?? [0, 0, 0];
      counts[0] += suite.numPassingTests;
      counts[1] += suite.numFailingTests;
      counts[2] += suite.numPendingTests + suite.numTodoTests;
      columns.set(name, counts);
    }
    const width = Math.max(...[...columns.keys()].map((name) => name.length), 4);
    const lines = [...columns].map(([name, [passed, failed, skipped]]) => `  ${name.padEnd(width)}  ${passed} passed, ${failed} failed, ${skipped} skipped`);
    process.stderr.write(`\nTests per column (tier · server · engine):\n${lines.join('\n')}\n`);
    let toolchain;
    try {
      toolchain = readToolchain();
    } catch (error) {
      process.stderr.write(`\n== The toolchain is not recorded: ${error.message} ==\n`);
      return;
    }
    const skippedIn = (pattern) => [...columns].filter(([name]) => pattern.test(name)).reduce((sum, [, counts]) => sum + counts[2], 0);
    const { provider, vaultServer, opentofu } = toolchain;
    const e2eSkipped = skippedIn(/^e2e/);
    if (!provider.found && e2eSkipped > 0) {
      process.stderr.write(
        `\n== e2e tier SKIPPED (${e2eSkipped} tests): terraform-provider-vault ${provider.version} is missing ==\n` +
          `${provider.reason}.\nTo supply it, ${provider.fix}.\n` +
          'Then run `npm test` again; MAAS_VAULT_E2E=require makes this skip a failure.\n',
      );
    }
    const vaultSkipped = skippedIn(/HashiCorp Vault/);
    if (!vaultServer.found && vaultSkipped > 0) {
      process.stderr.write(
        `\n== HashiCorp Vault column SKIPPED (${vaultSkipped} tests): ${vaultServer.reason} ==\n` +
          `To supply it, ${vaultServer.fix}.\nMAAS_VAULT_SERVERS=require makes this skip a failure.\n`,
      );
    }
    const tofuSkipped = skippedIn(/OpenTofu/);
    if (tofuSkipped > 0) {
      process.stderr.write(
        opentofu.found
          ? `\n== OpenTofu column not run again (${tofuSkipped} tests): OpenTofu is the main engine, so its suites ran on it ==\n`
          : `\n== OpenTofu column SKIPPED (${tofuSkipped} tests): ${opentofu.reason} ==\n`,
      );
    }
  }
}
