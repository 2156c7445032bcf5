/**
 * What every command pays before it does anything: the modules the bundled CLI's entry file loads
 * statically. cdktf and the provider bindings (synth only), the engine runner and the PostgreSQL
 * client (pg sites only) must stay behind dynamic imports, and Vault is reached with Node's own
 * `http`/`https` (no HTTP library), or every `credentials`, `status` and `policy` run loads them.
 * Read from esbuild's own import graph of the shipped entry point.
 */
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Source files and packages reachable from cli/main.ts through static imports only. */
async function staticallyLoaded(): Promise<Set<string>> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['cli/main.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    outdir: 'unused',
    splitting: true,
    external: ['cdktf', 'constructs', '@cdktf/provider-vault', '@cdktf/provider-vault/*', 'pg', 'execa', 'undici'],
    logLevel: 'silent',
  });
  const inputs: Metafile['inputs'] = result.metafile.inputs;
  const loaded = new Set<string>();
  const queue = ['cli/main.ts'];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (loaded.has(file)) continue;
    loaded.add(file);
    for (const entry of inputs[file]?.imports ?? []) if (entry.kind === 'import-statement') queue.push(entry.path);
  }
  return loaded;
}

it('no command loads cdktf, the provider bindings, the engine runner, the PostgreSQL client or an HTTP library at start-up', async () => {
  const loaded = [...(await staticallyLoaded())];
  expect(loaded.length).toBeGreaterThan(20);
  for (const heavy of ['cdktf', 'constructs', '@cdktf/provider-vault', 'pg', 'execa', 'undici'])
    expect([heavy, loaded.includes(heavy)]).toEqual([heavy, false]);
  for (const module of ['stacks/framework.ts', 'stacks/synth.ts', 'stacks/maas-vault-stack.ts', 'engine/stack-runner.ts', 'engine/pg-state.ts']) {
    expect([module, loaded.includes(module)]).toEqual([module, false]);
  }
});

it("loads zod's functional core (zod/mini), never the chained API that pulls in all of zod", async () => {
  const loaded = [...(await staticallyLoaded())];
  expect(loaded.some((file) => file.includes('node_modules/zod/v4/mini/'))).toBe(true);
  expect(loaded.filter((file) => file.includes('node_modules/zod/v4/classic/'))).toEqual([]);
});

it('TLS and readline load only when used: an http:// Vault and --auto-approve never pay for them', async () => {
  const loaded = await staticallyLoaded();
  for (const builtin of ['node:https', 'node:tls', 'node:readline', 'node:readline/promises']) expect([builtin, loaded.has(builtin)]).toEqual([builtin, false]);
  expect(loaded.has('node:http')).toBe(true);
});

it('a run loads only the command it runs: no command module is imported at start-up', async () => {
  const loaded = [...(await staticallyLoaded())];
  const commandModules = loaded.filter((file) =>
    /^cli\/commands\/(synth|plan|apply|destroy|output|encrypt-state|credentials|verify-token|verify|status|rotate|revoke|policy|dev)\.ts$/.test(file),
  );
  expect(commandModules).toEqual([]);
  expect(loaded).toContain('cli/commands/texts.ts');
});
