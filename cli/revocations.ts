/**
 * What `revoke` remembers in the work directory (and, for a pg site, beside the state in
 * PostgreSQL, so every machine sees it), so that an apply, `credentials` or `rotate` cannot quietly
 * hand a revoked controller a fresh secret ID before the admin has marked it `"revoked": true` in
 * the config (the mark is what keeps it locked out for good).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MaasVaultConfig } from '../config/index.js';
import { UsageError } from './exit-codes.js';
import { requirePgConnection } from '../engine/pg-connection.js';
import { stateSchemaName } from '../stacks/state-schema.js';

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

/** Where a revocation is recorded, and the first place it could not be (in order: the work directory, PostgreSQL). */
export interface RecordOutcome {
  /** What could not be written, and why (an unwritable work directory, an unreachable PostgreSQL). */
  notRecorded: string[];
}

/** Records everywhere it can; a place that cannot be written is reported, never fatal (break-glass goes on). */
export async function recordRevocations(config: MaasVaultConfig, controllers: readonly string[]): Promise<RecordOutcome> {
  const notRecorded: string[] = [];
  if (controllers.length === 0) return { notRecorded };
  const when = new Date().toISOString();
  try {
    const record = readRecord(config);
    for (const name of controllers) record[name] = when;
    writeRecord(config, record);
  } catch (error) {
    notRecorded.push(
      `${revocationRecordPath(config)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}: the work directory cannot be written)`,
    );
  }
  if (config.state.backend === 'pg') {
    try {
      const { recordPgRevocations } = await import('../engine/pg-state.js');
      await recordPgRevocations(stateSchemaName(config), controllers, when);
    } catch (error) {
      notRecorded.push(`PostgreSQL schema ${stateSchemaName(config)} (${(error as Error).message})`);
    }
  }
  return { notRecorded };
}

/**
 * Refuses (exit 2, before anything is sent to Vault) while a revoked controller is not marked in
 * the config. Entries the config now carries, or whose controller is gone, are dropped: from then
 * on the config alone decides, and removing the mark lifts the revocation.
 */
export async function refuseUnmarkedRevocations(config: MaasVaultConfig, command: string): Promise<void> {
  const record = readRecord(config);
  let shared: Record_ = {};
  if (config.state.backend === 'pg') {
    requirePgConnection(process.env);
    const { readPgRevocations } = await import('../engine/pg-state.js');
    shared = await readPgRevocations(stateSchemaName(config));
  }
  const names = [...new Set([...Object.keys(record), ...Object.keys(shared)])];
  if (names.length === 0) return;
  const lifted: string[] = [];
  const unmarked: string[] = [];
  for (const name of names) {
    const index = config.controllers.findIndex((controller) => controller.name === name);
    if (index !== -1 && !config.controllers[index].revoked) unmarked.push(`controllers[${index}] (${name}, revoked ${record[name] ?? shared[name]})`);
    else {
      delete record[name];
      if (name in shared) lifted.push(name);
    }
  }
  if (unmarked.length === 0) {
    try {
      writeRecord(config, record);
    } catch {
      // Only tidying: the config marks every entry now, so a record that cannot be rewritten changes nothing.
    }
    if (lifted.length > 0) {
      const { forgetPgRevocations } = await import('../engine/pg-state.js');
      await forgetPgRevocations(stateSchemaName(config), lifted);
    }
    return;
  }
  throw new UsageError(
    `${command} refused: \`maas-vault revoke\` cut off ${unmarked.join(', ')}, but ${config.source} does not mark ${unmarked.length === 1 ? 'it' : 'them'} "revoked": true, ` +
      `so ${command} would issue a fresh secret ID. Add "revoked": true to keep ${unmarked.length === 1 ? 'it' : 'them'} locked out; ` +
      'removing the mark later lifts the revocation (to lift it right away: add the mark, run apply once, remove it).',
  );
}
