/** Runs the built CLI as a user would: a separate process, its own environment, nothing inherited by accident. */
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sourceFingerprint, SOURCE_FINGERPRINT_FILE } from '../../scripts/bundle/source-fingerprint.js';
import { readToolchain } from '../../toolchain/index.js';
import { enginePath } from './matrix.js';

/** The bundled CLI, as it ships (`bin` in package.json). */
export const CLI = fileURLToPath(new URL('../../dist/bundle/maas-vault.cjs', import.meta.url));

/**
 * A suite that runs the built CLI runs the sources in front of it, or fails at once naming the
 * command: without this, an edited source with an old bundle passes its tests against the old build.
 */
export function requireFreshBuild(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  let built = '';
  try {
    built = readFileSync(join(root, SOURCE_FINGERPRINT_FILE), 'utf8').trim();
  } catch {
    // no build yet
  }
  if (built !== sourceFingerprint(root)) {
    throw new Error(
      `dist/bundle was not built from the sources in ${root} (${built ? 'a source changed since' : 'no build'}): run \`npm run build\` (npm test does), then this test again`,
    );
  }
}
requireFreshBuild();

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, as a person would see them. */
  all: string;
}

export interface CliOptions {
  token?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
}

/** The engine of this matrix column and the provider mirror of the test toolchain, as a user would pass them (no mirror where the provider is missing). */
export function engineEnv(): Record<string, string> {
  const toolchain = readToolchain();
  return { MAAS_VAULT_ENGINE: enginePath(toolchain), ...(toolchain.provider.found ? { MAAS_VAULT_PROVIDER_MIRROR: toolchain.provider.dir } : {}) };
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    reject: false,
    all: true,
    cwd: options.cwd,
    input: options.input ?? '',
    extendEnv: false,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...engineEnv(),
      ...(options.token ? { VAULT_TOKEN: options.token } : {}),
      ...options.env,
    },
    timeout: 300_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), all: String(result.all) };
}
