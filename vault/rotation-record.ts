/**
 * The record a rotation leaves in the work directory between `rotate` and `rotate --finish`:
 * which secret-ID accessors were live before the rotation began. Accessors only: an accessor can
 * destroy a secret ID but never log in, so the file holds no secret (it is still mode 0600, in
 * the 0700 work directory, and written whole or not at all).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writePrivateFile } from '../config/private-file.js';
import { join } from 'node:path';

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

export interface RotationRecord {
  version: typeof ROTATION_RECORD_VERSION;
  site: string;
  controllers: Record<string, PendingRotation>;
}

export function rotationRecordPath(workDir: string): string {
  return join(workDir, 'rotation.json');
}

/** The pending rotations of a site; an empty record when none was begun. */
export function readRotationRecord(workDir: string, site: string): RotationRecord {
  const path = rotationRecordPath(workDir);
  const empty: RotationRecord = { version: ROTATION_RECORD_VERSION, site, controllers: {} };
  if (!existsSync(path)) return empty;
  let parsed: Partial<RotationRecord>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<RotationRecord>;
  } catch {
    throw new RotationRecordError(`${path} is not valid JSON: it was edited by hand or written by something else. Move it away and run \`maas-vault rotate\` again`);
  }
  if (parsed.version !== ROTATION_RECORD_VERSION || typeof parsed.controllers !== 'object' || parsed.controllers === null) {
    throw new RotationRecordError(`${path} is not a rotation record of this maas-vault version: move it away and run \`maas-vault rotate\` again`);
  }
  if (parsed.site !== site) {
    throw new RotationRecordError(`${path} belongs to site "${String(parsed.site)}", not "${site}": each site needs its own workDir`);
  }
  return parsed as RotationRecord;
}

/** Replaces the record atomically (a 0600 temporary file, then a rename); removes it when nothing is pending. */
export function writeRotationRecord(workDir: string, record: RotationRecord): void {
  const path = rotationRecordPath(workDir);
  if (Object.keys(record.controllers).length === 0) {
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
