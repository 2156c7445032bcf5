/**
 * Runs before each suite of a matrix column (setupFilesAfterEnv): where the column's server or
 * engine cannot be had here, every describe and test of the suite becomes jest's skip, counted in
 * the summary and named by test/support/tier-report.mjs, and nothing starts. With
 * MAAS_VAULT_SERVERS=require a missing HashiCorp Vault fails the suite instead.
 */
import { readToolchain } from '../../toolchain/index.js';
import { matrixColumn, missingPiece } from './matrix.js';

const missing = missingPiece(readToolchain());
if (missing) {
  if (process.env.MAAS_VAULT_SERVERS === 'require' && matrixColumn().server === 'vault') {
    throw new Error(`MAAS_VAULT_SERVERS=require: ${missing}`);
  }
  const skipped = (original: jest.Describe | jest.It) => {
    const skip = original.skip as (name: string, fn?: () => unknown) => void;
    return Object.assign((name: string, fn?: () => unknown) => skip(name, fn), original, { only: skip });
  };
  const globals = globalThis as unknown as Record<'describe' | 'it' | 'test', unknown>;
  globals.describe = skipped(describe);
  globals.it = skipped(it);
  globals.test = skipped(test);
}
