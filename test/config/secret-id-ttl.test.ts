/**
 * `secretIdTtl` locks every region out of Vault that long after its secret ID was issued, since
 * MAAS never fetches a new one: a value the wrapping token outlives is refused (exit 2, before
 * anything is sent to Vault), and any other value is said on every command that hands out or
 * changes secret IDs, even with --quiet.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemsOf, configInput } from '../support/configs.js';
import { runCli } from '../support/cli.js';
import { startNotAVault, type NotAVault } from '../support/not-a-vault.js';
import { secretIdExpiryAlarm } from '../../config/secret-id-ttl.js';

describe('secretIdTtl: the floor', () => {
  it.each([
    ['equal to wrapTtl', { secretIdTtl: '5m' }, '10m'],
    ['shorter than wrapTtl', { secretIdTtl: '1m' }, '10m'],
    ['under twice wrapTtl', { secretIdTtl: '2h', wrapTtl: '1h30m' }, '3h'],
  ])('refuses %s, naming secretIdTtl, the floor and the fix', (_name, values, floor) => {
    expect(problemsOf(configInput(values))).toEqual([
      `secretIdTtl: "${values.secretIdTtl}" is shorter than 2 x wrapTtl (${floor}): a secret ID issued now could die before its region unwraps it, ` +
        'or before a rotation can reach the region; ' +
        `leave secretIdTtl out (secret IDs that never expire, what MAAS expects) or make it at least ${floor}; nothing was changed`,
    ]);
  });

  it.each([[{}], [{ secretIdTtl: '10m' }], [{ secretIdTtl: '30d', wrapTtl: '24h' }]])('accepts %j', (values) => {
    expect(problemsOf(configInput(values))).toEqual([]);
  });
});

describe('secretIdTtl: when status calls it a problem', () => {
  it('a quarter of the TTL, at most a day', () => {
    expect([secretIdExpiryAlarm(60), secretIdExpiryAlarm(4 * 3600), secretIdExpiryAlarm(4 * 86400), secretIdExpiryAlarm(365 * 86400)]).toEqual([
      15, 3600, 86400, 86400,
    ]);
  });
});

describe('secretIdTtl: said where the admin runs the commands', () => {
  let listener: NotAVault;
  let dir: string;

  beforeAll(async () => {
    listener = await startNotAVault();
    dir = mkdtempSync(join(tmpdir(), 'maas-vault-ttl-'));
  });

  afterAll(async () => {
    await listener.close();
  });

  function site(values: Record<string, unknown>): string {
    const path = join(dir, `${Object.keys(values).join('-') || 'plain'}.json`);
    writeFileSync(path, JSON.stringify({ site: 'ttl', vault: { address: listener.address }, controllers: [{ name: 'region-1' }], ...values }));
    return path;
  }

  const commands = [['plan'], ['apply', '--auto-approve'], ['credentials'], ['rotate']];

  it.each(commands)('%s warns with --quiet that each region is locked out unless rotate runs first', async (...command) => {
    const result = await runCli([...command, '--quiet', '--config', site({ secretIdTtl: '30d' })], { token: 'ttl-test-token', env: { HOME: dir } });
    const warnings = result.stderr.split('\n').filter((line) => line.includes('secretIdTtl'));
    expect(warnings).toEqual([
      expect.stringMatching(/^warning: secretIdTtl is 30d in .*: each region controller is locked out of Vault 30d after its secret ID was issued/),
    ]);
    expect(warnings[0]).toContain('MAAS then cannot read its secrets');
    expect(warnings[0]).toContain('unless `maas-vault rotate` runs, and the configure command it prints on each region, before then');
  });

  it.each(commands)('%s says nothing of it without secretIdTtl', async (...command) => {
    const result = await runCli([...command, '--quiet', '--config', site({})], { token: 'ttl-test-token', env: { HOME: dir } });
    expect(result.stderr).not.toContain('secretIdTtl');
  });

  it.each([['credentials'], ['rotate']])('%s --wrap-ttl over half of secretIdTtl is refused with exit 2 before anything reaches Vault', async (command) => {
    listener.reset();
    const result = await runCli([command, '--wrap-ttl', '1h', '--config', site({ secretIdTtl: '90m' })], { token: 'ttl-test-token', env: { HOME: dir } });
    expect([result.exitCode, listener.requests.length]).toEqual([2, 0]);
    expect(result.stderr).toContain('secretIdTtl: "90m" is shorter than 2 x --wrap-ttl (2h)');
    expect(result.stderr).toContain('nothing was changed');
  });

  it('a secretIdTtl under the floor is refused with exit 2 before anything reaches Vault', async () => {
    listener.reset();
    const result = await runCli(['plan', '--config', site({ secretIdTtl: '5m', wrapTtl: '5m' })], { token: 'ttl-test-token', env: { HOME: dir } });
    expect([result.exitCode, listener.requests.length]).toEqual([2, 0]);
    expect(result.stderr).toMatch(/secretIdTtl: "5m" is shorter than 2 x wrapTtl \(10m\)/);
    expect(result.stderr).toMatch(/or make it at least 10m; nothing was changed/);
  });
});
