/**
 * An adopt flag makes the stack forget, not delete, what this site created: a `removed` block
 * with destroy = false, which Terraform before 1.7 and OpenTofu before 1.10 cannot run. Such an
 * engine is refused (exit 2) before it plans, when the stack declares the block; without adopt
 * flags it is not refused for that. Real OpenBao; the engine is a stand-in that only says its
 * version and records whether it was asked for anything else.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { runCli } from '../support/cli.js';
import { vaultHttp } from '../support/http.js';
import { serverBinary } from '../support/matrix.js';

let server: OpenBaoServer;
let dir: string;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
  dir = mkdtempSync(join(tmpdir(), 'maas-vault-old-engine-'));
});

afterAll(async () => {
  await server?.stop();
});

/** A terraform that answers `version -json` with `version` and writes every other command it is given to a file. */
function oldEngine(name: string, version: string): { path: string; ran: () => string } {
  const path = join(dir, `${name}-${version}`);
  const log = `${path}.ran`;
  writeFileSync(path, `#!/bin/sh\nif [ "$1" = version ]; then echo '{"terraform_version":"${version}"}'; exit 0; fi\necho "$@" >> '${log}'\nexit 1\n`);
  chmodSync(path, 0o755);
  return { path, ran: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') };
}

function site(name: string, input: Record<string, unknown>): string {
  const configPath = join(dir, `${name}.json`);
  writeFileSync(
    configPath,
    JSON.stringify({ site: name, vault: { address: server.address }, workDir: join(dir, name), controllers: [{ name: 'region-1' }], ...input }),
  );
  return configPath;
}

it.each([
  ['kv.adopt', { kv: { mount: 'kv-old', adopt: true } }],
  ['approle.adopt', { kv: { mount: 'kv-old2' }, approle: { adopt: true } }],
])('%s with Terraform 1.6: plan and apply are refused before the engine plans, naming the version needed', async (flag, input) => {
  const engine = oldEngine('terraform', '1.6.6');
  const configPath = site(`old-${flag.replace('.', '-')}`, input);
  for (const command of [['plan'], ['apply', '--auto-approve']]) {
    const result = await runCli([...command, '--config', configPath, '--engine', engine.path], { token: server.rootToken });
    expect([command[0], result.exitCode]).toEqual([command[0], 2]);
    expect(result.stderr).toContain(`${flag} is set, so the stack forgets what this site may have created instead of deleting it`);
    expect(result.stderr).toContain('Terraform 1.6.6 cannot forget an object without deleting it');
    expect(result.stderr).toContain('install Terraform 1.7+ or OpenTofu 1.10+');
  }
  // The stack's init may start early (engine/early-init.ts): it touches neither Vault nor a state.
  expect(engine.ran()).not.toMatch(/^(plan|apply|show|state|import)/m);
  const mounts = Object.keys((await vaultHttp(server.address, 'GET', 'sys/mounts', { token: server.rootToken })).body.data);
  expect(mounts.filter((mount) => mount.startsWith('kv-old'))).toEqual([]);
});

it('without adopt flags the same engine is not refused for it: it is run', async () => {
  const engine = oldEngine('terraform-plain', '1.6.6');
  const configPath = site('old-plain', { kv: { mount: 'kv-plain' } });
  const result = await runCli(['plan', '--config', configPath, '--engine', engine.path], { token: server.rootToken });
  expect(result.stderr).not.toContain('cannot forget an object');
  expect(engine.ran()).toMatch(/^init/);
});
