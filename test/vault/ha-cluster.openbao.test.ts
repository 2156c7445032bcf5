/**
 * maas-vault against a production-shaped 3-node OpenBao raft cluster, pointed at a standby: its own
 * reads see what was just written, a leader killed mid-run costs retries and nothing else, verify
 * still replays MAAS as MAAS talks (and says why a standby fails it), status describes the cluster.
 */
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roleName, type MaasVaultConfig } from '../../config/index.js';
import { renderAdminPolicy } from '../../policies/render.js';
import type { RaftCluster } from '../../toolchain/openbao-server.js';
import { runCli, type CliResult } from '../support/cli.js';
import { withoutProgress } from '../support/progress.js';
import { vaultHttp } from '../support/http.js';
import { setUpSite, siteConfig, startTestCluster } from '../support/cluster-site.js';
import { onServer, serverCliName } from '../support/matrix.js';

function controllers(count: number): { name: string }[] {
  return Array.from({ length: count }, (_, index) => ({ name: `region-${index + 1}` }));
}

function writeConfig(address: string, input: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'maas-vault-ha-')), 'maas-vault.json');
  writeFileSync(path, JSON.stringify({ vault: { address }, ...input }));
  return path;
}

function cli(configPath: string, args: string[], token: string, env: Record<string, string> = {}): Promise<CliResult> {
  return runCli([...args, '--config', configPath], { token, env });
}

/** Accessors of every secret ID a role has, asked of the active node. */
async function secretIdCount(cluster: RaftCluster, config: MaasVaultConfig, controller: string): Promise<number> {
  const { address } = await cluster.active();
  const listed = await vaultHttp(address, 'LIST', `auth/approle/role/${roleName(config, controller)}/secret-id`, { token: cluster.rootToken });
  return listed.status === 404 ? 0 : listed.body.data.keys.length;
}

// OpenBao's standbys answer reads from their own copy by default; HashiCorp Vault's community
// edition has no such standbys (each forwards every request), so the same cluster behaves
// differently for MAAS, and each server's behaviour is asserted as it is.
describe(`a cluster with the default standbys (${onServer('openbao') ? 'serving reads' : 'forwarding every request'})`, () => {
  let cluster: RaftCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('status through a standby names the active node and the standbys, and says what the standbys do to MAAS', async () => {
    const standby = (await cluster.standbys())[0];
    const input = { site: 'hastatus', controllers: controllers(2) };
    await setUpSite(cluster, siteConfig(standby.address, input));
    const result = await cli(writeConfig(standby.address, input), ['status'], cluster.rootToken);
    expect(result.all).toContain(`HA cluster: this node is a standby; active node ${(await cluster.active()).address}`);
    const others = cluster.nodes.filter((node) => node.address !== standby.address).length;
    expect(others).toBe(2);
    const json = JSON.parse((await cli(writeConfig(standby.address, input), ['status', '--json'], cluster.rootToken)).stdout);
    if (onServer('openbao')) {
      expect(result.stdout).toMatch(/standby reads: enabled/);
      expect(result.stderr).toMatch(
        /warning: standbys answer reads themselves: .*404.*point MAAS \(vault\.maasAddress\) at the active node .*disable_standby_reads = true/,
      );
    } else {
      expect(result.stdout).toMatch(/standby reads: disabled \(standbys forward every request\)/);
      expect(result.stderr).not.toMatch(/standbys (may )?answer reads/);
    }
    expect(json.cluster).toMatchObject({
      haEnabled: true,
      isStandby: true,
      activeAddress: (await cluster.active()).address,
      standbyReads: onServer('openbao'),
    });
    expect(json.cluster.standbys).toContain(standby.address);
  });

  it('credentials through a standby read the role IDs just written through another node, every time', async () => {
    const [standby, other] = await cluster.standbys();
    const input = { site: 'harolefresh', controllers: controllers(20) };
    const config = siteConfig(standby.address, input);
    // Roles written through one standby, read at once through the other: without forwarding, most reads 404.
    await setUpSite(cluster, config);
    const result = await cli(writeConfig(other.address, input), ['credentials', '--json'], cluster.rootToken);
    expect({ exitCode: result.exitCode, stderr: result.stderr.replace(/^warning: sent \d+ requests again: .*\n?/, '') }).toEqual({ exitCode: 0, stderr: '' });
    const issued = JSON.parse(result.stdout).controllers as { name: string; roleId: string }[];
    expect(issued).toHaveLength(20);
  });

  it(`verify replays MAAS without any header MAAS does not send${onServer('openbao') ? ", and explains the standby's 404 in plain words" : ': through a forwarding standby it passes every time'}`, async () => {
    const standby = (await cluster.standbys())[0];
    const input = { site: 'haverify', controllers: controllers(10) };
    await setUpSite(cluster, siteConfig(standby.address, input));
    const configPath = writeConfig(standby.address, input);
    if (onServer('vault')) {
      for (let run = 0; run < 3; run++) {
        const result = await cli(configPath, ['verify'], cluster.rootToken);
        expect({ exitCode: result.exitCode, failed: result.stdout.split('\n').filter((line) => line.startsWith('FAILED')) }).toEqual({
          exitCode: 0,
          failed: [],
        });
      }
      return;
    }
    // A standby lags by a moment only: the replay hits the lag for some controllers, not all, so it runs until one fails.
    let result: CliResult | undefined;
    for (let run = 0; run < 5; run++) {
      result = await cli(configPath, ['verify'], cluster.rootToken);
      if (result.exitCode !== 0) break;
    }
    expect(result!.exitCode).toBe(1);
    const failures = result!.stdout.split('\n').filter((line) => line.startsWith('FAILED'));
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      // Which read meets the lag first depends on timing: the unwrap of the just-issued token, lookup-self, or the read-back.
      expect(failure).toMatch(/MAAS would fail to (read the test secret back|look up its own token|unwrap the secret ID)/);
      expect(failure).toContain(`${standby.address} is a standby of a Vault cluster (active node: ${(await cluster.active()).address})`);
      expect(failure).toMatch(/point MAAS \(vault\.maasAddress\) at the active node or at a load balancer that routes only to it/);
      expect(failure).toContain('disable_standby_reads = true');
    }
  });

  it('credentials for 100 controllers while the active node is SIGKILLed: exactly one valid wrapped token each, nothing issued twice', async () => {
    const [standby] = await cluster.standbys();
    const input = { site: 'hafailover', controllers: controllers(100) };
    const config = siteConfig(standby.address, input);
    await setUpSite(cluster, config);
    const leader = await cluster.active();
    const started = Date.now();
    const running = cli(writeConfig(standby.address, input), ['credentials', '--json'], cluster.rootToken);
    await leader.kill();
    const result = await running;
    const elapsed = Date.now() - started;
    const retries = Number(/sent (\d+) requests again/.exec(result.stderr)?.[1] ?? 0);
    writeFileSync(join(tmpdir(), 'maas-vault-failover-figures.json'), JSON.stringify({ elapsedMs: elapsed, retries, exitCode: result.exitCode }));
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: expect.stringMatching(/^warning: sent \d+ requests again/) });
    expect(retries).toBeGreaterThan(0);
    const issued = JSON.parse(result.stdout).controllers as { name: string; roleId: string; wrappedToken: string }[];
    expect(issued.map((item) => item.name).sort()).toEqual(input.controllers.map((item) => item.name).sort());
    const survivor = (await cluster.active()).address;
    for (const item of issued) {
      expect(await secretIdCount(cluster, config, item.name)).toBe(1);
      const unwrapped = await vaultHttp(survivor, 'POST', 'sys/wrapping/unwrap', { token: item.wrappedToken });
      expect(unwrapped.status).toBe(200);
      const login = await vaultHttp(survivor, 'POST', 'auth/approle/login', { body: { role_id: item.roleId, secret_id: unwrapped.body.data.secret_id } });
      expect(login.status).toBe(200);
    }
    await leader.restart();
  });

  it('with no quorum left, credentials exits 3 saying the cluster has no active node, after the bounded retries', async () => {
    const standby = (await cluster.standbys())[0];
    const input = { site: 'hanoquorum', controllers: controllers(3) };
    await setUpSite(cluster, siteConfig(standby.address, input));
    const others = cluster.nodes.filter((node) => node !== standby);
    await Promise.all(others.map((node) => node.kill()));
    try {
      const result = await cli(writeConfig(standby.address, input), ['credentials', '--json'], cluster.rootToken, { VAULT_MAX_RETRIES: '3' });
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toMatch(
        /the Vault cluster behind http:\/\/127\.0\.0\.1:\d+ has no active node \(4 attempts; last answer: (307 redirect to http|500 "local node not active)/,
      );
      expect(result.stderr).toContain(`Check \`${serverCliName()} operator raft list-peers\`, then run this again`);
      expect(result.stderr).not.toContain(`${serverCliName() === 'bao' ? 'vault' : 'bao'} operator`);
      expect(result.stderr).not.toContain(cluster.rootToken);
      // --json: the failure is the one object on stdout, and nothing was issued.
      expect(JSON.parse(result.stdout)).toEqual({ error: { message: expect.stringContaining('has no active node'), exitCode: 3 } });
    } finally {
      for (const node of others) await node.restart();
    }
  });
});

describe('a cluster with disable_standby_reads = true', () => {
  let cluster: RaftCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ disableStandbyReads: true });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('verify through a standby passes for every controller, and status says standby reads are off without a warning', async () => {
    const standby = (await cluster.standbys())[0];
    const input = { site: 'hanoreads', controllers: controllers(10) };
    await setUpSite(cluster, siteConfig(standby.address, input));
    const configPath = writeConfig(standby.address, input);
    for (let run = 0; run < 3; run++) {
      const verify = await cli(configPath, ['verify'], cluster.rootToken);
      expect(verify.stdout.split('\n').filter((line) => line.startsWith('FAILED'))).toEqual([]);
      expect(verify.stdout.split('\n').filter((line) => line.startsWith('OK'))).toHaveLength(10);
      expect(verify.exitCode).toBe(0);
    }
    const status = await cli(configPath, ['status'], cluster.rootToken);
    expect(status.stdout).toMatch(/standby reads: disabled/);
    expect(status.stderr).not.toMatch(/warning: standbys/);
  });

  it('status with only the admin policy names the standbys and whether they serve reads, and warns about nothing', async () => {
    const standby = (await cluster.standbys())[0];
    const input = { site: 'haadmin', controllers: controllers(2) };
    const config = siteConfig(standby.address, input);
    await setUpSite(cluster, config);
    const { address } = await cluster.active();
    const policy = 'maas-admin-haadmin';
    expect(
      (await vaultHttp(address, 'POST', `sys/policies/acl/${policy}`, { token: cluster.rootToken, body: { policy: renderAdminPolicy(config) } })).status,
    ).toBe(204);
    const admin = (await vaultHttp(address, 'POST', 'auth/token/create', { token: cluster.rootToken, body: { policies: [policy], ttl: '10m' } })).body.auth
      .client_token;
    const status = await cli(writeConfig(standby.address, input), ['status'], admin);
    expect(status.stdout).toContain(`HA cluster: this node is a standby; active node ${address}`);
    const standbys = /standbys: (.*)/.exec(status.stdout)?.[1] ?? '';
    for (const node of cluster.nodes.filter((node) => node.address !== address)) expect(standbys).toContain(node.address);
    expect(status.stdout).toMatch(/standby reads: disabled/);
    expect(status.all).not.toContain('unknown');
    expect(withoutProgress(status.stderr)).toBe('');
    expect(status.exitCode).toBe(0);
  });
});

it('VAULT_MAX_RETRIES that is not a whole number is refused with exit 2 before anything is sent', async () => {
  const configPath = writeConfig('http://127.0.0.1:1', { site: 'haretry', controllers: controllers(1) });
  const result = await cli(configPath, ['credentials'], 'not-a-real-token', { VAULT_MAX_RETRIES: 'lots' });
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toContain('VAULT_MAX_RETRIES must be a whole number from 0 (no retries) to 100');
  expect(readFileSync(configPath, 'utf8')).toContain('haretry');
});
