/**
 * Runs the bundled CLI as a script compiled with V8's code cache. Node 20 keeps no compiled code
 * between runs for either of its module loaders, so every run parsed and compiled the code it
 * executed, about a fifth of a `credentials` run's own time; with the cache, V8 reads back the
 * bytecode of the functions the same command compiled last time.
 *
 * One cache file per command (each command compiles its own functions), in `code-cache/` beside
 * the bundle. Its name carries what V8 cannot check by itself: V8 matches cached code to a script
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
const CHECKSUM_BYTES = 4;

const COMMAND_NAMES = new Set(Object.values(COMMAND_TEXT).map(({ command }) => command.split(' ')[0]));
/** Runs that print help or a version compile yargs' help code, not a command's: one file for them all. */
const HELP = new Set(['--help', '-h', '--version', 'completion']);

export interface Runtime {
  version: string;
  execArgv: readonly string[];
  nodeOptions?: string;
}

export interface BundleIdentity {
  /** The digest of the bundle as built (scripts/bundle.ts). */
  digest: string;
  size: number;
  mtimeMs: number;
}

/** Which cache a run uses: its command's, or `other` (help, version, completion, no command). */
export function cacheName(args: readonly string[], bundle: BundleIdentity, runtime: Runtime): string {
  const command = args.some((arg) => HELP.has(arg)) ? 'other' : (args.find((arg) => COMMAND_NAMES.has(arg)) ?? 'other');
  const identity = fnv1a(`${bundle.digest}\0${bundle.size}\0${Math.trunc(bundle.mtimeMs)}\0${runtime.version}\0${runtime.execArgv.join('\0')}\0${runtime.nodeOptions ?? ''}`);
  return `${command}-${identity}.v8`;
}

/** A short, stable digest for a file name (not a security boundary: the directory is as trusted as the bundle). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/**
 * Compiles `bundle` (a CommonJS file; `digest` is the one the build recorded for it) with its
 * command's cached code when there is usable cache, and runs it as `node bundle` would.
 */
export function runWithCodeCache(bundle: string, digest: string, args: readonly string[]): void {
  const { size, mtimeMs } = statSync(bundle);
  const runtime = { version: process.version, execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS };
  const cacheFile = join(dirname(bundle), CACHE_DIR, cacheName(args, { digest, size, mtimeMs }, runtime));
  const cached = readCache(cacheFile);
  const source = readFileSync(bundle, 'utf8');
  // Node's own CommonJS wrapper, so the bundle runs exactly as `node main.cjs` would run it.
  // No import() in it: Node 20 hands a script's import() to its loader only as an experimental feature, with a warning.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, { filename: bundle, cachedData: cached });
  if (cached === undefined || script.cachedDataRejected) {
    process.once('exit', (code) => {
      if (code === 0) writeCache(cacheFile, script);
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
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
