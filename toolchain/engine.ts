/**
 * The engine for tests and the demo: `tofu` or `terraform` >= 1.6 from PATH, else OpenTofu built
 * from the Go module proxy. Its go.mod has a replace directive, so `go install …@v` refuses it;
 * it is built inside a writable copy of the downloaded module instead.
 * MAAS_VAULT_ENGINE picks one: tofu, terraform, a path, or `opentofu-build` to force the build.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { locateEngine, type EngineBinary } from '../engine/locate.js';
import { ToolchainError } from './cache.js';
import { firstUsefulLine, tryCommand } from './commands.js';

/** 1.11.7 is on the module proxy but not in the checksum database it mirrors; 1.11.6 is in both. */
export const OPENTOFU_VERSION = '1.11.6';
const OPENTOFU_MODULE = `github.com/opentofu/opentofu@v${OPENTOFU_VERSION}`;

export interface ToolchainEngine extends EngineBinary {
  source: 'PATH' | 'MAAS_VAULT_ENGINE' | 'built from the Go module proxy';
}

export async function ensureEngine(cache: string, progress: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<ToolchainEngine> {
  const requested = env.MAAS_VAULT_ENGINE;
  if (requested && requested !== 'opentofu-build') {
    return { ...(await locateEngine(requested, 'MAAS_VAULT_ENGINE')), source: 'MAAS_VAULT_ENGINE' };
  }
  if (!requested) {
    const onPath = await locateEngine().catch(() => undefined);
    if (onPath) return { ...onPath, source: 'PATH' };
  }
  const binary = join(cache, `opentofu-${OPENTOFU_VERSION}`, 'tofu');
  if (!existsSync(binary)) await buildOpenTofu(cache, binary, progress, env);
  return { ...(await locateEngine(binary)), source: 'built from the Go module proxy' };
}

async function buildOpenTofu(cache: string, binary: string, progress: (line: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  progress(`building OpenTofu ${OPENTOFU_VERSION} from the Go module proxy (first run only, a few minutes)...`);
  const downloaded = await tryCommand('go', ['mod', 'download', '-json', OPENTOFU_MODULE], { env: { ...env, GOFLAGS: '-mod=mod' } });
  let module: { Dir?: string; Error?: string } = {};
  try {
    module = JSON.parse(downloaded.stdout) as typeof module;
  } catch {
    // not JSON: go failed before reaching the module
  }
  if (!downloaded.ok || !module.Dir || module.Error) {
    throw new ToolchainError(
      `OpenTofu ${OPENTOFU_VERSION} could not be had: \`go mod download -json ${OPENTOFU_MODULE}\` failed: ${module.Error ?? firstUsefulLine(downloaded.stderr)}. ` +
        'Install tofu or terraform (>= 1.6) on PATH instead.',
    );
  }
  const work = mkdtempSync(join(cache, '.opentofu-build-'));
  try {
    const source = join(work, 'src');
    cpSync(module.Dir, source, { recursive: true, mode: 0 });
    await tryCommand('chmod', ['-R', 'u+w', source]);
    progress(`compiling ./cmd/tofu in ${source}...`);
    // As release builds do: without dev=no the binary calls itself 1.11.6-dev.
    const ldflags = '-s -w -X github.com/opentofu/opentofu/version.dev=no';
    const built = await tryCommand('go', ['build', '-trimpath', '-ldflags', ldflags, '-o', join(work, 'tofu'), './cmd/tofu'], {
      cwd: source,
      env: { ...env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    });
    if (!built.ok) {
      throw new ToolchainError(`OpenTofu ${OPENTOFU_VERSION} could not be built: \`go build ./cmd/tofu\` failed: ${firstUsefulLine(built.stderr)}`);
    }
    mkdirSync(join(binary, '..'), { recursive: true });
    renameSync(join(work, 'tofu'), binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
