/**
 * Building a Go program from its module on the Go module proxy, the one way this toolchain gets
 * binaries that no package registry ships (OpenTofu, HashiCorp Vault). Checksum verification is
 * never switched off. A module whose go.mod has replace directives is refused by `go install …@v`,
 * so it is built inside a writable copy of the downloaded module.
 */
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { firstUsefulLine, tryCommand } from './commands.js';

export interface DownloadedModule {
  ok: boolean;
  dir?: string;
  error?: string;
  stderr: string;
  /** The command, for messages. */
  command: string;
}

export async function downloadModule(module: string, version: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<DownloadedModule> {
  const args = ['mod', 'download', '-json', `${module}@v${version}`];
  const downloaded = await tryCommand('go', args, { env, signal });
  let parsed: { Dir?: string; Error?: string } = {};
  try {
    parsed = JSON.parse(downloaded.stdout) as typeof parsed;
  } catch {
    // not JSON: go failed before reaching the module
  }
  return {
    ok: downloaded.ok && !!parsed.Dir && !parsed.Error,
    dir: parsed.Dir,
    error: parsed.Error ?? (downloaded.ok ? undefined : firstUsefulLine(downloaded.stderr)),
    stderr: downloaded.stderr,
    command: `go ${args.join(' ')}`,
  };
}

/** Go's answer when the checksum database has never heard of a version (not a mismatch: that is a SECURITY ERROR). */
export function unknownToChecksumDatabase(error: string | undefined): boolean {
  return !!error && /verifying .*\/lookup\/\S+: (404|410)\b/.test(error);
}

export interface BuildInCopyOptions {
  moduleDir: string;
  /** Scratch space beside the destination, so the final rename stays on one file system. */
  cache: string;
  /** The package to build, relative to the module root (`.` or `./cmd/tofu`). */
  pkg: string;
  ldflags: string;
  /** Where the binary ends up, made only when the build and `verify` succeed. */
  destination: string;
  /** Replace directives pointing into the module's own tree, which the module zip omits: dropped, so the required versions come from the proxy. */
  dropLocalReplaces?: boolean;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  progress: (line: string) => void;
  /** Throws when the built binary is not what was asked for. */
  verify: (binary: string) => Promise<void>;
}

export interface BuildFailure {
  command: string;
  reason: string;
}

/** Returns the destination, or what failed; the scratch copy is always removed. */
export async function buildInCopy(options: BuildInCopyOptions): Promise<string | BuildFailure> {
  const work = mkdtempSync(join(options.cache, '.go-build-'));
  try {
    const source = join(work, 'src');
    // The module cache is read-only; the copy must be writable to edit, build in and delete.
    cpSync(options.moduleDir, source, { recursive: true });
    makeWritable(source);
    const goEnv = { ...options.env, GOFLAGS: `${options.env.GOFLAGS ?? ''} -mod=mod`.trim(), CGO_ENABLED: '0' };
    if (options.dropLocalReplaces) {
      const dropped = await dropInTreeReplaces(source, goEnv, options.signal);
      if (typeof dropped !== 'string') return dropped;
      if (dropped) options.progress(`dropped the in-tree replace directives of ${dropped} (their released versions come from the proxy)`);
    }
    const output = join(work, 'out');
    const args = ['build', '-trimpath', '-ldflags', options.ldflags, '-o', output, options.pkg];
    options.progress(`compiling ${options.pkg} in ${source}...`);
    const built = await tryCommand('go', args, { cwd: source, env: goEnv, signal: options.signal, timeoutMs: 60 * 60_000 });
    if (!built.ok || !existsSync(output)) return { command: `go ${args.join(' ')} in a copy of ${options.moduleDir}`, reason: firstUsefulLine(built.stderr) };
    await options.verify(output);
    mkdirSync(join(options.destination, '..'), { recursive: true });
    renameSync(output, options.destination);
    return options.destination;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The module paths whose replace directives were dropped, comma-separated ('' for none). */
async function dropInTreeReplaces(source: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string | BuildFailure> {
  const read = await tryCommand('go', ['mod', 'edit', '-json'], { cwd: source, env, signal });
  if (!read.ok) return { command: 'go mod edit -json', reason: firstUsefulLine(read.stderr) };
  const modFile = JSON.parse(read.stdout) as { Replace?: { Old: { Path: string }; New: { Path: string; Version?: string } }[] | null };
  const local = (modFile.Replace ?? []).filter((replace) => !replace.New.Version && /^\.\.?\//.test(replace.New.Path)).map((replace) => replace.Old.Path);
  if (local.length === 0) return '';
  const args = ['mod', 'edit', ...local.map((path) => `-dropreplace=${path}`)];
  const edited = await tryCommand('go', args, { cwd: source, env, signal });
  if (!edited.ok) return { command: `go ${args.join(' ')}`, reason: firstUsefulLine(edited.stderr) };
  return local.join(', ');
}

function makeWritable(path: string): void {
  const stats = lstatSync(path);
  if (stats.isSymbolicLink()) return;
  chmodSync(path, stats.mode | 0o200);
  if (stats.isDirectory()) for (const name of readdirSync(path)) makeWritable(join(path, name));
}
