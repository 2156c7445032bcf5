/**
 * Secret hygiene: everything the CLI prints in human mode, the synthesized JSON, every file of
 * the work directory and the CLI's code caches are searched for raw secret_ids and client tokens;
 * files holding a wrapping token must be 0600.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import type { CliResult } from '../support/cli.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('secret-hygiene (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  function filesUnder(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'providers' ? [] : filesUnder(path);
      return entry.isFile() ? [path] : [];
    });
  }

  it('no raw secret_id or client token reaches output, logs, JSON or files; wrapping tokens only in 0600 files', async () => {
    const site = new TestSite(server, { site: 'hygiene', kv: { mount: 'kv-hygiene' }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    const printed: Array<[string, CliResult]> = [];
    const run = async (args: string[], env: Record<string, string> = {}) => {
      // Node flags no other test uses: the code caches of these flags are written by these runs.
      const result = await site.cli(args, server.rootToken, {
        TF_LOG: 'DEBUG',
        TF_LOG_PATH: join(site.dir, 'engine.log'),
        NODE_OPTIONS: '--max-old-space-size=3999',
        ...env,
      });
      expect([args.join(' '), result.exitCode]).toEqual([args.join(' '), 0]);
      printed.push([args.join(' '), result]);
      return result;
    };

    await run(['apply', '--auto-approve']);
    await run(['plan']);
    await run(['status']);
    await run(['verify']);
    await run(['output']);
    await run(['credentials', '--out', join(site.dir, 'creds.json')]);
    const issued = JSON.parse((await run(['credentials', '--json'])).stdout).controllers as Array<{ wrappedToken: string; roleId: string }>;
    await run(['apply', '--auto-approve']);

    // The secrets: wrapping tokens (allowed where printing them is the job), and what they unwrap to.
    const stack = await site.outputs();
    const wrappingTokens = [...[...stack.values()].map((controller) => controller.wrappedToken), ...issued.map((record) => record.wrappedToken)];
    const written = JSON.parse(readFileSync(join(site.dir, 'creds.json'), 'utf8')).controllers as Array<{ wrappedToken: string; roleId: string }>;
    wrappingTokens.push(...written.map((record) => record.wrappedToken));
    const forbidden: string[] = [server.rootToken];
    for (const record of [...stack.values(), ...issued, ...written].map((entry) => ({
      roleId: entry.roleId,
      token: 'wrappedToken' in entry ? entry.wrappedToken : '',
    }))) {
      const unwrapped = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: record.token });
      if (unwrapped.status !== 200) continue;
      const secretId = unwrapped.body.data.secret_id as string;
      forbidden.push(secretId);
      const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: record.roleId, secret_id: secretId } });
      forbidden.push(login.body.auth.client_token);
    }
    expect(forbidden.length).toBeGreaterThanOrEqual(1 + 2 * 6);

    // 1. Nothing the CLI printed holds a forbidden secret; wrapping tokens never go to stderr.
    for (const [command, result] of printed) {
      for (const secret of forbidden) expect([command, result.all.includes(secret)]).toEqual([command, false]);
      for (const token of wrappingTokens) expect([command, 'stderr', result.stderr.includes(token)]).toEqual([command, 'stderr', false]);
    }
    // Human-mode status, verify and plan print no wrapping token at all.
    for (const [command, result] of printed.filter(([command]) => /^(status|verify|plan)/.test(command))) {
      for (const token of wrappingTokens) expect([command, result.stdout.includes(token)]).toEqual([command, false]);
    }

    // 2. Every file in the work directory (state, backup, synthesized JSON, engine debug log, lock, creds).
    const files = filesUnder(site.dir);
    expect(files.some((path) => path.endsWith('terraform.tfstate'))).toBe(true);
    expect(files.some((path) => path.endsWith('cdk.tf.json'))).toBe(true);
    expect(files.some((path) => path.endsWith('engine.log'))).toBe(true);
    let holdingTokens = 0;
    for (const path of files) {
      const text = readFileSync(path, 'utf8');
      for (const secret of forbidden) expect([path, text.includes(secret)]).toEqual([path, false]);
      if (wrappingTokens.some((token) => text.includes(token))) {
        holdingTokens += 1;
        expect([path, (statSync(path).mode & 0o777).toString(8)]).toEqual([path, '600']);
      }
    }
    expect(holdingTokens).toBeGreaterThanOrEqual(2);

    // 3. The CLI's code caches (compiled code, written after a command's first run) hold no secret at all.
    const cacheDir = fileURLToPath(new URL('../../dist/bundle/code-cache/', import.meta.url));
    const caches = readdirSync(cacheDir);
    for (const command of ['apply', 'plan', 'status', 'verify', 'output', 'credentials'])
      expect(caches.some((name) => name.startsWith(`${command}.`))).toBe(true);
    for (const name of caches) {
      const bytes = readFileSync(join(cacheDir, name), 'latin1');
      for (const secret of [...forbidden, ...wrappingTokens]) expect([name, bytes.includes(secret)]).toEqual([name, false]);
    }

    // 4. The state keeps wrapping tokens and accessors, never a secret_id attribute with a value.
    const state = JSON.parse(readFileSync(join(site.dir, '.maas-vault/hygiene/terraform.tfstate'), 'utf8'));
    for (const resource of state.resources.filter((entry: { type: string }) => entry.type === 'vault_approle_auth_backend_role_secret_id')) {
      for (const instance of resource.instances) {
        expect(instance.attributes.secret_id ?? '').toBe('');
        expect(instance.attributes.wrapping_token).toMatch(/^(s|hvs|sb)\./);
        expect(instance.attributes.wrapping_accessor).toMatch(/^[0-9a-f-]{36}$/);
      }
    }
  });
});
