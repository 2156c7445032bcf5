/**
 * Secret hygiene of the commands that talk to Vault directly, on a site set up by hand: nothing
 * they print (stdout, stderr, --json) holds the Vault token, a raw secret_id or a client token;
 * wrapping tokens appear only where printing them is the job (stdout of credentials) and never on
 * stderr; the --out file holding them is 0600.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import type { CliResult } from '../support/cli.js';
import { runCli } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { ManualSite } from '../support/manual-site.js';
import { serverBinary } from '../support/matrix.js';

let server: OpenBaoServer;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
});

afterAll(async () => {
  await server?.stop();
});

it('no token, secret_id or client token in any output; wrapping tokens only on stdout of credentials and in a 0600 file', async () => {
  const site = await ManualSite.create(server, { site: 'hygiene', kv: { mount: 'kv-hygiene' }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
  const printed: Array<[string, CliResult]> = [];
  const run = async (args: string[], options: { exitCode?: number; input?: string } = {}) => {
    const result = options.input === undefined ? await site.cli(args) : await runCli([...args, '--config', site.configPath], { input: options.input });
    expect([args.join(' '), result.exitCode]).toEqual([args.join(' '), options.exitCode ?? 0]);
    printed.push([args.join(' '), result]);
    return result;
  };

  const out = join(site.dir, 'creds.json');
  await run(['status']);
  await run(['verify']);
  await run(['credentials', '--out', out]);
  const human = await run(['credentials', '--controller', 'region-1']);
  const issued = JSON.parse((await run(['credentials', '--json'])).stdout).controllers as Array<{ wrappedToken: string; roleId: string }>;
  const written = JSON.parse(readFileSync(out, 'utf8')).controllers as Array<{ wrappedToken: string; roleId: string }>;
  const humanToken = /configure \S+ \S+ (\S+) /.exec(human.stdout)![1];
  await run(['verify-token', '-', '--controller', 'region-1'], { input: humanToken });
  await run(['revoke', '--auto-approve', '--controller', 'region-2']);

  // What the wrapping tokens unwrap to, and the client tokens those log in to, must appear nowhere.
  const wrappingTokens = [...issued, ...written].map((record) => record.wrappedToken).concat(humanToken);
  const forbidden: string[] = [server.rootToken];
  for (const record of [...issued, ...written]) {
    const unwrapped = await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: record.wrappedToken });
    expect(unwrapped.status).toBe(200);
    const secretId = unwrapped.body.data.secret_id as string;
    forbidden.push(secretId);
    const login = await vaultHttp(server.address, 'POST', 'auth/approle/login', { body: { role_id: record.roleId, secret_id: secretId } });
    if (login.status === 200) forbidden.push(login.body.auth.client_token);
  }
  expect(forbidden.length).toBeGreaterThanOrEqual(1 + 4 + 2);

  for (const [command, result] of printed) {
    for (const secret of forbidden) expect([command, result.all.includes(secret)]).toEqual([command, false]);
    for (const token of wrappingTokens) expect([command, 'stderr', result.stderr.includes(token)]).toEqual([command, 'stderr', false]);
  }
  for (const [command, result] of printed.filter(([command]) => /^(status|verify|revoke)/.test(command))) {
    for (const token of wrappingTokens) expect([command, result.stdout.includes(token)]).toEqual([command, false]);
  }
  expect((statSync(out).mode & 0o777).toString(8)).toBe('600');
  const file = readFileSync(out, 'utf8');
  for (const secret of forbidden) expect(file.includes(secret)).toBe(false);
});
