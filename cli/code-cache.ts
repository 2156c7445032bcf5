/**
 * Runs the bundled CLI as scripts compiled with V8's code cache. Node 20 keeps no compiled code
 * between runs for either of its module loaders, so every run parsed and compiled the code it
 * executed, about a fifth of a `credentials` run's own time and a third of loading cdktf; with
 * the cache, V8 reads back the bytecode of the functions the same command compiled last time.
 *
 * One cache file per command (each command compiles its own functions) and bundled file, in
 * `code-cache/` beside the bundle. A cache file is code: V8 runs what it holds, and matches it to
 * a script by the source's length only, never by its content. So:
 * - its name holds the CRC-32 of the bundled file as read (a file changed to the same length,
 *   even with the same modification time, gets another name, unless the change was made to
 *   collide, which takes write access to the bundle, that is, running code anyway), and the
 *   Node version and flags, whose mismatches V8 does catch, but only by refusing the file;
 * - it is read only from a directory (not a link) and a file owned by this user or by the
 *   bundle's owner (whose code runs anyway) that nobody else may write, and only if it is a
 *   regular file of a sane size: anyone else able to put a file there could otherwise run code
 *   as whoever runs maas-vault next; nothing is written into any other directory;
 * - it starts with the CRC-32 of the rest: V8 checks a cache's header, not its body, and a
 *   damaged body crashed the process.
 * A file is written once, after a run that succeeded, when none was there or it was refused:
 * written whole under a temporary name, then renamed into place (a concurrent run reads either
 * none or all of it), mode 0600 in a 0700 directory. It holds compiled code of the bundle, never
 * a value a run handled. Where the directory cannot be written, runs simply go without.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import { isRunning } from '../engine/process-alive.js';
import { COMMAND_TEXT, commandName, type CommandKey } from './commands/texts.js';

export const CACHE_DIR = 'code-cache';
const MAIN = 'main.cjs';
/** How main.cjs requires the large libraries bundled beside it (scripts/bundle/vendor.ts). */
const VENDOR = './vendor/';
const CHECKSUM_BYTES = 4;
/** Far above any real cache (about 0.8 MB for cdktf's bundle): a bigger file is not read. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;
const PARTIAL = /\.(\d+)\.partial$/;

const COMMAND_NAMES = new Set((Object.keys(COMMAND_TEXT) as CommandKey[]).map(commandName));
/** Runs that print help, a version or completions compile yargs' own code, not a command's: one file for them all. */
const HELP = new Set(['--help', '-h', '--version', 'completion', '--get-yargs-completions']);

export interface Runtime {
  version: string;
  execArgv: readonly string[];
  nodeOptions?: string;
}

/** The command whose cache a run uses, or `other` (help, version, completion, no command). */
export function cachedCommand(args: readonly string[]): string {
  return args.some((arg) => HELP.has(arg)) ? 'other' : (args.find((arg) => COMMAND_NAMES.has(arg)) ?? 'other');
}

/** The cache file of one bundled file (`main.cjs`, `vendor/synth.cjs`, by its content) for one command. */
export function cacheName(command: string, file: string, content: Uint8Array, runtime: Runtime): string {
  const script = file.replace(/^.*\//, '').replace(/\.cjs$/, '');
  const id = fnv1a(`${file}\0${content.length}\0${crc32(content)}\0${runtime.version}\0${runtime.execArgv.join('\0')}\0${runtime.nodeOptions ?? ''}`);
  return `${command}.${script}-${id}.v8`;
}

/** A short, stable digest for a file name. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** Who may have written a cache this process runs: itself, or the owner of the bundle (whose code it runs anyway); nobody else may write it. */
export function trustedOwner(stat: Pick<Stats, 'uid' | 'mode'>, bundleOwner: number, self = process.geteuid?.() ?? bundleOwner): boolean {
  return (stat.uid === self || stat.uid === bundleOwner) && (stat.mode & 0o022) === 0;
}

/**
 * Runs `main.cjs` of the bundle in `dir` as `node main.cjs` would, each bundled file (main.cjs,
 * and the vendor/ files it requires) compiled with the command's cached code where there is
 * usable cache.
 */
export function runWithCodeCache(dir: string, args: readonly string[]): void {
  const runtime = { version: process.version, execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS };
  const command = cachedCommand(args);
  const cacheDir = join(dir, CACHE_DIR);
  const bundleOwner = statSync(join(dir, MAIN)).uid;
  const usable = cacheDirectory(cacheDir, bundleOwner);
  const uncached: Array<{ cacheFile: string; script: Script }> = [];
  const loaded = new Map<string, unknown>();
  process.once('exit', (code) => {
    if (code === 0 && usable !== 'untrusted') for (const { cacheFile, script } of uncached) writeCache(cacheFile, script, bundleOwner);
  });

  const load = (file: string): unknown => {
    if (loaded.has(file)) return loaded.get(file);
    const path = join(dir, file);
    const content = readFileSync(path);
    const cacheFile = join(cacheDir, cacheName(command, file, content, runtime));
    const cached = usable === 'trusted' ? readCache(cacheFile, bundleOwner) : undefined;
    // Node's own CommonJS wrapper, so the file runs exactly as `require` would run it.
    // No import() in it: Node 20 hands a script's import() to its loader only as an experimental feature, with a warning.
    const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${content.toString('utf8')}\n})`, {
      filename: path,
      cachedData: cached,
    });
    if (cached === undefined || script.cachedDataRejected) uncached.push({ cacheFile, script });
    const module = { exports: {} };
    const nodeRequire = createRequire(path);
    const requireHere = Object.assign((id: string): unknown => (file === MAIN && id.startsWith(VENDOR) ? load(id.slice(2)) : nodeRequire(id)), nodeRequire);
    (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, requireHere, module, path, dirname(path));
    loaded.set(file, module.exports);
    return module.exports;
  };
  load(MAIN);
}

/**
 * `missing` (made 0700 when a cache is written), `trusted`, or `untrusted`: neither read nor
 * written. A link is untrusted: through one, root would write, and sweep, wherever it points.
 */
function cacheDirectory(path: string, bundleOwner: number): 'missing' | 'trusted' | 'untrusted' {
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'untrusted';
  }
  return stat.isDirectory() && trustedOwner(stat, bundleOwner) ? 'trusted' : 'untrusted';
}

/** The cached code in `file`, if it is a trusted regular file of a sane size whose checksum holds. */
function readCache(file: string, bundleOwner: number): Buffer | undefined {
  let fd: number;
  try {
    // Not through a symbolic link, and without waiting on a FIFO: what is opened is checked before it is read.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size <= CHECKSUM_BYTES || stat.size > MAX_CACHE_BYTES || !trustedOwner(stat, bundleOwner)) return undefined;
    const content = readFileSync(fd);
    const code = content.subarray(CHECKSUM_BYTES);
    return content.readUInt32LE(0) === crc32(code) ? code : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function writeCache(file: string, script: Script, bundleOwner: number): void {
  const partial = `${file}.${process.pid}.partial`;
  try {
    const code = script.createCachedData();
    const checksum = Buffer.alloc(CHECKSUM_BYTES);
    checksum.writeUInt32LE(crc32(code));
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    // Checked again once it exists: missing at start-up, it may have been made by someone else since.
    if (cacheDirectory(dirname(file), bundleOwner) !== 'trusted') return;
    removeAbandonedPartials(dirname(file));
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

/** Temporary files of runs killed while writing (a signal at exit): their process is gone. */
function removeAbandonedPartials(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = PARTIAL.exec(name)?.[1];
    if (pid === undefined || isRunning(Number(pid))) continue;
    try {
      rmSync(join(dir, name), { force: true });
    } catch {
      // Not a file (a directory of that name): left alone, and the write goes on.
    }
  }
}
