/**
 * What an admin's shell and a shared host bring to the CLI, refused with exit 2 before a single
 * request reaches Vault (an HTTP listener stands where Vault would be and counts them): a
 * namespace MAAS cannot log in to, VAULT_SKIP_VERIFY, whitespace around a variable, a --config
 * that is not a regular file or holds a key twice, an --out that is a FIFO, a link, a device or
 * another user's file. And the vault CLI's habits that are honoured: VAULT_FORMAT=json, BAO_ADDR.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { startNotAVault, type NotAVault } from '../support/not-a-vault.js';

let listener: NotAVault;
let address: string;
let requests: readonly string[] = [];
let dir: string;
let config: string;

beforeAll(async () => {
  listener = await startNotAVault();
  ({ address, requests } = listener);
  dir = mkdtempSync(join(tmpdir(), 'maas-vault-hostile-'));
  config = join(dir, 'maas-vault.json');
  writeFileSync(config, JSON.stringify({ site: 'hostile', vault: { address }, controllers: [{ name: 'region-1' }] }));
});

afterAll(async () => {
  await listener.close();
});

beforeEach(() => {
  listener.reset();
});

/** The CLI with a token, a HOME without ~/.vault-token, and this site's config unless args name another. */
function cli(args: string[], env: Record<string, string | undefined> = {}) {
  return runCli(args.includes('--config') ? args : [...args, '--config', config], { token: 'hostile-test-token', env: { HOME: dir, ...env } });
}

async function refusedUnsent(args: string[], env: Record<string, string | undefined>, message: RegExp): Promise<void> {
  const result = await cli(args, env);
  expect([args.join(' '), result.exitCode, result.stderr]).toEqual([args.join(' '), 2, expect.stringMatching(message)]);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(requests).toEqual([]);
}

describe('the environment', () => {
  const VAULT_COMMANDS = [['plan'], ['apply', '--auto-approve'], ['credentials'], ['status'], ['verify'], ['rotate'], ['revoke', '--controller', 'region-1']];

  it.each(['VAULT_NAMESPACE', 'BAO_NAMESPACE'])(
    '%s exported: every command that talks to Vault exits 2, saying MAAS sends no namespace header',
    async (variable) => {
      for (const args of VAULT_COMMANDS)
        await refusedUnsent(args, { [variable]: 'team-a' }, new RegExp(`${variable}="team-a": MAAS sends no namespace header`));
    },
  );

  it('vault.namespace in the file: exit 2, nothing sent', async () => {
    const path = join(dir, 'namespace.json');
    writeFileSync(path, JSON.stringify({ site: 'hostile', vault: { address, namespace: 'team-a' }, controllers: [{ name: 'region-1' }] }));
    for (const args of [['status'], ['credentials'], ['plan']])
      await refusedUnsent([...args, '--config', path], {}, /vault\.namespace: MAAS sends no namespace header/);
  });

  it.each(['1', 'true'])('VAULT_SKIP_VERIFY=%s: exit 2, never silently ignored', async (value) => {
    for (const args of [['status'], ['credentials']])
      await refusedUnsent(args, { VAULT_SKIP_VERIFY: value }, /VAULT_SKIP_VERIFY is set: maas-vault always verifies Vault's certificate/);
  });

  // ADDRESS stands for the listener's address, known once it listens.
  it.each([
    ['VAULT_ADDR', ' ADDRESS'],
    ['VAULT_ADDR', 'ADDRESS\n'],
    ['BAO_ADDR', 'ADDRESS '],
    ['VAULT_TOKEN', 'hostile-test-token\n'],
    ['VAULT_CACERT', '/etc/ssl/certs/ca-certificates.crt '],
    ['MAAS_VAULT_ENGINE', 'terraform '],
    ['MAAS_VAULT_LOCK_WAIT', ' 5'],
    ['VAULT_MAX_RETRIES', '3 '],
  ])('%s=%j: exit 2 naming the variable, nothing sent', async (variable, value) => {
    await refusedUnsent(
      ['status'],
      { [variable]: value.replace('ADDRESS', address) },
      new RegExp(`^maas-vault: environment: ${variable} (starts|ends) with whitespace`),
    );
  });

  it('VAULT_FORMAT=json is --json; another format is refused like -format=yaml', async () => {
    const json = await cli(['policy', 'maas'], { VAULT_FORMAT: 'json' });
    expect([json.exitCode, json.stderr]).toEqual([0, '']);
    expect(JSON.parse(json.stdout).policy).toContain('path ');
    const table = await cli(['policy', 'maas'], { VAULT_FORMAT: 'table' });
    expect(table.stdout).toMatch(/^path /m);
    await refusedUnsent(['status'], { VAULT_FORMAT: 'yaml' }, /VAULT_FORMAT="yaml": only json is supported/);
  });

  it('BAO_ADDR is where maas-vault goes when VAULT_ADDR is not set', async () => {
    const path = join(dir, 'elsewhere.json');
    writeFileSync(path, JSON.stringify({ site: 'hostile', vault: { address: 'http://127.0.0.1:1' }, controllers: [{ name: 'region-1' }] }));
    await cli(['status', '--config', path], { BAO_ADDR: address });
    expect(requests.length).toBeGreaterThan(0);
  });

  it('VAULT_ADDR and BAO_ADDR both set: VAULT_ADDR is used, said once (apply reads its config twice)', async () => {
    const result = await cli(['apply', '--auto-approve'], { VAULT_ADDR: address, BAO_ADDR: 'http://127.0.0.1:1' });
    expect(result.stderr.split('both VAULT_ADDR and BAO_ADDR are set: VAULT_ADDR is used, BAO_ADDR is ignored')).toHaveLength(2);
    expect(requests.length).toBeGreaterThan(0);
  });
});

describe('--config must be a regular file of at most 1 MiB', () => {
  it('a FIFO: exit 2 at once, not a hang', async () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    await refusedUnsent(['status', '--config', fifo], {}, /fifo\.json: is a FIFO \(named pipe\), not a regular file/);
  });

  it('/dev/zero: exit 2 at once', async () => {
    await refusedUnsent(['status', '--config', '/dev/zero'], {}, /\/dev\/zero: is a character device, not a regular file/);
  });

  it('a second "controllers" key does not silently win: exit 2 naming the key and its lines', async () => {
    const path = join(dir, 'twice.json');
    writeFileSync(
      path,
      `{\n  "site": "hostile",\n  "vault": {"address": "${address}"},\n  "controllers": [{"name": "region-1"}, {"name": "region-2"}],\n  "controllers": [{"name": "region-1"}]\n}\n`,
    );
    for (const args of [['plan'], ['credentials'], ['status']]) {
      await refusedUnsent([...args, '--config', path], {}, /key "controllers" appears twice at the top level, at line 4 and again at line 5, column 3/);
    }
  });

  it('a UTF-8 byte order mark is accepted', async () => {
    const path = join(dir, 'bom.json');
    writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(config)]));
    const result = await cli(['policy', 'maas', '--config', path]);
    expect([result.exitCode, result.stderr]).toEqual([0, '']);
  });
});

describe('credentials --out: only a new path or a regular file of this user', () => {
  it('a FIFO: exit 2 before anything is issued, the FIFO left as it was', async () => {
    const fifo = join(dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    await refusedUnsent(['credentials', '--out', fifo], {}, /--out .*out\.fifo: cannot write there: is a FIFO/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('a symbolic link (as /dev/stdout is): exit 2, the link and its target left as they were', async () => {
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'untouched');
    const link = join(dir, 'creds-link.json');
    symlinkSync(target, link);
    await refusedUnsent(['credentials', '--out', link], {}, /cannot write there: is a symbolic link/);
    expect([readlinkSync(link), readFileSync(target, 'utf8')]).toEqual([target, 'untouched']);
    await refusedUnsent(['credentials', '--out', '/dev/stdout'], {}, /--out \/dev\/stdout: cannot write there: is a symbolic link/);
  });

  it('a device: exit 2', async () => {
    await refusedUnsent(['credentials', '--out', '/dev/null'], {}, /--out \/dev\/null: cannot write there: is a device/);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  const root = process.getuid?.() === 0;
  (root ? it : it.skip)("another user's file (as root): exit 2, the file left as it was", async () => {
    const theirs = join(dir, 'theirs.json');
    writeFileSync(theirs, 'their data');
    chownSync(theirs, 65534, 65534);
    await refusedUnsent(['credentials', '--out', theirs], {}, /cannot write there: is a file of another user \(uid 65534\), not of this one \(uid 0\)/);
    expect([lstatSync(theirs).uid, readFileSync(theirs, 'utf8')]).toEqual([65534, 'their data']);
  });
});
