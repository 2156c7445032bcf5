/**
 * The engine's colour on a terminal: on a pseudo-terminal (`script`) with
 * NO_COLOR unset, plan and apply let the engine print colour, and what maas-vault reads from the
 * engine's lines (its errors, the paths it was refused) still reads right. With NO_COLOR, TERM=dumb
 * or off a terminal the engine runs with -no-color, as before.
 */
import { execa } from 'execa';
import { roleName } from '../../config/index.js';
import { renderAdminPolicy } from '../../policies/render.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { CLI, engineEnv } from '../support/cli.js';
import { testConfig } from '../support/configs.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

const ESC = '\x1b[';

describeE2E('the engine on a terminal (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let site: TestSite;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    site = new TestSite(server, { site: 'hue', kv: { mount: 'kv-hue' }, controllers: [{ name: 'region-1' }] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** Runs the CLI on a pseudo-terminal; everything it writes (stdout and stderr) comes back as one text. */
  async function onTerminal(args: string[], env: Record<string, string> = {}, token = server.rootToken) {
    const line = [process.execPath, CLI, ...args, '--config', site.configPath].join(' ');
    const result = await execa('script', ['-qefc', line, '/dev/null'], {
      reject: false,
      extendEnv: false,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, TERM: 'xterm-256color', VAULT_TOKEN: token, ...engineEnv(), ...env },
      stdin: 'ignore',
    });
    return { exitCode: result.exitCode, output: result.stdout };
  }

  /** The engine's lines as maas-vault shows them (`  | ` in front). */
  const engineLines = (output: string) => output.split(/\r?\n/).filter((text) => /^(\r?\x1b\[2K)?\s+\| /.test(text.replace(/^\r/, '')));

  it('plan on a terminal: the engine prints colour; with NO_COLOR or TERM=dumb it does not', async () => {
    const coloured = await onTerminal(['plan']);
    expect([coloured.exitCode, coloured.exitCode === 0 ? '' : coloured.output]).toEqual([0, '']);
    expect(engineLines(coloured.output).some((text) => text.includes(ESC))).toBe(true);
    // What the plan says is the same text under the colour.
    expect(coloured.output.replace(/\x1b\[[0-9;]*m/g, '')).toContain(`vault_approle_auth_backend_role.region_region-1_role will be created`);

    const plainTerminals: Record<string, string>[] = [{ NO_COLOR: '1' }, { TERM: 'dumb' }];
    for (const env of plainTerminals) {
      const plain = await onTerminal(['plan'], env);
      expect([JSON.stringify(env), plain.exitCode]).toEqual([JSON.stringify(env), 0]);
      expect(engineLines(plain.output).length).toBeGreaterThan(0);
      expect(engineLines(plain.output).filter((text) => text.includes(ESC))).toEqual([]);
    }
  });

  it('off a terminal the engine runs with -no-color, as before', async () => {
    const piped = await site.cli(['plan']);
    expect(piped.exitCode).toBe(0);
    expect(piped.all).not.toContain(ESC);
  });

  it('apply on a terminal with colour: applied, and the hand-off printed', async () => {
    const applied = await onTerminal(['apply', '--auto-approve']);
    expect([applied.exitCode, applied.exitCode === 0 ? '' : applied.output]).toEqual([0, '']);
    expect(engineLines(applied.output).some((text) => text.includes(ESC))).toBe(true);
    expect(applied.output).toContain('sudo maas config-vault configure');
    expect((await vaultHttp(server.address, 'GET', `auth/approle/role/${roleName({ site: 'hue' }, 'region-1')}`, { token: server.rootToken })).status).toBe(
      200,
    );
  });

  it("an engine refused on a terminal: the refused path is still read from the engine's coloured lines", async () => {
    await site.apply();
    // The admin policy, and a refusal on a path the engine reads (refreshing the role) that the check before the engine does not ask about.
    const config = testConfig({ site: 'hue', vault: { address: server.address }, kv: { mount: 'kv-hue' }, controllers: [{ name: 'region-1' }] });
    const deny = `path "auth/approle/role/${roleName(config, 'region-1')}/role-id" {\n  capabilities = ["deny"]\n}\n`;
    expect(
      (await vaultHttp(server.address, 'PUT', 'sys/policies/acl/hue-admin', { token: server.rootToken, body: { policy: renderAdminPolicy(config) } })).status,
    ).toBe(204);
    expect((await vaultHttp(server.address, 'PUT', 'sys/policies/acl/hue-deny', { token: server.rootToken, body: { policy: deny } })).status).toBe(204);
    const token = (
      await vaultHttp(server.address, 'POST', 'auth/token/create', { token: server.rootToken, body: { policies: ['hue-admin', 'hue-deny'], ttl: '10m' } })
    ).body.auth.client_token;
    const refused = await onTerminal(['plan'], {}, token);
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toMatch(new RegExp(`plan failed: permission denied on auth/approle/role/${roleName(config, 'region-1')}/role-id \\(GET\\)`));
    // The engine's coloured error block is not streamed as well: said once.
    expect(refused.output.match(/permission denied/gi)).toHaveLength(1);
    expect(refused.output).not.toContain(token);
  });
});
