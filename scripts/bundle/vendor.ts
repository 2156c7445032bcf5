/**
 * An esbuild plugin that keeps large libraries only some commands use out of the CLI's bundle:
 * each group of packages goes to its own file, `vendor/<group>.cjs` beside the bundle, required
 * the first time a module that imports it is initialized. The CLI's own code stays in one file
 * (one copy of every module and class), and a run reads and parses only the libraries it uses.
 * Packages that share objects (cdktf, constructs and the provider bindings) share a group.
 */
import type { Plugin } from 'esbuild';

const NAMESPACE = 'vendored';

export interface Vendoring {
  plugin: Plugin;
  /** After the build: each group's file name and the import paths the bundle asks it for. */
  groups(): Map<string, string[]>;
}

export function vendor(groups: Record<string, readonly string[]>): Vendoring {
  const groupOf = (path: string): string | undefined =>
    Object.keys(groups).find((group) => groups[group].some((name) => path === name || path.startsWith(`${name}/`)));
  const asked = new Map<string, Set<string>>();
  const plugin: Plugin = {
    name: 'vendor',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const group = groupOf(args.path);
        if (group === undefined) return undefined;
        if (!asked.has(group)) asked.set(group, new Set());
        asked.get(group)!.add(args.path);
        return { path: args.path, namespace: NAMESPACE, pluginData: group };
      });
      build.onResolve({ filter: /^\.\/vendor\//, namespace: NAMESPACE }, (args) => ({ path: args.path, external: true }));
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(`./vendor/${args.pluginData as string}.cjs`)})[${JSON.stringify(args.path)}];\n`,
        loader: 'js',
      }));
    },
  };
  return { plugin, groups: () => new Map([...asked].map(([group, paths]) => [group, [...paths].sort()])) };
}

/** The entry of a group's file: every import path the bundle asks for, by name. */
export function vendorEntry(paths: readonly string[]): string {
  return `module.exports = {\n${paths.map((path) => `  ${JSON.stringify(path)}: require(${JSON.stringify(path)}),`).join('\n')}\n};\n`;
}
