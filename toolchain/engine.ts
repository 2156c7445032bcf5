/**
 * The engine for tests and the demo: `tofu` or `terraform` >= 1.6 from PATH, else OpenTofu built
 * from the Go module proxy. Its go.mod has a replace directive, so `go install …@v` refuses it;
 * it is built inside a writable copy of the downloaded module instead.
 * MAAS_VAULT_ENGINE picks one: tofu, terraform, a path, or `opentofu-build` to force the build.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { locateEngine, type EngineBinary } from '../engine/locate.js';
import { ToolchainError } from './cache.js';
import { heartbeat, resolveExecutable } from './commands.js';
import { buildInCopy, downloadModule, unknownToChecksumDatabase } from './go-build.js';

export const OPENTOFU_VERSION = '1.11.7';
/**
 * Built instead when the Go checksum database this machine reaches does not know OPENTOFU_VERSION
 * (a 404 from its lookup, as here: the proxy serves v1.11.7 but sum.golang.org's mirror lacks it).
 * Checksum verification is never switched off: a user who accepts an unverified module can set
 * GONOSUMDB=github.com/opentofu/opentofu themselves, and then OPENTOFU_VERSION is built.
 */
export const OPENTOFU_FALLBACK_VERSION = '1.11.6';
const OPENTOFU_MODULE = 'github.com/opentofu/opentofu';
const INSTALL_ENGINE = 'Install tofu or terraform (>= 1.6) on PATH instead, or point MAAS_VAULT_ENGINE at one.';

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

async function buildOpenTofu(cache: string, progress: (line: string) => void, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string> {
  progress(`building OpenTofu ${OPENTOFU_VERSION} from the Go module proxy (first run only, a few minutes)...`);
  const stopBeat = heartbeat(progress, `building OpenTofu`);
  try {
    let version = OPENTOFU_VERSION;
    let module = await downloadModule(OPENTOFU_MODULE, version, env, signal);
    if (!module.ok && unknownToChecksumDatabase(module.error)) {
      progress(
        `OpenTofu ${OPENTOFU_VERSION} is not in the Go checksum database this machine reaches (${module.error!.replace(/^.*: /, '')}); ` +
          `building ${OPENTOFU_FALLBACK_VERSION}, which it can verify, instead`,
      );
      version = OPENTOFU_FALLBACK_VERSION;
      module = await downloadModule(OPENTOFU_MODULE, version, env, signal);
    }
    if (!module.ok) {
      throw new ToolchainError(`OpenTofu ${version} could not be had: \`${module.command}\` failed: ${module.error}. ${INSTALL_ENGINE}`);
    }
    const built = await buildInCopy({
      moduleDir: module.dir!,
      cache,
      pkg: './cmd/tofu',
      // As release builds do: without dev=no the binary calls itself <version>-dev.
      ldflags: '-s -w -X github.com/opentofu/opentofu/version.dev=no',
      destination: builtTofuPath(cache, version),
      env,
      signal,
      progress,
      verify: async (binary) => {
        const reported = await locateEngine(binary).catch<string>((error: Error) => error.message);
        if (typeof reported === 'string' || reported.version !== version) {
          throw new ToolchainError(
            `OpenTofu ${version} was built but does not report itself as ${version}: ${typeof reported === 'string' ? reported : reported.version}`,
          );
        }
      },
    });
    if (typeof built !== 'string')
      throw new ToolchainError(`OpenTofu ${version} could not be built: \`${built.command}\` failed: ${built.reason}. ${INSTALL_ENGINE}`);
    return built;
  } finally {
    stopBeat();
  }
}

export type OpenTofuResolution = (ToolchainEngine & { found: true }) | { found: false; reason: string };

/**
 * OpenTofu beside the main engine, so the suites that need it (state encryption) and the e2e core
 * on a second engine run even where terraform is on PATH: the main engine when it is tofu, else
 * `tofu` on PATH, else the cached or a new build. One that cannot be had is a result, not a failure.
 */
export async function ensureOpenTofu(
  cache: string,
  primary: ToolchainEngine,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<OpenTofuResolution> {
  if (primary.kind === 'tofu') return { ...primary, found: true };
  const onPath = resolveExecutable('tofu', env) ? await locateEngine('tofu').catch(() => undefined) : undefined;
  if (onPath) return { ...absolute({ ...onPath, source: 'PATH' }, env), found: true };
  try {
    const cached = [OPENTOFU_VERSION, OPENTOFU_FALLBACK_VERSION].map((version) => builtTofuPath(cache, version)).find((path) => existsSync(path));
    const binary = cached ?? (await buildOpenTofu(cache, progress, env, signal));
    return { ...(await locateEngine(binary)), source: 'built from the Go module proxy', found: true };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { found: false, reason: (error as Error).message };
  }
}
