/**
 * `status` before the first apply: a site that was never applied is "not created yet" on every
 * line (exit 5), read with nothing more than the admin policy; a site that lost part of itself
 * still reads as a loss (exit 4).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roleName, type MaasVaultConfig } from '../../config/index.js';
import { maasPolicyFor, renderAdminPolicy } from '../../policies/render.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { execa } from 'execa';
import { CLI, runCli } from '../support/cli.js';
import { testConfig } from '../support/configs.js';
import { vaultHttp } from '../support/http.js';
import { controllerRoleBody } from '../support/manual-site.js';
import { serverBinary } from '../support/matrix.js';
import { rootStep, tokenWithPolicy } from '../support/root.js';
import { stopAll } from '../support/stop.js';

let server: OpenBaoServer;
beforeAll(async () => (server = await startDevServer({ bao: serverBinary() })));
afterAll(() => stopAll(server));

const root = (method: string, path: string, body?: unknown) => rootStep(server, method, path, body);

/** A site's config file and a token holding only its rendered admin policy. */
async function siteWithAdmin(site: string): Promise<{ config: MaasVaultConfig; configPath: string; token: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-new-site-'));
  const input = {
    site,
    vault: { address: server.address },
    kv: { mount: `kv-${site}` },
    controllers: [{ name: 'region-1' }, { name: 'region-2' }],
    workDir: join(dir, 'work'),
  };
  const configPath = join(dir, 'maas-vault.json');
  writeFileSync(configPath, JSON.stringify(input));
  const config = testConfig(input, input.workDir);
  return { config, configPath, token: await tokenWithPolicy(server, `maas-admin-${site}`, renderAdminPolicy(config)) };
}

it('a site never applied is "not created yet" on every line, exit 5, with only the admin policy', async () => {
  const { configPath, token } = await siteWithAdmin('fresh');
  const result = await runCli(['status', '--config', configPath], { token });
  expect([result.exitCode, result.stderr]).toEqual([5, '']);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/ at http:\/\/127\.0\.0\.1:\d+: unsealed$/);
  expect(lines.at(-1)).toBe('Site fresh is not created yet: `maas-vault plan` lists what `maas-vault apply` would create.');
  const findings = lines.slice(1, -1);
  expect(findings.filter((line) => line.startsWith('new    '))).toEqual([
    'new     approle auth at approle/',
    'new     KV-v2 at kv-fresh/',
    `new     policy ${testConfig({ site: 'fresh' }).policy.name}`,
    `new     role ${roleName(testConfig({ site: 'fresh' }), 'region-1')}`,
    `new     role ${roleName(testConfig({ site: 'fresh' }), 'region-2')}`,
  ]);
  for (const detail of findings.filter((line) => !line.startsWith('new    '))) expect(detail).toMatch(/^ {10}not created yet: `maas-vault apply` /);
  expect(result.stdout).not.toMatch(/went with it|backup|DRIFT|again/);

  const json = await runCli(['status', '--json', '--config', configPath], { token });
  expect(json.exitCode).toBe(5);
  const report = JSON.parse(json.stdout);
  expect(report.notCreated).toBe(true);
  const texts = report.checks.flatMap((check: { findings: { text: string }[] }) => check.findings.map((finding) => finding.text));
  expect(texts.length).toBeGreaterThanOrEqual(5);
  expect(new Set(texts)).toEqual(new Set(['not created yet']));
  // status only reads: nothing of the site appeared.
  expect((await vaultHttp(server.address, 'GET', 'sys/auth', { token: server.rootToken })).body.data['approle/']).toBeUndefined();
});

it('a site with one of its roles in Vault and its KV mount gone is a loss, exit 4, with the backup advice', async () => {
  const { config, configPath, token } = await siteWithAdmin('halfgone');
  await root('POST', 'sys/auth/approle', { type: 'approle' });
  try {
    await root('POST', `sys/policies/acl/${config.policy.name}`, { policy: maasPolicyFor(config) });
    await root('POST', `auth/approle/role/${roleName(config, 'region-1')}`, controllerRoleBody(config));
    const result = await runCli(['status', '--config', configPath], { token });
    expect([result.exitCode, result.stderr]).toEqual([4, '']);
    expect(result.stdout).toContain('DRIFT   KV-v2 at kv-halfgone/');
    expect(result.stdout).toContain("restore MAAS's secrets from a backup");
    expect(result.stdout).toContain(`DRIFT   role ${roleName(config, 'region-2')}`);
    expect(result.stdout).not.toContain('is not created yet:');
    expect(JSON.parse((await runCli(['status', '--json', '--config', configPath], { token })).stdout).notCreated).toBe(false);
  } finally {
    await root('DELETE', 'sys/auth/approle');
  }
});

describe('on a terminal', () => {
  /** status under a pseudo-terminal (`script`), as a person runs it. */
  async function onTerminal(configPath: string, token: string, env: Record<string, string>): Promise<string> {
    const line = [process.execPath, CLI, 'status', '--config', configPath].join(' ');
    const result = await execa('script', ['-qefc', line, '/dev/null'], {
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, VAULT_TOKEN: token, ...env },
    });
    expect(result.exitCode).toBe(5);
    return String(result.stdout);
  }

  it('labels and the summary are in colour, the rest of each line as it is off a terminal', async () => {
    const { configPath, token } = await siteWithAdmin('colour');
    const output = await onTerminal(configPath, token, { TERM: 'xterm-256color' });
    expect(output).toContain('\x1b[36mnew\x1b[0m     approle auth at approle/');
    expect(output).toContain('\x1b[36mSite colour is not created yet: `maas-vault plan` lists what `maas-vault apply` would create.\x1b[0m');
    const plain = await runCli(['status', '--config', configPath], { token });
    expect(plain.stdout).not.toMatch(/\x1b/);
    // Without the colour codes, the terminal shows what a pipe gets.
    expect(output.replace(/\x1b\[\d+m/g, '').replace(/\r\n/g, '\n')).toBe(plain.stdout);
  });

  it.each([[{ TERM: 'xterm-256color', NO_COLOR: '1' }], [{ TERM: 'dumb' }]])('%j: no colour at all', async (env) => {
    const { configPath, token } = await siteWithAdmin(`nocolour${Object.keys(env).length}`);
    const output = await onTerminal(configPath, token, env);
    expect(output).toContain('new     approle auth at approle/');
    expect(output).not.toMatch(/\x1b\[/);
  });
});
