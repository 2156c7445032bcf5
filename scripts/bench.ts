/**
 * `npm run bench`: where the time goes, against the MAAS docs' manual procedure and hand-written
 * HCL, side by side on one machine in one run. Starts its own OpenBao dev servers through the
 * toolchain; rewrites docs/benchmarks.md and docs/benchmarks.svg.
 * BENCH_ROUNDS (default 5) sets the runs per figure. For a quick look, BENCH_ONLY names the
 * phases to run (comma-separated: synth, credentials, apply, state-backends, guard) and BENCH_SIZES the
 * controller counts (default 1,10,100): the rows are printed, the docs left untouched.
 * BENCH_TOOLCHAIN=recorded uses the recorded toolchain as it is, installing nothing.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeToolchain, ensureToolchain, readToolchain, requireProvider, type Toolchain } from '../toolchain/index.js';
import { startDevServer, type OpenBaoServer } from '../toolchain/openbao-server.js';
import { startPostgres } from '../toolchain/postgres-server.js';
import { chartSvg } from './bench/chart.js';
import { roleName } from '../config/naming.js';
import { interleaved, summarize, timed, type Sample, type Summary } from './bench/measure.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PHASES = ['synth', 'credentials', 'apply', 'state-backends', 'guard'] as const;
const ONLY = process.env.BENCH_ONLY?.split(',').map((phase) => phase.trim());
const SIZES = process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(',').map(Number) : [1, 10, 100];
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist/bundle/maas-vault.cjs');
const FLOOR = join(ROOT, 'dist/scripts/bench/floor.js');
const HAND_WRITTEN = join(ROOT, 'scripts/bench/hand-written/main.tf');
const SITE = 'bench';

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const names = (n: number) => Array.from({ length: n }, (_, index) => `region-${index + 1}`);
const role = (controller: string) => roleName({ site: SITE }, controller);

interface Row {
  phase: string;
  n: number;
  method: string;
  time: Summary;
  rss?: Summary;
}
const rows: Row[] = [];

function record(phase: string, n: number, samples: Record<string, Sample[]>): void {
  for (const [method, list] of Object.entries(samples)) {
    const rss = list.every((sample) => sample.rssMiB !== undefined) ? summarize(list.map((sample) => sample.rssMiB!)) : undefined;
    rows.push({ phase, n, method, time: summarize(list.map((sample) => sample.ms)), rss });
    log(`${phase} N=${n} ${method}: median ${summarize(list.map((sample) => sample.ms)).median.toFixed(0)} ms`);
  }
}

function writeConfig(address: string, n: number, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-bench-'));
  const path = join(dir, 'maas-vault.json');
  writeFileSync(path, JSON.stringify({ site: SITE, vault: { address }, kv: { mount: 'kv-maas' }, controllers: names(n).map((name) => ({ name })), ...extra }));
  return path;
}

function cliEnv(toolchain: Toolchain, token: string): Record<string, string> {
  return { VAULT_TOKEN: token, MAAS_VAULT_ENGINE: toolchain.engine.path, MAAS_VAULT_PROVIDER_MIRROR: requireProvider(toolchain).dir };
}

async function withServer<T>(toolchain: Toolchain, action: (server: OpenBaoServer) => Promise<T>): Promise<T> {
  const server = await startDevServer({ bao: toolchain.bao.path });
  try {
    return await action(server);
  } finally {
    await server.stop();
  }
}

/** The seeds' manual procedure, one `bao` command per step, in order. */
async function manualProcedure(toolchain: Toolchain, server: OpenBaoServer, n: number): Promise<Sample> {
  const env = { BAO_ADDR: server.address, BAO_TOKEN: server.rootToken, VAULT_ADDR: server.address, VAULT_TOKEN: server.rootToken };
  const policyFile = join(mkdtempSync(join(tmpdir(), 'maas-vault-bench-')), 'maas.hcl');
  writeFileSync(
    policyFile,
    'path "kv-maas/metadata/maas/" { capabilities = ["list"] }\npath "kv-maas/metadata/maas/*" { capabilities = ["read", "update", "delete", "list"] }\npath "kv-maas/data/maas/*" { capabilities = ["read", "create", "update", "delete"] }\n',
  );
  const bao = (...args: string[]) => timed(toolchain.bao.path, args, { env });
  let ms = 0;
  ms += (await bao('auth', 'enable', 'approle')).ms;
  ms += (await bao('secrets', 'enable', '-path=kv-maas', 'kv-v2')).ms;
  ms += (await bao('policy', 'write', 'maas-bench', policyFile)).ms;
  for (const controller of names(n)) {
    ms += (await bao('write', `auth/approle/role/${role(controller)}`, 'token_policies=maas-bench', 'token_ttl=5m')).ms;
    ms += (await bao('read', `auth/approle/role/${role(controller)}/role-id`)).ms;
    ms += (await bao('write', '-wrap-ttl=5m', '-f', `auth/approle/role/${role(controller)}/secret-id`)).ms;
  }
  return { ms };
}

function handWrittenDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-bench-hcl-'));
  cpSync(HAND_WRITTEN, join(dir, 'main.tf'));
  return dir;
}

function hclEnv(toolchain: Toolchain, server: OpenBaoServer): Record<string, string> {
  return { VAULT_TOKEN: server.rootToken, TF_CLI_CONFIG_FILE: requireProvider(toolchain).cliConfigFile, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
}

function hclVars(server: OpenBaoServer, n: number): string[] {
  return ['-var', `vault_address=${server.address}`, '-var', `controllers=${JSON.stringify(names(n))}`];
}

/** Hand-written HCL: init and apply, by the same engine, with the engine's default parallelism like maas-vault. */
async function handWrittenApply(toolchain: Toolchain, server: OpenBaoServer, n: number, dir = handWrittenDir()): Promise<Sample> {
  const env = hclEnv(toolchain, server);
  const init = await timed(toolchain.engine.path, ['init', '-input=false', '-no-color'], { env, cwd: dir });
  const apply = await timed(toolchain.engine.path, ['apply', '-auto-approve', '-input=false', '-no-color', ...hclVars(server, n)], { env, cwd: dir });
  return { ms: init.ms + apply.ms };
}

async function benchSynth(): Promise<void> {
  for (const n of process.env.BENCH_SIZES ? SIZES : [...SIZES, 1000]) {
    const config = writeConfig('http://127.0.0.1:8200', n);
    record(
      'synth',
      n,
      await interleaved(ROUNDS, { 'maas-vault synth': () => timed(process.execPath, [CLI, 'synth', '--quiet', '--config', config], { probeRss: true }) }),
    );
  }
  record(
    'start-up',
    0,
    await interleaved(ROUNDS, {
      'maas-vault --version': () => timed(process.execPath, [CLI, '--version'], { probeRss: true }),
      'node, http loaded': () => timed(process.execPath, ['-e', "require('node:http')"], { probeRss: true }),
      'node alone': () => timed(process.execPath, ['-e', ''], { probeRss: true }),
    }),
  );
}

async function benchApply(toolchain: Toolchain): Promise<void> {
  for (const n of SIZES) {
    record(
      'apply from empty',
      n,
      await interleaved(ROUNDS, {
        'maas-vault apply': () =>
          withServer(toolchain, (server) =>
            timed(process.execPath, [CLI, 'apply', '--auto-approve', '--quiet', '--config', writeConfig(server.address, n)], {
              env: cliEnv(toolchain, server.rootToken),
              probeRss: true,
            }),
          ),
        'manual bao procedure': () => withServer(toolchain, (server) => manualProcedure(toolchain, server, n)),
        'hand-written HCL': () => withServer(toolchain, (server) => handWrittenApply(toolchain, server, n)),
      }),
    );
  }
}

async function benchCredentialsAndPlan(toolchain: Toolchain): Promise<void> {
  await withServer(toolchain, async (server) => {
    const env = cliEnv(toolchain, server.rootToken);
    const full = writeConfig(server.address, Math.max(...SIZES));
    await timed(process.execPath, [CLI, 'apply', '--auto-approve', '--quiet', '--config', full], { env });
    for (const n of SIZES) {
      const config = writeConfig(server.address, n);
      const roles = names(n).map(role);
      record(
        'credentials',
        n,
        await interleaved(ROUNDS, {
          'maas-vault credentials': () => timed(process.execPath, [CLI, 'credentials', '--json', '--quiet', '--config', config], { env, probeRss: true }),
          'bao write loop': async () => {
            const baoEnv = { BAO_ADDR: server.address, BAO_TOKEN: server.rootToken };
            let ms = 0;
            for (const name of roles)
              ms += (await timed(toolchain.bao.path, ['write', '-wrap-ttl=5m', '-f', '-format=json', `auth/approle/role/${name}/secret-id`], { env: baoEnv }))
                .ms;
            return { ms };
          },
          'floor (same requests, node:http)': () =>
            timed(process.execPath, [FLOOR], {
              env: { BENCH_ADDR: server.address, VAULT_TOKEN: server.rootToken, BENCH_ROLES: roles.join(','), BENCH_SITE: SITE },
              probeRss: true,
            }),
        }),
      );
    }
  });
  // A no-change plan at each size: a site applied by maas-vault and the same by hand-written HCL,
  // each on its own server (one site's roles would be foreign to the other's pre-flight checks).
  for (const n of SIZES) {
    await withServer(toolchain, (server) =>
      withServer(toolchain, async (hclServer) => {
        const env = cliEnv(toolchain, server.rootToken);
        const config = writeConfig(server.address, n);
        await timed(process.execPath, [CLI, 'apply', '--auto-approve', '--quiet', '--config', config], { env });
        const dir = handWrittenDir();
        await handWrittenApply(toolchain, hclServer, n, dir);
        record(
          're-apply, no change (plan)',
          n,
          await interleaved(ROUNDS, {
            'maas-vault plan': () => timed(process.execPath, [CLI, 'plan', '--quiet', '--config', config], { env, probeRss: true }),
            'hand-written HCL plan': () =>
              timed(toolchain.engine.path, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...hclVars(hclServer, n)], {
                env: hclEnv(toolchain, hclServer),
                cwd: dir,
              }),
          }),
        );
      }),
    );
  }
}

/**
 * The state backends side by side at 100 controllers: apply from empty and a no-change plan, state
 * in a local file or in PostgreSQL (a local PostgreSQL 15 on loopback, one schema per run).
 */
async function benchStateBackends(toolchain: Toolchain): Promise<void> {
  const postgres = await startPostgres();
  try {
    let schemas = 0;
    const pg = (address: string) => writeConfig(address, 100, { state: { backend: 'pg', schema: `bench_${++schemas}` } });
    const apply = (config: string, env: Record<string, string>) =>
      timed(process.execPath, [CLI, 'apply', '--auto-approve', '--quiet', '--config', config], { env });
    const plan = (config: string, env: Record<string, string>) => timed(process.execPath, [CLI, 'plan', '--quiet', '--config', config], { env });
    record(
      'apply from empty, by state backend',
      100,
      await interleaved(ROUNDS, {
        'state in a local file': () => withServer(toolchain, (server) => apply(writeConfig(server.address, 100), cliEnv(toolchain, server.rootToken))),
        'state in PostgreSQL (pg)': () =>
          withServer(toolchain, (server) => apply(pg(server.address), { ...cliEnv(toolchain, server.rootToken), ...postgres.env })),
      }),
    );
    await withServer(toolchain, (localServer) =>
      withServer(toolchain, async (pgServer) => {
        const local = writeConfig(localServer.address, 100);
        const shared = pg(pgServer.address);
        const localEnv = cliEnv(toolchain, localServer.rootToken);
        const pgEnv = { ...cliEnv(toolchain, pgServer.rootToken), ...postgres.env };
        await apply(local, localEnv);
        await apply(shared, pgEnv);
        record(
          're-apply, no change (plan), by state backend',
          100,
          await interleaved(ROUNDS, {
            'state in a local file': () => plan(local, localEnv),
            'state in PostgreSQL (pg)': () => plan(shared, pgEnv),
          }),
        );
      }),
    );
  } finally {
    await postgres.stop();
  }
}

/** The engine alone on a stack maas-vault synthesized: what an unguarded run would do. */
function engineOnlyEnv(toolchain: Toolchain, server: OpenBaoServer): Record<string, string> {
  return {
    VAULT_TOKEN: server.rootToken,
    VAULT_ADDR: server.address,
    TF_CLI_CONFIG_FILE: requireProvider(toolchain).cliConfigFile,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
  };
}

/** A site's stack synthesized by maas-vault and initialised, untimed: the engine-only methods run on it. */
async function synthesizedStack(
  toolchain: Toolchain,
  server: OpenBaoServer,
  n: number,
  config = writeConfig(server.address, n),
): Promise<{ config: string; stackDir: string }> {
  await timed(process.execPath, [CLI, 'synth', '--quiet', '--config', config]);
  const stackDir = join(dirname(config), '.maas-vault', SITE, 'cdktf.out', 'stacks', `maas-vault-${SITE}`);
  await timed(toolchain.engine.path, ['init', '-input=false', '-no-color'], { env: engineOnlyEnv(toolchain, server), cwd: stackDir });
  return { config, stackDir };
}

const GUARDED_APPLY = 'maas-vault apply (guarded)';
const ENGINE_APPLY = 'engine apply -auto-approve (unguarded)';
const ENGINE_GUARD_STEPS = 'engine plan -out + show -json + apply plan file';
const GUARDED_PLAN = 'maas-vault plan (plan file + show -json + check)';
const ENGINE_PLAN = 'engine plan (unguarded)';

/**
 * What the guard costs: maas-vault's guarded apply (plan to a file, `show -json`, the
 * loss check, apply of that very file) against a plain `apply -auto-approve` of the same stack by
 * the same engine, and the guard's three engine steps alone; then a no-change apply and plan.
 */
async function benchGuard(toolchain: Toolchain): Promise<void> {
  const engine = (args: string[], server: OpenBaoServer, cwd: string) => timed(toolchain.engine.path, args, { env: engineOnlyEnv(toolchain, server), cwd });
  const applyFlags = ['-input=false', '-no-color'];
  for (const n of process.env.BENCH_SIZES ? SIZES : [1, 100]) {
    record(
      'guard: apply from empty',
      n,
      await interleaved(ROUNDS, {
        [GUARDED_APPLY]: () =>
          withServer(toolchain, (server) => {
            const config = writeConfig(server.address, n);
            return timed(process.execPath, [CLI, 'apply', '--auto-approve', '--quiet', '--config', config], { env: cliEnv(toolchain, server.rootToken) });
          }),
        [ENGINE_APPLY]: () =>
          withServer(toolchain, async (server) => {
            const { stackDir } = await synthesizedStack(toolchain, server, n);
            return engine(['apply', '-auto-approve', ...applyFlags], server, stackDir);
          }),
        [ENGINE_GUARD_STEPS]: () =>
          withServer(toolchain, async (server) => {
            const { stackDir } = await synthesizedStack(toolchain, server, n);
            const plan = await engine(['plan', '-out=guard.tfplan', ...applyFlags], server, stackDir);
            const show = await engine(['show', '-json', 'guard.tfplan'], server, stackDir);
            const apply = await engine(['apply', ...applyFlags, 'guard.tfplan'], server, stackDir);
            return { ms: plan.ms + show.ms + apply.ms };
          }),
      }),
    );
  }
  const n = Math.max(...(process.env.BENCH_SIZES ? SIZES : [100]));
  await withServer(toolchain, async (server) => {
    const env = cliEnv(toolchain, server.rootToken);
    const config = writeConfig(server.address, n);
    await timed(process.execPath, [CLI, 'apply', '--auto-approve', '--quiet', '--config', config], { env });
    const { stackDir } = await synthesizedStack(toolchain, server, n, config);
    record(
      'guard: no change',
      n,
      await interleaved(ROUNDS, {
        [GUARDED_APPLY]: () => timed(process.execPath, [CLI, 'apply', '--auto-approve', '--quiet', '--config', config], { env }),
        [ENGINE_APPLY]: () => engine(['apply', '-auto-approve', ...applyFlags], server, stackDir),
        [GUARDED_PLAN]: () => timed(process.execPath, [CLI, 'plan', '--quiet', '--config', config], { env }),
        [ENGINE_PLAN]: () => engine(['plan', ...applyFlags], server, stackDir),
      }),
    );
  });
}

/** The guard's cost as ratios of medians from this run, one line each. */
function guardRatios(): string[] {
  const lines: string[] = [];
  for (const entry of rows.filter((candidate) => candidate.phase.startsWith('guard: ') && candidate.method === ENGINE_APPLY)) {
    const against = (method: string) => {
      const other = row(entry.phase, entry.n, method);
      return other ? `${method} ${(other.time.median / entry.time.median).toFixed(2)}×` : undefined;
    };
    const parts = [against(GUARDED_APPLY), against(ENGINE_GUARD_STEPS)].filter(Boolean);
    const plan = row(entry.phase, entry.n, GUARDED_PLAN);
    const enginePlan = row(entry.phase, entry.n, ENGINE_PLAN);
    if (plan && enginePlan) parts.push(`${GUARDED_PLAN} ${(plan.time.median / enginePlan.time.median).toFixed(2)}× ${ENGINE_PLAN}`);
    lines.push(`${entry.phase}, N=${entry.n}: against ${ENGINE_APPLY}: ${parts.join('; ')}`);
  }
  return lines;
}

function row(phase: string, n: number, method: string): Row | undefined {
  return rows.find((entry) => entry.phase === phase && entry.n === n && entry.method === method);
}

function ratio(phase: string, n: number, slow: string, fast: string): number {
  return row(phase, n, slow)!.time.median / row(phase, n, fast)!.time.median;
}

function report(toolchain: Toolchain, seconds: number): string {
  const format = (summary: Summary, unit = 'ms') => `${summary.median.toFixed(0)} ${unit} (${summary.min.toFixed(0)}–${summary.max.toFixed(0)})`;
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push(
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}; ${ROUNDS} runs per figure, methods interleaved round by round, whole processes timed from a cold Node start. Figures: median (min–max). Ratios compare medians from the same invocation.`,
    '',
  );
  lines.push('## Machine', '');
  lines.push(`- ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node ${process.version}`);
  lines.push(`- ${describeToolchain(toolchain)}`);
  lines.push(`- OpenBao dev servers on loopback, one fresh server per "apply from empty" run; bench took ${(seconds / 60).toFixed(1)} min`, '');
  lines.push('## Results', '');
  lines.push('| phase | N | method | time | peak RSS |', '| --- | ---: | --- | ---: | ---: |');
  for (const entry of rows) {
    lines.push(`| ${entry.phase} | ${entry.n || '–'} | ${entry.method} | ${format(entry.time)} | ${entry.rss ? format(entry.rss, 'MiB') : ''} |`);
  }
  lines.push('', '![time against N](benchmarks.svg)', '');
  lines.push('## Against the targets', '');
  const target = (ok: boolean, text: string) => lines.push(`- ${ok ? 'met' : 'MISSED'}: ${text}`);
  const credentialsVsBao = ratio('credentials', 100, 'bao write loop', 'maas-vault credentials');
  const credentialsVsFloor = ratio('credentials', 100, 'maas-vault credentials', 'floor (same requests, node:http)');
  const synth = row('synth', 100, 'maas-vault synth')!;
  const applyVsHcl = ratio('apply from empty', 100, 'maas-vault apply', 'hand-written HCL');
  target(credentialsVsBao >= 10, `credentials for 100 controllers ≥ 10× faster than the bao loop: ${credentialsVsBao.toFixed(1)}×`);
  target(credentialsVsFloor <= 2, `credentials for 100 controllers within 2× of the floor: ${credentialsVsFloor.toFixed(2)}×`);
  target(synth.time.median < 1500, `synth for 100 controllers under 1.5 s wall: ${synth.time.median.toFixed(0)} ms`);
  target((synth.rss?.median ?? Infinity) < 200, `synth for 100 controllers under 200 MB RSS: ${synth.rss?.median.toFixed(0)} MiB`);
  target(applyVsHcl <= 1.3, `apply for 100 controllers within 1.3× of hand-written HCL: ${applyVsHcl.toFixed(2)}×`);
  // Start-up targets: the small cases, which are the common ones.
  const oneCredential = ratio('credentials', 1, 'maas-vault credentials', 'bao write loop');
  const oneApply = ratio('apply from empty', 1, 'maas-vault apply', 'hand-written HCL');
  const planVsHcl = ratio('re-apply, no change (plan)', 100, 'maas-vault plan', 'hand-written HCL plan');
  target(oneCredential <= 1.5, `credentials for 1 controller within 1.5× of one \`bao write\`: ${oneCredential.toFixed(2)}× (stretch: ≤ 1×)`);
  target(credentialsVsFloor <= 1.2, `credentials for 100 controllers within 1.2× of the node:http floor: ${credentialsVsFloor.toFixed(2)}×`);
  target(oneApply <= 1.5, `apply for 1 controller within 1.5× of hand-written HCL: ${oneApply.toFixed(2)}×`);
  target(planVsHcl <= 1.2, `no-change plan for 100 controllers within 1.2× of hand-written HCL: ${planVsHcl.toFixed(2)}×`);
  const manualVsApply = ratio('apply from empty', 100, 'manual bao procedure', 'maas-vault apply');
  lines.push(`- for reference: apply for 100 controllers is ${manualVsApply.toFixed(1)}× faster than the manual procedure`);
  const fixed = row('apply from empty', 1, 'maas-vault apply')!.time.median - row('apply from empty', 1, 'hand-written HCL')!.time.median;
  const planOverhead =
    row('re-apply, no change (plan)', 100, 'maas-vault plan')!.time.median - row('re-apply, no change (plan)', 100, 'hand-written HCL plan')!.time.median;
  const startup = row('start-up', 0, 'maas-vault --version')!.time.median - row('start-up', 0, 'node, http loaded')!.time.median;
  const credentialsGap = row('credentials', 1, 'maas-vault credentials')!.time.median - row('credentials', 1, 'floor (same requests, node:http)')!.time.median;
  lines.push('', '## What the guard costs', '');
  lines.push(
    'Every apply and destroy plans to a file, reads it (`show -json`), checks it for losses, and applies exactly that file ' +
      '(README, *What maas-vault will never do without asking*). ' +
      'Against a plain `apply -auto-approve` of the same synthesized stack by the same engine (ratios of medians):',
    '',
    ...guardRatios().map((line) => `- ${line}`),
  );
  lines.push('', '## Where the time goes', '');
  lines.push(
    `- Start-up: \`maas-vault --version\` takes ${startup.toFixed(0)} ms more than a Node that loads only \`http\`: reading the bundle and its command's compiled code from V8's code cache (written by the command's first run), setting up yargs and the config schema. \`credentials\` for one controller takes ${credentialsGap.toFixed(0)} ms more than the floor: that start-up, reading and checking the config, and building the result; at 100 controllers the gap is ${(row('credentials', 100, 'maas-vault credentials')!.time.median - row('credentials', 100, 'floor (same requests, node:http)')!.time.median).toFixed(0)} ms.`,
    `- maas-vault's own fixed cost is about ${fixed.toFixed(0)} ms per apply (apply at N=1 minus hand-written HCL at N=1): start-up, synth (cdktf and the provider bindings come bundled in the file only synth loads, \`vendor/synth.cjs\`; a fresh work directory's \`init\` runs meanwhile), the Vault checks before and the wrapping-token look-ups after; the engine's version is probed once per binary (workDir/engine.json). It adds ${((oneApply - 1) * 100).toFixed(0)}% to a one-controller apply and ${((applyVsHcl - 1) * 100).toFixed(0)}% at N=100, where the engine dominates. A no-change plan reuses the synthesized stack and pays ${planOverhead.toFixed(0)} ms over hand-written HCL at N=100.`,
    '- RSS is the Node process alone; the engine and its provider run as child processes and are not counted.',
  );
  lines.push('', '## Notes', '');
  lines.push(
    "- The floor sends exactly the requests `credentials` sends: one seal-status read (the cluster ID for standby consistency), then per controller a role-ID read and a wrapped secret-ID write with the same metadata and consistency headers (2N + 1 requests), concurrently over one keep-alive pool of Node's built-in `http`, with nothing else loaded. The `bao` loop issues only the N secret-ID writes, one process each, as the MAAS docs do by hand.",
    "- A no-change plan reuses the synthesized stack when the config, the synth code's fingerprint and the JSON on disk match the record beside it (stacks/synth-once.ts), so it loads neither cdktf nor the provider bindings.",
    '- "maas-vault apply" includes what the tool does around the engine: the Vault health and token check, synth, `init`, apply, reading outputs and checking each wrapping token. "hand-written HCL" is `init` plus `apply` of [scripts/bench/hand-written/main.tf](../scripts/bench/hand-written/main.tf), same engine, same provider mirror, default parallelism (10) for both.',
    "- The manual procedure is the seeds' page as a script: `bao auth enable`, `bao secrets enable`, `bao policy write`, then per controller `bao write` the role, `bao read` its role ID and `bao write -wrap-ttl=5m -f` a secret ID.",
  );
  return `${lines.join('\n')}\n`;
}

const started = Date.now();
// BENCH_TOOLCHAIN=recorded: the toolchain as its record says, nothing installed or re-recorded (a shared machine).
const toolchain = process.env.BENCH_TOOLCHAIN === 'recorded' ? readToolchain() : await ensureToolchain({ progress: log });
log(`toolchain: ${describeToolchain(toolchain)}`);
try {
  // Every apply and plan row needs the provider: say so before measuring anything.
  requireProvider(toolchain);
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exit(1);
}
if (ONLY) {
  const unknown = ONLY.filter((phase) => !(PHASES as readonly string[]).includes(phase));
  if (unknown.length > 0) {
    process.stderr.write(`bench: BENCH_ONLY names ${unknown.join(', ')}: the phases are ${PHASES.join(', ')}\n`);
    process.exit(2);
  }
  // A quick look at some phases, without rewriting docs/benchmarks.md.
  if (ONLY.includes('synth')) await benchSynth();
  if (ONLY.includes('credentials')) await benchCredentialsAndPlan(toolchain);
  if (ONLY.includes('apply')) await benchApply(toolchain);
  if (ONLY.includes('state-backends')) await benchStateBackends(toolchain);
  if (ONLY.includes('guard')) await benchGuard(toolchain);
  for (const entry of rows)
    process.stdout.write(
      `${entry.phase}\tN=${entry.n}\t${entry.method}\t${entry.time.median.toFixed(0)} ms (${entry.time.min.toFixed(0)}–${entry.time.max.toFixed(0)})\n`,
    );
  for (const line of guardRatios()) process.stdout.write(`${line}\n`);
  process.exit(0);
}
await benchSynth();
await benchCredentialsAndPlan(toolchain);
await benchApply(toolchain);
await benchStateBackends(toolchain);
await benchGuard(toolchain);
const seconds = (Date.now() - started) / 1000;
mkdirSync(join(ROOT, 'docs'), { recursive: true });
writeFileSync(join(ROOT, 'docs/benchmarks.md'), report(toolchain, seconds));
const series = (phase: string, method: string) => ({
  name: method,
  points: [1, 10, 100].map((n) => [n, row(phase, n, method)!.time.median] as [number, number]),
});
writeFileSync(
  join(ROOT, 'docs/benchmarks.svg'),
  chartSvg([
    { title: 'apply from empty', series: ['maas-vault apply', 'hand-written HCL', 'manual bao procedure'].map((method) => series('apply from empty', method)) },
    {
      title: 'fresh credentials',
      series: ['maas-vault credentials', 'floor (same requests, node:http)', 'bao write loop'].map((method) => series('credentials', method)),
    },
  ]),
);
log(`wrote docs/benchmarks.md and docs/benchmarks.svg in ${(seconds / 60).toFixed(1)} min`);
process.stdout.write(readFileSync(join(ROOT, 'docs/benchmarks.md'), 'utf8'));
