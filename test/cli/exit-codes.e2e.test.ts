/**
 * The README's command table lists the exit codes of every command. Each documented (command,
 * code) pair has a scenario here that produces it, and the scenarios cover exactly the documented
 * pairs: a code added to the README without a way to reach it, or behaviour that the table does
 * not list, fails this test.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli, type CliResult } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { tofuPath } from '../support/tofu.js';
import { serverBinary } from '../support/matrix.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** `command -> codes` from the README's command table (the column "exit codes"). */
export function documentedExitCodes(text: string): Map<string, number[]> {
  const table = new Map<string, number[]>();
  const header = text.split('\n').findIndex((line) => /^\| command \| what it does \| exit codes \|$/.test(line));
  if (header === -1) throw new Error('README: no command table with an "exit codes" column');
  for (const line of text.split('\n').slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split(/(?<!\\)\|/).map((cell) => cell.trim());
    const command = /^`([a-z-]+)/.exec(cells[1])?.[1];
    if (!command) throw new Error(`README: cannot read the command of ${line}`);
    table.set(
      command,
      cells
        .at(-2)!
        .split(',')
        .map((code) => Number(code.trim())),
    );
  }
  return table;
}

describeE2E('every documented exit code of every command (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let sealed: OpenBaoServer;
  let site: TestSite;
  let home: string;

  beforeAll(async () => {
    [server, sealed] = await Promise.all([startDevServer({ bao: serverBinary() }), startDevServer({ bao: serverBinary() })]);
    await vaultHttp(sealed.address, 'POST', 'sys/seal', { token: sealed.rootToken });
    site = new TestSite(server, { site: 'codes', kv: { mount: 'kv-codes' }, controllers: [{ name: 'region-1' }] });
    home = mkdtempSync(join(tmpdir(), 'maas-vault-codes-home-'));
    await site.apply();
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), sealed?.stop()]);
  });

  const run = (args: string[], token: string | null = server.rootToken, env: Record<string, string | undefined> = {}): Promise<CliResult> =>
    site.cli(args, token, { HOME: home, ...env });
  const atSealed = (args: string[]) => run(args, sealed.rootToken, { VAULT_ADDR: sealed.address });
  const weakToken = async () =>
    (await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: ['default'], ttl: '10m' } })).body.auth
      .client_token as string;
  const badConfig = () => {
    const path = join(site.dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ site: 'codes', vault: { address: server.address }, controllers: [] }));
    return ['--config', path];
  };
  const unusedToken = async (controller = 'region-1') =>
    JSON.parse((await run(['credentials', '--json', '--controller', controller])).stdout).controllers[0].wrappedToken as string;

  /** Scenarios that need OpenTofu (state encryption): jest's visible skip where there is none (test/support/tofu.ts). */
  const needsTofu = new Set<() => Promise<CliResult>>();
  const withTofu = (scenario: () => Promise<CliResult>) => (needsTofu.add(scenario), scenario);
  /** A site with state.encryption and no state yet, run with OpenTofu and a passphrase. */
  const encryptedSite = (name: string) =>
    new TestSite(server, {
      site: name,
      kv: { mount: `kv-${name}` },
      controllers: [{ name: 'region-1' }],
      state: { encryption: { passphraseEnv: 'MAAS_STATE_PASSPHRASE' } },
    });
  const tofuEnv = () => ({ HOME: home, MAAS_VAULT_ENGINE: tofuPath!, MAAS_STATE_PASSPHRASE: 'correct-horse-battery-staple-2026' });

  /** One way to reach each (command, code). */
  const scenarios: Record<string, Record<number, () => Promise<CliResult>>> = {
    synth: { 0: () => run(['synth'], null), 2: () => runCli(['synth', ...badConfig()]) },
    plan: {
      0: () => run(['plan']),
      1: async () => run(['plan'], await weakToken()),
      2: () => runCli(['plan', ...badConfig()]),
      3: () => atSealed(['plan']),
    },
    apply: {
      0: () => run(['apply', '--auto-approve']),
      1: async () => {
        site.update((input) => ({ ...input, generation: 2 }));
        try {
          return await run(['apply', '--auto-approve'], await weakToken());
        } finally {
          site.update((input) => ({ ...input, generation: 1 }));
        }
      },
      2: () => run(['apply']),
      3: () => atSealed(['apply', '--auto-approve']),
    },
    destroy: {
      // Destroys a throwaway site of its own, so the others keep theirs.
      0: async () => {
        const other = new TestSite(server, {
          site: 'codes-gone',
          approle: { adopt: true },
          kv: { mount: 'kv-codes-gone' },
          controllers: [{ name: 'region-1' }],
        });
        await other.apply();
        return other.cli(['destroy', '--auto-approve']);
      },
      1: async () => run(['destroy', '--auto-approve'], await weakToken()),
      2: () => run(['destroy']),
      3: () => atSealed(['destroy', '--auto-approve']),
    },
    output: { 0: () => run(['output'], null), 2: () => runCli(['output', '--config', site.dir]) },
    'encrypt-state': {
      0: withTofu(() => encryptedSite('codes-enc').cli(['encrypt-state'], null, tofuEnv())),
      // A state file cut off with no verified copy beside it: nothing to encrypt it from.
      1: withTofu(() => {
        const broken = encryptedSite('codes-enc-broken');
        const workDir = join(broken.dir, '.maas-vault', 'codes-enc-broken');
        mkdirSync(workDir, { recursive: true });
        writeFileSync(join(workDir, 'terraform.tfstate'), '{"version": 4, "serial"');
        return broken.cli(['encrypt-state'], null, tofuEnv());
      }),
      2: () => run(['encrypt-state'], null),
    },
    credentials: {
      0: () => run(['credentials']),
      1: async () => run(['credentials'], await weakToken()),
      2: () => run(['credentials', '--wrap-ttl', '2d']),
      3: () => atSealed(['credentials']),
    },
    rotate: {
      0: () => run(['rotate', '--controller', 'region-1']),
      1: async () => run(['rotate', '--controller', 'region-1'], await weakToken()),
      2: () => runCli(['rotate', ...badConfig()]),
      3: () => atSealed(['rotate', '--controller', 'region-1']),
    },
    'verify-token': {
      0: async () => run(['verify-token', await unusedToken(), '--controller', 'region-1'], null),
      1: async () => {
        const token = await unusedToken();
        await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token });
        return run(['verify-token', token, '--controller', 'region-1'], null);
      },
      2: () => run(['verify-token', 'x', '--controller', 'region-9'], null),
      3: () => run(['verify-token', 'x', '--controller', 'region-1'], null, { VAULT_ADDR: 'http://127.0.0.1:9' }),
    },
    verify: {
      0: () => run(['verify']),
      1: async () => run(['verify'], 'not-a-token'),
      2: () => run(['verify', '--controller', 'region-9']),
      3: () => atSealed(['verify']),
    },
    status: {
      0: () => run(['status']),
      1: async () => run(['status'], await weakToken()),
      2: () => run(['status'], null),
      3: () => atSealed(['status']),
      4: async () => {
        await vaultHttp(server.address, 'POST', `auth/approle/role/${await roleOf('region-1')}`, { token: server.rootToken, body: { token_ttl: '1h' } });
        try {
          return await run(['status']);
        } finally {
          await run(['apply', '--auto-approve']);
        }
      },
      // A site never applied: nothing of it is in Vault yet.
      5: () =>
        new TestSite(server, { site: 'codes-new', approle: { adopt: true }, kv: { mount: 'kv-codes-new' }, controllers: [{ name: 'region-1' }] }).cli([
          'status',
        ]),
    },
    revoke: {
      0: () => run(['revoke', '--auto-approve', '--controller', 'region-1']),
      1: async () => run(['revoke', '--auto-approve', '--controller', 'region-1'], await weakToken()),
      2: () => run(['revoke']),
      3: () => atSealed(['revoke', '--auto-approve', '--controller', 'region-1']),
    },
    policy: { 0: () => run(['policy', 'admin'], null), 2: () => run(['policy', 'everything'], null) },
    dev: {
      0: () => runCli(['dev', '--quiet', '--config', site.configPath], { env: { HOME: home } }),
      // A site that adopts a KV mount the dev server does not have: apply fails.
      1: () => {
        const path = join(site.dir, 'adopt.json');
        writeFileSync(
          path,
          JSON.stringify({ site: 'dev', vault: { address: server.address }, kv: { mount: 'kv-absent', adopt: true }, controllers: [{ name: 'region-1' }] }),
        );
        return runCli(['dev', '--quiet', '--config', path], { env: { HOME: home } });
      },
      2: () => runCli(['dev', ...badConfig()], { env: { HOME: home } }),
    },
    version: { 0: () => runCli(['version']) },
    completion: { 0: () => runCli(['completion', 'bash']), 2: () => runCli(['completion', 'fish']) },
  };

  async function roleOf(controller: string): Promise<string> {
    return (await site.outputs()).get(controller)!.role;
  }

  it('the README documents exactly the codes these scenarios reach, for every command', () => {
    const documented = documentedExitCodes(readFileSync(README, 'utf8'));
    const covered = new Map(Object.entries(scenarios).map(([command, codes]) => [command, Object.keys(codes).map(Number)]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(covered));
  });

  const pairs = Object.entries(scenarios).flatMap(([command, codes]) =>
    Object.entries(codes).map(([code, scenario]) => [command, Number(code), scenario] as const),
  );

  // A loop, not it.each: jest hangs formatting rows that hold functions.
  for (const [command, code, scenario] of pairs)
    (tofuPath || !needsTofu.has(scenario) ? it : it.skip)(`${command} exits ${code}`, async () => {
      const result = await scenario();
      expect([result.exitCode, result.exitCode === code ? '' : result.all.slice(-2000)]).toEqual([code, '']);
      // status's 4 (drift) and 5 (not created yet) are reports on stdout, not errors.
      const report = command === 'status' && (code === 4 || code === 5);
      if (code !== 0 && code !== 4 && !report) expect(result.stderr).toMatch(/^maas-vault: |warning: /m);
      if (report) expect(result.stdout).toMatch(code === 5 ? /not created yet/ : /DRIFT/);
    });
});
