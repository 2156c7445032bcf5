/**
 * What `revoke` remembers in the work directory, so that an apply or `credentials` run from the
 * same work directory cannot quietly hand a revoked controller a fresh secret ID before the admin
 * has marked it `"revoked": true` in the config (the mark is what keeps it locked out for good).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MaasVaultConfig } from '../config/index.js';
import { UsageError } from './exit-codes.js';

type Record_ = Record<string, string>;

export function revocationRecordPath(config: MaasVaultConfig): string {
  return join(config.workDir, 'revoked.json');
}

function readRecord(config: MaasVaultConfig): Record_ {
  const path = revocationRecordPath(config);
  if (!existsSync(path)) return {};
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record_) : {};
  } catch {
    return {};
  }
}

function writeRecord(config: MaasVaultConfig, record: Record_): void {
  mkdirSync(config.workDir, { recursive: true, mode: 0o700 });
  writeFileSync(revocationRecordPath(config), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
}

export function recordRevocations(config: MaasVaultConfig, controllers: readonly string[]): void {
  const record = readRecord(config);
  const when = new Date().toISOString();
  for (const name of controllers) record[name] = when;
  writeRecord(config, record);
}

/**
 * Refuses (exit 2, before anything is sent to Vault) while a revoked controller is not marked in
 * the config. Entries the config now carries, or whose controller is gone, are dropped: from then
 * on the config alone decides, and removing the mark lifts the revocation.
 */
export function refuseUnmarkedRevocations(config: MaasVaultConfig, command: string): void {
  const record = readRecord(config);
  const names = Object.keys(record);
  if (names.length === 0) return;
  const unmarked: string[] = [];
  for (const name of names) {
    const index = config.controllers.findIndex((controller) => controller.name === name);
    if (index !== -1 && !config.controllers[index].revoked) unmarked.push(`controllers[${index}] (${name}, revoked ${record[name]})`);
    else delete record[name];
  }
  if (unmarked.length === 0) {
    try {
      writeRecord(config, record);
    } catch {
      // Only tidying: the config marks every entry now, so a record that cannot be rewritten changes nothing.
    }
    return;
  }
  throw new UsageError(
    `${command} refused: \`maas-vault revoke\` cut off ${unmarked.join(', ')}, but ${config.source} does not mark ${unmarked.length === 1 ? 'it' : 'them'} "revoked": true, ` +
      `so ${command} would issue a fresh secret ID. Add "revoked": true to keep ${unmarked.length === 1 ? 'it' : 'them'} locked out; ` +
      'removing the mark later lifts the revocation (to lift it right away: add the mark, run apply once, remove it).',
  );
}
