/**
 * Exit code 2 promises "nothing was sent to Vault". Every usage and config error of every command
 * is run against an HTTP listener standing where Vault would be, which counts what reaches it:
 * each must exit 2, name its cause, and leave the count at zero.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { startNotAVault, type NotAVault } from '../support/not-a-vault.js';

describe('exit 2 sends nothing to Vault', () => {
  let listener: NotAVault;
  let address: string;
  let requests: readonly string[] = [];
  let dir: string;
  let config: string;

  beforeAll(async () => {
    listener = await startNotAVault();
    ({ address, requests } = listener);
    dir = mkdtempSync(join(tmpdir(), 'maas-vault-usage-'));
    config = join(dir, 'maas-vault.json');
    writeFileSync(config, JSON.stringify({ site: 'usage', vault: { address }, controllers: [{ name: 'region-1' }] }));
  });

  afterAll(async () => {
    await listener.close();
  });

  beforeEach(() => {
    listener.reset();
  });

  /** The CLI with a token, a HOME without ~/.vault-token, and this site's config unless args name another. */
  function cli(args: string[], env: Record<string, string | undefined> = {}) {
    return runCli(args.includes('--config') ? args : [...args, '--config', config], { token: 'usage-test-token', env: { HOME: dir, ...env } });
  }

  const badConfig = () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ site: 'usage', vault: { address }, tokenTtl: '5 minutes', controllers: [{ name: 'region-1' }] }));
    return path;
  };

  const cases: [string, () => string[], RegExp, Record<string, string | undefined>?][] = [
    ['synth: bad config', () => ['synth', '--config', badConfig()], /tokenTtl: "5 minutes" is not a duration/],
    ['plan: bad config', () => ['plan', '--config', badConfig()], /tokenTtl/],
    ['plan: no token', () => ['plan'], /VAULT_TOKEN is not set/, { VAULT_TOKEN: undefined }],
    ['plan: engine not found', () => ['plan', '--engine', '/nonexistent/tofu'], /--engine \/nonexistent\/tofu: cannot run/],
    ['apply: no terminal, no --auto-approve', () => ['apply'], /pass --auto-approve/],
    ['apply: engine not found', () => ['apply', '--auto-approve', '--engine', '/nonexistent/tofu'], /cannot run/],
    ['destroy: no terminal, no --auto-approve', () => ['destroy'], /pass --auto-approve/],
    ['destroy: bad config', () => ['destroy', '--auto-approve', '--config', badConfig()], /tokenTtl/],
    ['output: --config is a directory', () => ['output', '--config', dir], /is a directory: pass --config the config file itself/],
    ['credentials: unknown controller', () => ['credentials', '--controller', 'region-9'], /--controller "region-9": not in/],
    ['credentials: bad --wrap-ttl', () => ['credentials', '--wrap-ttl', '48h'], /--wrap-ttl: "48h" is out of range/],
    ['credentials: no token', () => ['credentials'], /VAULT_TOKEN is not set/, { VAULT_TOKEN: undefined }],
    ['verify-token: unknown controller', () => ['verify-token', 'x', '--controller', 'region-9'], /--controller region-9: not in/],
    ['verify-token: no token given', () => ['verify-token', '--controller', 'region-1'], /no wrapping token/],
    ['verify: unknown controller', () => ['verify', '--controller', 'region-9'], /not in/],
    ['status: no token', () => ['status'], /VAULT_TOKEN is not set/, { VAULT_TOKEN: undefined }],
    [
      'status: bad VAULT_ADDR',
      () => ['status'],
      /VAULT_ADDR \(from the environment; it overrides vault\.address\): "not a url" is not a URL/,
      { VAULT_ADDR: 'not a url' },
    ],
    [
      'status: missing VAULT_CACERT file',
      () => ['status'],
      /VAULT_CACERT: file \/nonexistent\/ca\.pem does not exist/,
      { VAULT_CACERT: '/nonexistent/ca.pem' },
    ],
    ['revoke: no --controller', () => ['revoke'], /Missing required argument: controller/],
    ['revoke: unknown controller', () => ['revoke', '--auto-approve', '--controller', 'region-9'], /not in/],
    ['policy: unknown policy', () => ['policy', 'root'], /Invalid values/],
    ['unknown command', () => ['aply'], /Did you mean apply/],
    ['-format=yaml', () => ['status', '-format=yaml'], /only json is supported/],
    [
      'workDir under /proc',
      () => {
        const path = join(dir, 'proc.json');
        writeFileSync(path, JSON.stringify({ site: 'usage', vault: { address }, workDir: '/proc/maas-vault', controllers: [{ name: 'region-1' }] }));
        return ['status', '--config', path];
      },
      /workDir: \/proc\/maas-vault is on a kernel filesystem/,
    ],
    [
      'workDir is a file',
      () => {
        const file = join(dir, 'a-file');
        writeFileSync(file, '');
        const path = join(dir, 'file.json');
        writeFileSync(path, JSON.stringify({ site: 'usage', vault: { address }, workDir: file, controllers: [{ name: 'region-1' }] }));
        return ['plan', '--config', path];
      },
      /workDir: .*a-file is a file, not a directory/,
    ],
  ];

  // A loop, not it.each: jest hangs formatting rows that hold functions and regular expressions.
  for (const [name, args, message, env] of cases)
    it(`${name}: exit 2, the cause named, no request`, async () => {
      const result = await cli(args(), env);
      expect([result.exitCode, result.stderr]).toEqual([2, expect.stringMatching(message)]);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(requests).toEqual([]);
    });

  it('a ~ in workDir is the home directory, not a directory named "~"', async () => {
    const home = mkdtempSync(join(tmpdir(), 'maas-vault-home-'));
    mkdirSync(join(home, 'sites'));
    const path = join(dir, 'home.json');
    writeFileSync(path, JSON.stringify({ site: 'usage', vault: { address }, workDir: '~/sites/usage', controllers: [{ name: 'region-1' }] }));
    const result = await runCli(['synth', '--config', path], { env: { HOME: home } });
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
    expect(result.stdout.trim()).toBe(join(home, 'sites/usage/cdktf.out/stacks/maas-vault-usage/cdk.tf.json'));
  });
});
