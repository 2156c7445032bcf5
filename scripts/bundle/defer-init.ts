/**
 * An esbuild plugin that defers a package's load-time work to its first call. Every import of
 * the package (by whatever module, whichever copy in node_modules) gets a stand-in whose default
 * export loads the real module with `require()` on first use: esbuild bundles a required ES
 * module inside a lazy initializer, so its top-level code runs then, not at start-up.
 * For packages whose only export used is a default function, which is what this stand-in offers.
 */
import { dirname } from 'node:path';
import type { Plugin } from 'esbuild';

const NAMESPACE = 'deferred-init';

export function deferInit(packages: readonly string[]): Plugin {
  const filter = new RegExp(`^(${packages.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
  return {
    name: 'defer-init',
    setup(build) {
      build.onResolve({ filter }, (args) => {
        // The stand-in's own require() goes to the real package, resolved from the original importer.
        if (args.namespace === NAMESPACE) return undefined;
        // One stand-in per importing directory: two copies of the package stay two.
        return { path: `${args.path}:${args.resolveDir}`, namespace: NAMESPACE, pluginData: { name: args.path, resolveDir: args.resolveDir } };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const { name, resolveDir } = args.pluginData as { name: string; resolveDir: string };
        return {
          contents:
            'let loaded;\n' +
            `export default function deferred(...args) { loaded ??= require(${JSON.stringify(name)}); return (loaded.default ?? loaded)(...args); }\n`,
          resolveDir: resolveDir || dirname(args.path),
          loader: 'js',
        };
      });
    },
  };
}
