/**
 * Runs the bundled CLI as scripts compiled with V8's code cache. Node 20 keeps no compiled code
 * between runs for either of its module loaders, so every run parsed and compiled the code it
 * executed, about a fifth of a `credentials` run's own time and a third of loading cdktf; with
 * the cache, V8 reads back the bytecode of the functions the same command compiled last time.
 *
 * One cache file per command (each command compiles its own functions) and bundled file, in
 * `code-cache/` beside the bundle. Its name carries what V8 cannot check by itself: V8 matches cached code to a script
 * by the source's length only, so another bundle of the same length would run stale code. The
 * name holds the digest of the bundle the build wrote (and its size and modification time, for a
 * bundle changed since), and the Node version and flags, whose mismatches V8 does catch, but only
 * by refusing the file.
 * A file is written once, after a run that succeeded, when none was there or it was refused:
 * written whole under a temporary name, then renamed into place (a concurrent run reads either
 * none or all of it), mode 0600. It holds compiled code of the bundle, never a value a run
 * handled. Where the directory cannot be written, runs simply go without.
 * V8 checks a cache's header, not its body: a damaged body crashed the process. Each file starts
 * with the CRC-32 of the rest, and one that does not match is not given to V8.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import { COMMAND_TEXT } from './commands/texts.js';

export const CACHE_DIR = 'code-cache';
const MAIN = 'main.cjs';
/** How main.cjs requires the large libraries bundled beside it (scripts/bundle/vendor.ts). */
const VENDOR = './vendor/';
const CHECKSUM_BYTES = 4;

const COMMAND_NAMES = new Set(Object.values(COMMAND_TEXT).map(({ command }) => command.split(' ')[0]));
/** Runs that print help or a version compile yargs' help code, not a command's: one file for them all. */
const HELP = new Set(['--help', '-h', '--version', 'completion']);

export interface Runtime {
  version: string;
  execArgv: readonly string[];
  nodeOptions?: string;
}

export interface ScriptIdentity {
  /** The digest of the file as built (scripts/bundle.ts). */
  digest: string;
  size: number;
  mtimeMs: number;
}

/** The command whose cache a run uses, or `other` (help, version, completion, no command). */
export function cachedCommand(args: readonly string[]): string {
  return args.some((arg) => HELP.has(arg)) ? 'other' : (args.find((arg) => COMMAND_NAMES.has(arg)) ?? 'other');
}

/** The cache file of one bundled file (`main.cjs`, `vendor/synth.cjs`) for one command. */
export function cacheName(command: string, file: string, identity: ScriptIdentity, runtime: Runtime): string {
  const script = file.replace(/^.*\//, '').replace(/\.cjs$/, '');
  const id = fnv1a(`${file}\0${identity.digest}\0${identity.size}\0${Math.trunc(identity.mtimeMs)}\0${runtime.version}\0${runtime.execArgv.join('\0')}\0${runtime.nodeOptions ?? ''}`);
  return `${command}.${script}-${id}.v8`;
}

/** A short, stable digest for a file name (not a security boundary: the directory is as trusted as the bundle). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * Runs `main.cjs` of the bundle in `dir` as `node main.cjs` would, each bundled file (main.cjs,
 * and the vendor/ files it requires) compiled with the command's cached code where there is
 * usable cache. `digests` are the build's, by file name relative to `dir`.
 */
export function runWithCodeCache(dir: string, digests: Readonly<Record<string, string>>, args: readonly string[]): void {
  const runtime = { version: process.version, execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS };
  const command = cachedCommand(args);
  const uncached: Array<{ cacheFile: string; script: Script }> = [];
  const loaded = new Map<string, unknown>();
  process.once('exit', (code) => {
    if (code === 0) for (const { cacheFile, script } of uncached) writeCache(cacheFile, script);
  });

  const load = (file: string): unknown => {
    if (loaded.has(file)) return loaded.get(file);
    const path = join(dir, file);
    const { size, mtimeMs } = statSync(path);
    const cacheFile = join(dir, CACHE_DIR, cacheName(command, file, { digest: digests[file] ?? 'unknown', size, mtimeMs }, runtime));
    const cached = readCache(cacheFile);
    // Node's own CommonJS wrapper, so the file runs exactly as `require` would run it.
    // No import() in it: Node 20 hands a script's import() to its loader only as an experimental feature, with a warning.
    const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${readFileSync(path, 'utf8')}\n})`, { filename: path, cachedData: cached });
    if (cached === undefined || script.cachedDataRejected) uncached.push({ cacheFile, script });
    const module = { exports: {} };
    const nodeRequire = createRequire(path);
    const requireHere = Object.assign((id: string) => (file === MAIN && id.startsWith(VENDOR) ? load(id.slice(2)) : nodeRequire(id)), nodeRequire);
    (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, requireHere, module, path, dirname(path));
    loaded.set(file, module.exports);
    return module.exports;
  };
  load(MAIN);
}

/** The cached code in `file`, if there is a file and its checksum holds. */
function readCache(file: string): Buffer | undefined {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch {
    return undefined;
  }
  const code = content.subarray(CHECKSUM_BYTES);
  return content.length > CHECKSUM_BYTES && content.readUInt32LE(0) === crc32(code) ? code : undefined;
}

function writeCache(file: string, script: Script): void {
  const partial = `${file}.${process.pid}.partial`;
  try {
    const code = script.createCachedData();
    const checksum = Buffer.alloc(CHECKSUM_BYTES);
    checksum.writeUInt32LE(crc32(code));
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(partial, Buffer.concat([checksum, code]), { mode: 0o600, flag: 'wx' });
    renameSync(partial, file);
  } catch {
    // A read-only install, a full disk: the next run compiles as this one did.
    try {
      rmSync(partial, { force: true });
    } catch {
      // Nothing was written, or nothing more can be done about it.
    }
  }
}
