/**
 * The frames of a stack trace of the bundled CLI, mapped back to the TypeScript sources with the
 * bundle's source maps, read only when asked (MAAS_VAULT_DEBUG=1). Turning Node's source maps on
 * at start-up would decode them on every run, and every library's inline ones too.
 */
import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload, type SourceMapping } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LOCATION = /(file:\/\/\/[^\s()]+?\.c?js|\/[^\s()]+?\.c?js):(\d+):(\d+)/g;

/** The `at ...` lines of `stack`, locations in files with a `.map` beside them rewritten. */
export function mappedFrames(stack: string): string[] {
  const maps = new Map<string, SourceMap | undefined>();
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map((line) =>
      line.replace(LOCATION, (location: string, file: string, line: string, column: string) => {
        const path = file.startsWith('file:') ? fileURLToPath(file) : file;
        if (!maps.has(path)) maps.set(path, readMap(path));
        // Node answers {} for a position the map does not cover.
        const entry: Partial<SourceMapping> | undefined = maps.get(path)?.findEntry(Number(line) - 1, Number(column) - 1);
        if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return location;
        return `${resolve(dirname(path), entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
      }),
    );
}

function readMap(path: string): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')) as SourceMapPayload);
  } catch {
    return undefined;
  }
}
