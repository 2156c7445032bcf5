/**
 * The record a rotation leaves between `rotate` and `rotate --finish` (in the work directory, or
 * for a pg site in PostgreSQL beside the state: engine/pg-rotation.ts):
 * which secret-ID accessors were live before the rotation began. Accessors only: an accessor can
 * destroy a secret ID but never log in, so the file holds no secret (it is still mode 0600, in
 * the 0700 work directory, and written whole or not at all).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { writePrivateFile } from '../config/private-file.js';
import { join } from 'node:path';
import { roleName, type MaasVaultConfig } from '../config/index.js';
import { stateSchemaName } from '../stacks/state-schema.js';

export const ROTATION_RECORD_VERSION = 1;

export interface PendingRotation {
  /** The role the accessors belong to, when the rotation began. */
  role: string;
  /** When `rotate` first began this rotation (ISO 8601). */
  startedAt: string;
  /** Secret IDs live before the rotation began: `--finish` destroys these and only these. */
  previousAccessors: string[];
  /** Secret IDs `rotate` issued (more than one when it ran again before `--finish`): never destroyed. */
  issuedAccessors: string[];
  /** Accessors of the wrapping tokens `rotate` printed, to tell whether the region unwrapped one. */
  wrappingAccessors: string[];
}

/**
 * A controller whose rotation finished: the region runs on the secret ID `rotate` issued and the
 * stack's own one was destroyed, so from then on the stack issues it no secret ID (it would be a
 * second live one) and `status` checks these accessors instead. Kept until the role changes.
 */
export interface RotatedCredential {
  role: string;
  /** When `rotate --finish` last finished a rotation of this controller (ISO 8601). */
  finishedAt: string;
  /** The secret IDs the region may run on now: those `rotate` issued and `--finish` kept. */
  secretIdAccessors: string[];
}

export interface RotationRecord {
  version: typeof ROTATION_RECORD_VERSION;
  site: string;
  controllers: Record<string, PendingRotation>;
  /** Controllers whose secret ID is managed by rotation (absent in records written before it existed). */
  rotated?: Record<string, RotatedCredential>;
}

export function rotationRecordPath(workDir: string): string {
  return join(workDir, 'rotation.json');
}

/** The pending rotations of a site kept in a work directory; an empty record when none was begun. */
export function readRotationRecord(workDir: string, site: string): RotationRecord {
  const path = rotationRecordPath(workDir);
  if (!existsSync(path)) return emptyRecord(site);
  return parseRotationRecord(readFileSync(path, 'utf8'), path, site);
}

function emptyRecord(site: string): RotationRecord {
  return { version: ROTATION_RECORD_VERSION, site, controllers: {} };
}

function parseRotationRecord(text: string, where: string, site: string): RotationRecord {
  let parsed: Partial<RotationRecord>;
  try {
    parsed = JSON.parse(text) as Partial<RotationRecord>;
  } catch {
    throw new RotationRecordError(
      `${where} is not valid JSON: it was edited by hand or written by something else. Move it away and run \`maas-vault rotate\` again`,
    );
  }
  if (parsed.version !== ROTATION_RECORD_VERSION || typeof parsed.controllers !== 'object' || parsed.controllers === null) {
    throw new RotationRecordError(`${where} is not a rotation record of this maas-vault version: move it away and run \`maas-vault rotate\` again`);
  }
  if (parsed.site !== site) {
    throw new RotationRecordError(`${where} belongs to site "${String(parsed.site)}", not "${site}": each site needs its own workDir`);
  }
  if (parsed.rotated !== undefined && (typeof parsed.rotated !== 'object' || parsed.rotated === null)) {
    throw new RotationRecordError(`${where}: "rotated" is not an object: it was edited by hand. Move the file away and run \`maas-vault rotate\` again`);
  }
  return parsed as RotationRecord;
}

/** Where the site's rotation record lives, for messages. */
export function rotationRecordLocation(config: Pick<MaasVaultConfig, 'workDir' | 'site' | 'state'>): string {
  return config.state.backend === 'pg' ? `PostgreSQL, table ${stateSchemaName(config)}.maas_vault_rotation` : rotationRecordPath(config.workDir);
}

/**
 * The site's rotation record: for a pg site from PostgreSQL, beside the state, so every machine
 * sees the same rotations; else from the work directory. A pg site's work directory may still hold
 * a record written before it lived in PostgreSQL: it is moved there once (where none was ever
 * stored), and the file renamed `rotation.json.moved-to-pg` (kept: accessors only, no secret).
 */
export async function loadRotationRecord(config: MaasVaultConfig): Promise<RotationRecord> {
  if (config.state.backend !== 'pg') return readRotationRecord(config.workDir, config.site);
  const { readPgRotationRecord, writePgRotationRecord } = await import('../engine/pg-rotation.js');
  const schema = stateSchemaName(config);
  const where = rotationRecordLocation(config);
  let text = await readPgRotationRecord(schema);
  const local = rotationRecordPath(config.workDir);
  if (text === undefined && existsSync(local)) {
    const moving = readRotationRecord(config.workDir, config.site);
    text = await writePgRotationRecord(schema, JSON.stringify(moving), { onlyIfNone: true });
    try {
      renameSync(local, `${local}.moved-to-pg`);
    } catch {
      // A read-only work directory: PostgreSQL holds the record now, the file is never read again.
    }
  }
  return text === undefined ? emptyRecord(config.site) : parseRotationRecord(text, where, config.site);
}

/** Stores the record where the site keeps it (under the site's lock: `rotate` holds it). */
export async function saveRotationRecord(config: MaasVaultConfig, record: RotationRecord): Promise<void> {
  if (config.state.backend !== 'pg') return writeRotationRecord(config.workDir, record);
  const { writePgRotationRecord } = await import('../engine/pg-rotation.js');
  // An empty record stays stored: it says a rotation record exists here, so no old file moves in again.
  await writePgRotationRecord(stateSchemaName(config), JSON.stringify(record));
}

/**
 * The controllers whose secret ID is managed by rotation under the config as it is now: same role
 * as when the rotation finished. The stack issues them none, and `status` checks the rotated one.
 */
export function rotationManaged(record: RotationRecord, roleOf: (controller: string) => string): Map<string, RotatedCredential> {
  return new Map(Object.entries(record.rotated ?? {}).filter(([name, rotated]) => rotated.role === roleOf(name)));
}

/** Replaces the record atomically (a 0600 temporary file, then a rename); removes it when it holds nothing. */
export function writeRotationRecord(workDir: string, record: RotationRecord): void {
  const path = rotationRecordPath(workDir);
  if (Object.keys(record.controllers).length === 0 && Object.keys(record.rotated ?? {}).length === 0) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const gitignore = join(workDir, '.gitignore');
  if (!existsSync(gitignore)) writeFileSync(gitignore, '# maas-vault work directory: engine state holds wrapping tokens\n*\n');
  writePrivateFile(path, `${JSON.stringify(record, null, 2)}\n`);
}

/** A record that cannot be used; nothing was sent to Vault. */
export class RotationRecordError extends Error {
  override name = 'RotationRecordError';
  readonly exitCode = 2;
}

/**
 * The names of the controllers the stack must issue no secret ID for, because rotation manages
 * theirs (see RotatedCredential): what every synth of the site is given.
 */
export async function rotationManagedControllers(config: MaasVaultConfig): Promise<ReadonlySet<string>> {
  if (!config.stackSecretIds) return new Set();
  const record = await loadRotationRecord(config);
  return new Set(rotationManaged(record, (controller) => roleName(config, controller)).keys());
}
