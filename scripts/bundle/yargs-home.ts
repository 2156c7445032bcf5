/**
 * An esbuild plugin that tells yargs where the bundled program lives. yargs finds the
 * package.json it reads `--version` from by walking up from the `node_modules` folder that holds
 * it; bundled, there is none, and it walked up from the working directory instead: inside
 * another npm project it printed that project's version, elsewhere "unknown", after reading
 * every directory on the way (all of /tmp, in CI). The stand-in starts the walk beside the
 * chunk that holds yargs, under this package's own package.json.
 */
import type { Plugin } from 'esbuild';

const NAMESPACE = 'yargs-home';
const SHIM = /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/;

export function yargsHome(): Plugin {
  return {
    name: 'yargs-home',
    setup(build) {
      let replaced = false;
      build.onResolve({ filter: /platform-shims[\\/]esm\.mjs$/ }, async (args) => {
        if (args.namespace === NAMESPACE) return undefined;
        const real = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, namespace: NAMESPACE });
        if (real.errors.length > 0 || !SHIM.test(real.path)) return undefined;
        replaced = true;
        return { path: real.path, namespace: NAMESPACE };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
        contents:
          `import shim from ${JSON.stringify(args.path)};\n` +
          "import { dirname } from 'node:path';\n" +
          "import { fileURLToPath } from 'node:url';\n" +
          'export default { ...shim, mainFilename: dirname(fileURLToPath(import.meta.url)) };\n',
        resolveDir: '/',
        loader: 'js',
      }));
      // yargs moved its shim: fail the build rather than ship the working-directory walk again.
      build.onEnd((result) =>
        result.errors.length === 0 && !replaced
          ? { errors: [{ text: "yargs' ESM platform shim was not found: update scripts/bundle/yargs-home.ts" }] }
          : undefined,
      );
    },
  };
}
