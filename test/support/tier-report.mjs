// Ends `npm test` with one banner when the e2e tier was skipped: which piece is missing and the fix.
// Plain ESM (reporters are not transformed); it reads the toolchain record through the built code.
import { readToolchain } from '../../dist/toolchain/index.js';

export default class TierReport {
  onRunComplete(_contexts, results) {
    const tiers = { unit: [0, 0, 0], openbao: [0, 0, 0], e2e: [0, 0, 0] };
    for (const suite of results.testResults) {
      const tier = /\.e2e\.test\.ts$/.test(suite.testFilePath) ? 'e2e' : /\.openbao\.test\.ts$/.test(suite.testFilePath) ? 'openbao' : 'unit';
      tiers[tier][0] += suite.numPassingTests;
      tiers[tier][1] += suite.numFailingTests;
      tiers[tier][2] += suite.numPendingTests + suite.numTodoTests;
    }
    const lines = Object.entries(tiers).map(([tier, [passed, failed, skipped]]) => `  ${tier.padEnd(8)} ${passed} passed, ${failed} failed, ${skipped} skipped`);
    process.stderr.write(`\nTests per tier:\n${lines.join('\n')}\n`);
    let provider;
    try {
      provider = readToolchain().provider;
    } catch (error) {
      process.stderr.write(`\n== The toolchain is not recorded: ${error.message} ==\n`);
      return;
    }
    if (provider.found || tiers.e2e[2] === 0) return;
    process.stderr.write(
      `\n== e2e tier SKIPPED (${tiers.e2e[2]} tests): terraform-provider-vault ${provider.version} is missing ==\n` +
        `${provider.reason}.\nTo supply it, ${provider.fix}.\n` +
        'Then run `npm test` again; MAAS_VAULT_E2E=require makes this skip a failure.\n',
    );
  }
}
