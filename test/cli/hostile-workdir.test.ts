/**
 * A work directory another user can write (or owns) is refused with exit 2 before a single request
 * reaches Vault: an HTTP listener stands where Vault would be and counts them. So is a file in the
 * stack directory that synth did not write, which the engine would load and run with the admin's
 * token. (hostile-workdir.e2e.test.ts shows, on a real server, that such a file changes nothing.)
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.js';
import { startNotAVault, type NotAVault } from '../support/not-a-vault.js';

let listener: NotAVault;
let address: string;
let requests: readonly string[] = [];

beforeAll(async () => {
  listener = await startNotAVault();
  ({ address, requests } = listener);
});

afterAll(async () => {
  await listener.close();
});

beforeEach(() => {
  listener.reset();
});

const COMMANDS = [['plan'], ['apply', '--auto-approve'], ['credentials'], ['status'], ['verify'], ['output'], ['rotate']];

/** A site whose config sits in its own directory, with the work directory `work/` beside it. */
function site(): { dir: string; workDir: string; stackDir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-hostile-workdir-'));
  const config = join(dir, 'maas-vault.json');
  writeFileSync(config, JSON.stringify({ site: 'planted', vault: { address }, workDir: './work', controllers: [{ name: 'region-1' }] }));
  const workDir = join(dir, 'work');
  const stackDir = join(workDir, 'cdktf.out', 'stacks', 'maas-vault-planted');
  mkdirSync(stackDir, { recursive: true, mode: 0o700 });
  return { dir, workDir, stackDir, config };
}

/** What `evil.tf.json` would do with the admin's token: a policy granting everything. */
const EVIL = JSON.stringify({
  resource: { vault_policy: { evil: { name: 'evil', policy: 'path "*" { capabilities = ["create","read","update","delete","list","sudo"] }' } } },
});

async function refusedUnsent(config: string, message: RegExp): Promise<void> {
  for (const args of COMMANDS) {
    const result = await runCli([...args, '--config', config], { token: 'hostile-test-token', env: { HOME: tmpdir() } });
    expect([args[0], result.exitCode, result.stderr]).toEqual([args[0], 2, expect.stringMatching(message)]);
    expect(result.stderr).toMatch(/Nothing was sent to Vault and the engine did not run/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect([args[0], requests]).toEqual([args[0], []]);
  }
}

describe('a work directory on a shared host', () => {
  it('owned by another user and world-writable, with a planted evil.tf.json: every command exits 2 naming owner and mode, nothing sent', async () => {
    const { workDir, stackDir, config } = site();
    writeFileSync(join(stackDir, 'evil.tf.json'), EVIL);
    chownSync(workDir, 65534, 65534);
    chmodSync(workDir, 0o777);
    await refusedUnsent(
      config,
      new RegExp(`workDir ${workDir} is owned by uid 65534, not by this user \\(uid 0\\) or root \\(owner uid 65534, mode 0777\\).*chmod go-w ${workDir}`),
    );
  });

  it('owned by this user but writable by others: exit 2 naming the mode', async () => {
    const { workDir, config } = site();
    chmodSync(workDir, 0o777);
    await refusedUnsent(config, new RegExp(`workDir ${workDir} is writable by its group \\(owner root, mode 0777\\)`));
  });

  it('the synthesized stack directory writable by others (the work directory itself private): exit 2 naming it', async () => {
    const { stackDir, config } = site();
    chmodSync(stackDir, 0o757);
    await refusedUnsent(config, new RegExp(`the work directory ${stackDir} is writable by other users \\(owner root, mode 0757\\)`));
  });

  it('a directory above workDir that others may write, without the sticky bit: exit 2 (it could swap the work directory)', async () => {
    const { dir, config } = site();
    chmodSync(dir, 0o777);
    await refusedUnsent(config, new RegExp(`the directory above workDir ${dir} is writable by its group \\(owner root, mode 0777\\)`));
  });

  it("another user's file in the stack directory: exit 2 naming it", async () => {
    const { stackDir, config } = site();
    const lock = join(stackDir, '.terraform.lock.hcl');
    writeFileSync(lock, '');
    chownSync(lock, 65534, 65534);
    await refusedUnsent(config, new RegExp(`the work file ${lock} is owned by uid 65534`));
  });

  it.each(['evil.tf.json', 'override.tf', 'x_override.tf.json', 'terraform.tfvars', 'a.auto.tfvars.json', 'evil.tofu'])(
    '%s in a private stack directory (synth did not write it): exit 2 naming it, nothing sent',
    async (name) => {
      const { stackDir, config } = site();
      writeFileSync(join(stackDir, name), EVIL, { mode: 0o600 });
      await refusedUnsent(
        config,
        new RegExp(`${join(stackDir, name).replace(/\./g, '\\.')} was not written by maas-vault \\(synth writes only cdk\\.tf\\.json there\\)`),
      );
    },
  );

  it('a private work directory is used as before (the commands reach Vault)', async () => {
    const { config } = site();
    const result = await runCli(['status', '--config', config], { token: 'hostile-test-token', env: { HOME: tmpdir() } });
    expect(result.exitCode).not.toBe(2);
    expect(requests.length).toBeGreaterThan(0);
  });
});
