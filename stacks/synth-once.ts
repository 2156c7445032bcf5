/**
 * Synthesizes a config's stack only when something that shapes it changed. Loading cdktf and the
 * provider bindings is most of a small site's plan time, and a config that did not change gives the
 * same JSON. The key covers the validated config (the environment it took in included) and the
 * fingerprint of the synth code the build recorded; the JSON on disk must still be the one that was
 * written. Any mismatch, or no fingerprint (running from source), synthesizes as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writePrivateFile } from '../config/private-file.js';
import { join } from 'node:path';
import type { MaasVaultConfig } from '../config/index.js';
import { packageRoot } from '../config/package-root.js';
import { workLayout, type WorkLayout } from './work-layout.js';
import type { StackImports } from './import-ids.js';

/** Written by the build (scripts/bundle.ts): a hash of everything that decides the synthesized JSON. */
export const SYNTH_FINGERPRINT_FILE = 'dist/synth-fingerprint.txt';

export interface SynthOnceResult extends WorkLayout {
  /** True when the JSON on disk was reused without loading cdktf. */
  reused: boolean;
}

interface SynthRecord {
  key: string;
  json: string;
}

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

function fingerprint(): string | undefined {
  const path = join(packageRoot(), SYNTH_FINGERPRINT_FILE);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

function recordPath(config: Pick<MaasVaultConfig, 'workDir'>): string {
  return join(config.workDir, 'cdktf.out', 'synth-record.json');
}

function readRecord(path: string): SynthRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as Partial<SynthRecord>;
    return typeof record.key === 'string' && typeof record.json === 'string' ? (record as SynthRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** `code` is the build's fingerprint of the synth code (read from the package unless given; null: none). */
export async function synthOnce(
  config: MaasVaultConfig,
  code: string | null = fingerprint() ?? null,
  imports?: StackImports,
  rotated: ReadonlySet<string> = new Set(),
): Promise<SynthOnceResult> {
  // The import blocks of an adoption shape the JSON too (they go once the state holds the objects),
  // and so do the controllers whose secret ID rotation took over.
  const key = code === null ? undefined : sha256(`${code}\n${JSON.stringify(config)}\n${importsKey(imports)}\n${JSON.stringify([...rotated].sort())}`);
  const layout = workLayout(config);
  const record = recordPath(config);
  if (key !== undefined && existsSync(layout.jsonPath)) {
    const recorded = readRecord(record);
    if (recorded?.key === key && recorded.json === sha256(readFileSync(layout.jsonPath))) return { ...layout, reused: true };
  }
  const { synthStack } = await import('./synth.js');
  const result = synthStack(config, imports, rotated);
  if (key !== undefined) {
    writePrivateFile(record, JSON.stringify({ key, json: sha256(readFileSync(result.jsonPath)) }));
  }
  return { ...result, reused: false };
}

function importsKey(imports: StackImports | undefined): string {
  if (imports === undefined) return 'none';
  return JSON.stringify({ roles: [...imports.roles].sort(), policy: imports.policy });
}
