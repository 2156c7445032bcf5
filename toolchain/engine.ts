/**
 * The engine for tests and the demo: `tofu` or `terraform` >= 1.6 from PATH, else OpenTofu built
 * from the Go module proxy. Its go.mod has a replace directive, so `go install …@v` refuses it;
 * it is built inside a writable copy of the downloaded module instead.
 * MAAS_VAULT_ENGINE picks one: tofu, terraform, a path, or `opentofu-build` to force the build.
 */
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { locateEngine, type EngineBinary } from '../engine/locate.js';
import { ToolchainError } from './cache.js';
import { firstUsefulLine, heartbeat, resolveExecutable, tryCommand } from './commands.js';

export const OPENTOFU_VERSION = '1.11.7';
/**
 * Built instead when the Go checksum database this machine reaches does not know OPENTOFU_VERSION
 * (a 404 from its lookup, as here: the proxy serves v1.11.7 but sum.golang.org's mirror lacks it).
 * Checksum verification is never switched off: a user who accepts an unverified module can set
 * GONOSUMDB=github.com/opentofu/opentofu themselves, and then OPENTOFU_VERSION is built.
 */
export const OPENTOFU_FALLBACK_VERSION = '1.11.6';
const OPENTOFU_MODULE = 'github.com/opentofu/opentofu';

export interface ToolchainEngine extends EngineBinary {
  source: 'PATH' | 'MAAS_VAULT_ENGINE' | 'built from the Go module proxy';
}

export function builtTofuPath(cache: string, version: string): string {
  return join(cache, `opentofu-${version}`, 'tofu');
}

export async function ensureEngine(
  cache: string,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<ToolchainEngine> {
  const requested = env.MAAS_VAULT_ENGINE;
  if (requested && requested !== 'opentofu-build') {
    return absolute({ ...(await locateEngine(requested, 'MAAS_VAULT_ENGINE')), source: 'MAAS_VAULT_ENGINE' }, env);
  }
  if (!requested) {
    const onPath = await locateEngine().catch(() => undefined);
    if (onPath) return absolute({ ...onPath, source: 'PATH' }, env);
  }
  const cached = [OPENTOFU_VERSION, OPENTOFU_FALLBACK_VERSION].map((version) => builtTofuPath(cache, version)).find((path) => existsSync(path));
  const binary = cached ?? (await buildOpenTofu(cache, progress, env, signal));
  return { ...(await locateEngine(binary)), source: 'built from the Go module proxy' };
}

/** Records where a command found on PATH lives, so the manifest holds absolute paths. */
function absolute(engine: ToolchainEngine, env: NodeJS.ProcessEnv): ToolchainEngine {
  return { ...engine, path: resolveExecutable(engine.path, env) ?? engine.path };
}

interface GoModule {
  Dir?: string;
  Error?: string;
}

async function downloadModule(version: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<GoModule & { stderr: string; ok: boolean }> {
  const downloaded = await tryCommand('go', ['mod', 'download', '-json', `${OPENTOFU_MODULE}@v${version}`], { env, signal });
  let module: GoModule = {};
  try {
    module = JSON.parse(downloaded.stdout) as GoModule;
  } catch {
    // not JSON: go failed before reaching the module
  }
  return { ...module, stderr: downloaded.stderr, ok: downloaded.ok && !!module.Dir && !module.Error };
}

/** Go's answer when the checksum database has never heard of a version (not a mismatch: that is a SECURITY ERROR). */
function unknownToChecksumDatabase(error: string | undefined): boolean {
  return !!error && /verifying .*\/lookup\/\S+: (404|410)\b/.test(error);
}

async function buildOpenTofu(cache: string, progress: (line: string) => void, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string> {
  progress(`building OpenTofu ${OPENTOFU_VERSION} from the Go module proxy (first run only, a few minutes)...`);
  const stopBeat = heartbeat(progress, `building OpenTofu`);
  try {
    let version = OPENTOFU_VERSION;
    let module = await downloadModule(version, env, signal);
    if (!module.ok && unknownToChecksumDatabase(module.Error)) {
      progress(
        `OpenTofu ${OPENTOFU_VERSION} is not in the Go checksum database this machine reaches (${module.Error!.replace(/^.*: /, '')}); ` +
          `building ${OPENTOFU_FALLBACK_VERSION}, which it can verify, instead`,
      );
      version = OPENTOFU_FALLBACK_VERSION;
      module = await downloadModule(version, env, signal);
    }
    const command = `go mod download -json ${OPENTOFU_MODULE}@v${version}`;
    if (!module.ok) {
      throw new ToolchainError(
        `OpenTofu ${version} could not be had: \`${command}\` failed: ${module.Error ?? firstUsefulLine(module.stderr)}. ` +
          'Install tofu or terraform (>= 1.6) on PATH instead, or point MAAS_VAULT_ENGINE at one.',
      );
    }

    const binary = builtTofuPath(cache, version);
    const work = mkdtempSync(join(cache, '.opentofu-build-'));
    try {
      const source = join(work, 'src');
      // The module cache is read-only; the copy must be writable to build in and to delete.
      cpSync(module.Dir!, source, { recursive: true });
      makeWritable(source);
      progress(`compiling OpenTofu ${version} (./cmd/tofu) in ${source}...`);
      // As release builds do: without dev=no the binary calls itself <version>-dev.
      const ldflags = '-s -w -X github.com/opentofu/opentofu/version.dev=no';
      const args = ['build', '-trimpath', '-ldflags', ldflags, '-o', join(work, 'tofu'), './cmd/tofu'];
      const built = await tryCommand('go', args, {
        cwd: source,
        env: { ...env, GOFLAGS: `${env.GOFLAGS ?? ''} -mod=mod`.trim(), CGO_ENABLED: '0' },
        signal,
      });
      if (!built.ok || !existsSync(join(work, 'tofu'))) {
        throw new ToolchainError(
          `OpenTofu ${version} could not be built: \`go ${args.join(' ')}\` in a copy of ${module.Dir} failed: ${firstUsefulLine(built.stderr)}. ` +
            'Install tofu or terraform (>= 1.6) on PATH instead, or point MAAS_VAULT_ENGINE at one.',
        );
      }
      const reported = (await locateEngine(join(work, 'tofu')).catch((error: Error) => error.message)) as EngineBinary | string;
      if (typeof reported === 'string' || reported.version !== version) {
        throw new ToolchainError(`OpenTofu ${version} was built but does not report itself as ${version}: ${typeof reported === 'string' ? reported : reported.version}`);
      }
      mkdirSync(join(binary, '..'), { recursive: true });
      renameSync(join(work, 'tofu'), binary);
      return binary;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } finally {
    stopBeat();
  }
}

function makeWritable(path: string): void {
  const stats = lstatSync(path);
  if (stats.isSymbolicLink()) return;
  chmodSync(path, stats.mode | 0o200);
  if (stats.isDirectory()) for (const name of readdirSync(path)) makeWritable(join(path, name));
}
