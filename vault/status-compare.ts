/**
 * Comparing what Vault answers with what the stack writes, the way the engine's plan does:
 * after Vault's own normalization (token CIDRs lose their /32 and /128, lists come back in any
 * order), and with a field the config leaves out expected at its zero value, since the provider
 * plans such a field back to zero.
 */
import { isIP } from 'node:net';

/** `127.0.0.1` -> `127.0.0.1/32`, `::1` -> `::1/128`: how the provider reads token_bound_cidrs back. */
export function normalizeTokenCidr(value: string): string {
  if (value.includes('/')) return value;
  const family = isIP(value);
  return family === 4 ? `${value}/32` : family === 6 ? `${value}/128` : value;
}

export function sortedSet(values: readonly string[] | null | undefined): string[] {
  return [...new Set(values ?? [])].sort();
}

export interface FieldDifference {
  field: string;
  actual: unknown;
  expected: unknown;
}

/** One difference per field whose (normalized) values differ. */
export function differences(fields: readonly [field: string, actual: unknown, expected: unknown][]): FieldDifference[] {
  return fields
    .filter(([, actual, expected]) => JSON.stringify(actual) !== JSON.stringify(expected))
    .map(([field, actual, expected]) => ({ field, actual, expected }));
}

/** The first line where two policy texts part, for a short hint (policy text holds no secrets). */
export function firstDifferentLine(actual: string, expected: string): string {
  const have = actual.split('\n');
  const want = expected.split('\n');
  for (let index = 0; index < Math.max(have.length, want.length); index++) {
    if (have[index] !== want[index]) {
      const show = (line: string | undefined) => (line === undefined ? '(end of text)' : JSON.stringify(line.length > 60 ? `${line.slice(0, 57)}...` : line));
      return `line ${index + 1} is ${show(have[index])}, expected ${show(want[index])}`;
    }
  }
  return 'the texts differ';
}
