/**
 * `credentials` and `rotate` with `state.backend: pg` lose the site's lock mid-loop: the lock's
 * PostgreSQL session is terminated (as a server restart or a network cut ends it) while they are
 * issuing secret IDs for 60 controllers. Before: they went on issuing, unlocked, while another
 * admin's run (a break-glass revoke, a second rotate) could take the lock. Now they send no
 * secret-ID write once the loss is noticed, deliver what was issued (the writes in flight
 * included), name what was not and the command for the rest, exit 1, and keep the next run fenced
 * off until they have stopped.
 *
 * The window is forced, not timed: a proxy in front of the server lets the first N secret-ID
 * writes through and holds the rest (the run is then mid-loop on any machine) until the run has
 * marked the lock's fence row 'stopping' (it noticed); the held writes, sent before the loss, then
 * go on, and any secret-ID write that arrives after that is counted. Real server, real PostgreSQL
 * 15, no engine; each race at two offsets (the first secret ID seen, and 20), three times each.
 */
import { startOpenBaoAndPostgres, type TestPostgres } from '../support/postgres.js';
import type { OpenBaoServer } from '../../toolchain/openbao-server.js';
import { roleName, validateConfig, type MaasVaultConfig } from '../../config/index.js';
import { docsPolicy } from '../support/docs-policy.js';
import { vaultHttp } from '../support/http.js';
import { TestSite } from '../support/site.js';
import { SECRET_ID_DESTROY, SecretIdGate } from '../support/secret-id-gate.js';
import type { CliResult } from '../support/cli.js';

const MOUNT = 'kv-lockwatch';
const SCHEMA = 'maas_vault_lockwatch';
const FINISH_MOUNT = 'kv-lockfinish';
const FINISH_SCHEMA = 'maas_vault_lockfinish';
const CONTROLLERS = 60;
const names = Array.from({ length: CONTROLLERS }, (_, index) => `region-${index + 1}`);
/** Secret-ID writes let through before the gate holds the rest: the first one seen, and several. */
const OFFSETS = [1, 20];
const RUNS_PER_OFFSET = 3;

let server: OpenBaoServer;
let postgres: TestPostgres;
let gate: SecretIdGate;
let config: MaasVaultConfig;
let site: TestSite;
/** A site of its own for rotate --finish: each controller with one old secret ID and a rotation to finish. */
let finishConfig: MaasVaultConfig;
let finishSite: TestSite;
/** And one for credentials --revoke-previous: each controller with one old secret ID to destroy. */
let previousConfig: MaasVaultConfig;
let previousSite: TestSite;
const pgEnv = () => ({ PG_CONN_STR: postgres.connStr });

async function root(method: string, path: string, body?: unknown) {
  const answer = await vaultHttp(server.address, method, path, { token: server.rootToken, body });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/** Every controller's live secret ID accessors, read from the server itself (not through the gate). */
async function accessorsByController(of: MaasVaultConfig = config): Promise<Map<string, Set<string>>> {
  const listed = await Promise.all(
    names.map(async (name) => {
      const answer = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(of, name)}/secret-id`, { token: server.rootToken });
      return [name, new Set<string>(answer.status === 404 ? [] : (answer.body.data.keys as string[]))] as const;
    }),
  );
  return new Map(listed);
}

function newSince(before: Map<string, Set<string>>, after: Map<string, Set<string>>): Map<string, string[]> {
  return new Map(names.map((name) => [name, [...after.get(name)!].filter((accessor) => !before.get(name)!.has(accessor))]));
}

/** Polls `check` until it holds, for at most `ms`: false when it never did. */
async function eventually(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The session holding the site's lock (the two-key advisory lock) of the run named `command`, ended as an admin or a restart would end it. */
async function terminateSiteLockSession(command: string): Promise<number> {
  const ended = await postgres.query<{ ended: boolean }>(
    `SELECT pg_terminate_backend(a.pid) AS ended FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND a.application_name LIKE $1`,
    [`maas-vault by % ${command}`],
  );
  return ended.filter((row) => row.ended).length;
}

async function fenceState(schema = SCHEMA): Promise<string | null | undefined> {
  const rows = await postgres.query<{ state: string | null }>(`SELECT state FROM ${schema}.maas_vault_site_lock WHERE id = 1`).catch(() => []);
  return rows[0]?.state;
}

interface RaceOutcome {
  result: CliResult;
  /** New accessors per controller in the server once the run ended. */
  fresh: Map<string, string[]>;
  before: Map<string, Set<string>>;
  noticed: boolean;
  heldAtLetGo: number;
}

interface Racer {
  site: TestSite;
  config: MaasVaultConfig;
  schema: string;
  /** The writes held: issuing secret IDs, or destroying them. */
  gated?: RegExp;
  /** How many controllers the writes let through changed, as the server's lists show. */
  changed: (before: Map<string, Set<string>>, now: Map<string, Set<string>>) => number;
}

const issuing = (on: { site: TestSite; config: MaasVaultConfig; schema: string }): Racer => ({
  ...on,
  changed: (before, now) => [...newSince(before, now).values()].filter((list) => list.length > 0).length,
});

/** Runs `args`, holds its gated writes after the first `passThrough`, ends its lock's session, lets the held writes go once it noticed. */
async function race(command: string, args: string[], passThrough: number, racer: Racer = issuing({ site, config, schema: SCHEMA })): Promise<RaceOutcome> {
  const before = await accessorsByController(racer.config);
  gate.arm(passThrough, racer.gated);
  const running = racer.site.cli([...args, '--json', '--lock-timeout', '30s'], server.rootToken, pgEnv());
  try {
    const caught = await eventually(() => gate.answered >= passThrough && gate.heldCount > 0, 120_000);
    if (!caught) throw new Error(`${command} never reached the gate: ${JSON.stringify(await Promise.race([running, Promise.resolve('still running')]))}`);
    // The first writes show in the server (its own lists, polled), the rest are held mid-loop.
    const seen = await eventually(async () => racer.changed(before, await accessorsByController(racer.config)) >= passThrough, 30_000);
    expect(seen).toBe(true);
    expect(await terminateSiteLockSession(command)).toBe(1);
    // The run marks its fence row 'stopping' once it noticed the loss (and until it has stopped).
    const noticed = await eventually(async () => (await fenceState(racer.schema)) === 'stopping', 20_000);
    const heldAtLetGo = gate.heldCount;
    gate.letGo();
    const result = await running;
    return { result, fresh: newSince(before, await accessorsByController(racer.config)), before, noticed, heldAtLetGo };
  } finally {
    gate.open();
    await running;
  }
}

/** The command the run said to run for the rest (without `maas-vault` and `--config`, which TestSite adds). */
function rerunArgs(stderr: string, command: string): string[] {
  const found = new RegExp('`maas-vault (' + command + ' [^`]*)`').exec(stderr);
  if (!found) throw new Error(`no \`maas-vault ${command} …\` to run again in:\n${stderr}`);
  return found[1].split(' ').filter((word, index, words) => word !== '--config' && words[index - 1] !== '--config');
}

/** A site whose 60 roles an admin made by hand (each with one secret ID its region runs on, when `withSecretIds`), driven through the gate. */
async function handMadeSite(name: string, mount: string, withSecretIds: boolean): Promise<{ site: TestSite; config: MaasVaultConfig }> {
  const input = { site: name, state: { backend: 'pg' }, approle: { adopt: true }, kv: { mount, adopt: true }, stackSecretIds: false };
  const made = validateConfig({ ...input, controllers: names.map((controller) => ({ name: controller })), vault: { address: server.address } });
  await root('POST', `sys/mounts/${mount}`, { type: 'kv', options: { version: '2' } });
  await root('PUT', `sys/policies/acl/${made.policy.name}`, { policy: docsPolicy(mount, made.secretsPath) });
  for (const controller of names) {
    await root('POST', `auth/approle/role/${roleName(made, controller)}`, { policies: [made.policy.name], token_ttl: '5m' });
    if (withSecretIds) await root('POST', `auth/approle/role/${roleName(made, controller)}/secret-id`, {});
  }
  // Every request of the CLI goes through the gate.
  const controllers = names.map((controller) => ({ name: controller }));
  return { site: new TestSite({ address: gate.address, rootToken: server.rootToken }, { ...input, controllers }), config: made };
}

beforeAll(async () => {
  ({ server, postgres } = await startOpenBaoAndPostgres());
  gate = await SecretIdGate.start(server.address);
  ({ site, config } = await handMadeSite('lockwatch', MOUNT, false));
  ({ site: finishSite, config: finishConfig } = await handMadeSite('lockfinish', FINISH_MOUNT, true));
  ({ site: previousSite, config: previousConfig } = await handMadeSite('lockprev', 'kv-lockprev', true));
}, 180_000);

afterAll(async () => {
  await gate?.stop();
  await server?.stop();
  await postgres?.stop();
});

describe.each([
  { command: 'credentials', args: ['credentials'] },
  { command: 'rotate', args: ['rotate'] },
])('$command loses the site lock in PostgreSQL mid-loop', ({ command, args }) => {
  it.each(OFFSETS.flatMap((passThrough) => Array.from({ length: RUNS_PER_OFFSET }, (_, run) => ({ passThrough, run }))))(
    'after $passThrough secret IDs (run $run): stops at once, delivers what it issued, names the rest, exit 1',
    async ({ passThrough, run }) => {
      const { result, fresh, before, noticed, heldAtLetGo } = await race(command, args, passThrough);
      const delivered = JSON.parse(result.stdout).controllers as Array<{ name: string; secretIdAccessor: string }>;
      expect({
        run,
        exitCode: result.exitCode,
        noticed,
        lockLostNamed: result.stderr.includes(`${command} stopped: it lost the site's lock`),
        writesAfterTheLoss: gate.arrivedAfterLetGo,
      }).toEqual({ run, exitCode: 1, noticed: true, lockLostNamed: true, writesAfterTheLoss: 0 });
      // Exactly the controllers the output says were done hold a new secret ID: the one delivered.
      const withNew = names.filter((name) => fresh.get(name)!.length > 0);
      expect(delivered.map(({ name }) => name)).toEqual(withNew);
      for (const { name, secretIdAccessor } of delivered) expect([name, fresh.get(name)]).toEqual([name, [secretIdAccessor]]);
      // The writes let through and those in flight when the lock was lost: nothing issued is lost to the admin.
      expect(delivered.length).toBe(passThrough + heldAtLetGo);
      expect(delivered.length).toBeLessThan(CONTROLLERS);
      const notDone = names.filter((name) => !withNew.includes(name));
      expect(result.stderr).toContain(`Not issued: ${notDone.join(', ')}.`);
      // The fence was cleared once it stopped: the command it names runs at once and covers the rest.
      expect(await fenceState()).toBeNull();
      const again = await site.cli([...rerunArgs(result.stderr, command), '--json'], server.rootToken, pgEnv());
      expect([again.exitCode, again.stderr]).toEqual([0, expect.any(String)]);
      const total = newSince(before, await accessorsByController());
      expect(names.filter((name) => total.get(name)!.length !== 1)).toEqual([]);
    },
    180_000,
  );
});

describe('rotate --finish loses the site lock in PostgreSQL mid-loop', () => {
  it.each(OFFSETS.flatMap((passThrough) => Array.from({ length: RUNS_PER_OFFSET }, (_, run) => ({ passThrough, run }))))(
    'after $passThrough destroyed (run $run): destroys nothing more, keeps the rest pending, names them, exit 1',
    async ({ passThrough, run }) => {
      // A rotation of every controller, each region configured with its new secret ID (unwrapped).
      const rotated = await finishSite.cli(['rotate', '--json'], server.rootToken, pgEnv());
      expect([rotated.exitCode, rotated.stderr]).toEqual([0, expect.any(String)]);
      const started = JSON.parse(rotated.stdout).controllers as Array<{ name: string; wrappedToken: string; secretIdAccessor: string }>;
      expect(started.length).toBe(CONTROLLERS);
      for (const { wrappedToken } of started) await vaultHttp(server.address, 'POST', 'sys/wrapping/unwrap', { token: wrappedToken });
      const newOf = new Map(started.map(({ name, secretIdAccessor }) => [name, secretIdAccessor]));
      const destroyedIn = (now: Map<string, Set<string>>) => names.filter((name) => now.get(name)!.size === 1 && now.get(name)!.has(newOf.get(name)!));

      const { result, noticed, heldAtLetGo } = await race('rotate --finish', ['rotate', '--finish', '--auto-approve'], passThrough, {
        site: finishSite,
        config: finishConfig,
        schema: FINISH_SCHEMA,
        gated: SECRET_ID_DESTROY,
        changed: (_, now) => destroyedIn(now).length,
      });
      expect({
        run,
        exitCode: result.exitCode,
        noticed,
        lockLostNamed: result.stderr.includes("rotate --finish stopped: it lost the site's lock"),
        writesAfterTheLoss: gate.arrivedAfterLetGo,
      }).toEqual({ run, exitCode: 1, noticed: true, lockLostNamed: true, writesAfterTheLoss: 0 });
      const now = await accessorsByController(finishConfig);
      const finished = destroyedIn(now);
      // The old ones destroyed are those let through and those in flight; every new one is live.
      expect(finished.length).toBe(passThrough + heldAtLetGo);
      expect(finished.length).toBeLessThan(CONTROLLERS);
      for (const name of names) expect([name, now.get(name)!.has(newOf.get(name)!)]).toEqual([name, true]);
      const pending = names.filter((name) => !finished.includes(name));
      for (const name of pending) expect([name, now.get(name)!.size]).toEqual([name, 2]);
      expect(result.stderr).toContain(`Finished (older secret IDs destroyed): ${finished.join(', ')}. Not finished, still pending: ${pending.join(', ')}.`);
      // The rest stays pending in the record: the command it names finishes exactly them.
      expect(await fenceState(FINISH_SCHEMA)).toBeNull();
      const again = await finishSite.cli([...rerunArgs(result.stderr, 'rotate --finish'), '--auto-approve', '--json'], server.rootToken, pgEnv());
      expect([again.exitCode, again.stderr]).toEqual([0, expect.any(String)]);
      expect((JSON.parse(again.stdout).finished as Array<{ name: string }>).map(({ name }) => name)).toEqual(pending);
      expect(destroyedIn(await accessorsByController(finishConfig))).toEqual(names);
    },
    180_000,
  );
});

describe('credentials --revoke-previous loses the site lock in PostgreSQL while destroying', () => {
  it.each(OFFSETS.flatMap((passThrough) => Array.from({ length: RUNS_PER_OFFSET }, (_, run) => ({ passThrough, run }))))(
    'after $passThrough destroyed (run $run): destroys nothing more, every new credential delivered, names the rest, exit 1',
    async ({ passThrough, run }) => {
      const oldGone = (before: Map<string, Set<string>>, now: Map<string, Set<string>>) =>
        names.filter((name) => ![...before.get(name)!].some((accessor) => now.get(name)!.has(accessor)));
      const { result, before, fresh, noticed, heldAtLetGo } = await race('credentials', ['credentials', '--revoke-previous', '--auto-approve'], passThrough, {
        site: previousSite,
        config: previousConfig,
        schema: 'maas_vault_lockprev',
        gated: SECRET_ID_DESTROY,
        changed: (was, now) => oldGone(was, now).length,
      });
      expect({
        run,
        exitCode: result.exitCode,
        noticed,
        lockLostNamed: result.stderr.includes("credentials stopped: it lost the site's lock"),
        writesAfterTheLoss: gate.arrivedAfterLetGo,
      }).toEqual({ run, exitCode: 1, noticed: true, lockLostNamed: true, writesAfterTheLoss: 0 });
      // Every controller was issued its new secret ID before the destroys began: all delivered, all live.
      const delivered = JSON.parse(result.stdout).controllers as Array<{ name: string; secretIdAccessor: string }>;
      expect(delivered.map(({ name }) => name)).toEqual(names);
      for (const { name, secretIdAccessor } of delivered) expect([name, fresh.get(name)]).toEqual([name, [secretIdAccessor]]);
      const done = oldGone(before, await accessorsByController(previousConfig));
      expect(done.length).toBe(passThrough + heldAtLetGo);
      expect(done.length).toBeLessThan(CONTROLLERS);
      const notDone = names.filter((name) => !done.includes(name));
      expect(result.stderr).toContain(
        `Older secret IDs destroyed (${done.length}) for: ${done.join(', ')}. Not destroyed, still live, for: ${notDone.join(', ')}.`,
      );
      // The command it names cuts the rest off: afterwards each controller has exactly one secret ID.
      expect(await fenceState('maas_vault_lockprev')).toBeNull();
      const again = await previousSite.cli([...rerunArgs(result.stderr, 'credentials'), '--auto-approve', '--json'], server.rootToken, pgEnv());
      expect([again.exitCode, again.stderr]).toEqual([0, expect.any(String)]);
      const after = await accessorsByController(previousConfig);
      expect(names.filter((name) => after.get(name)!.size !== 1)).toEqual([]);
    },
    180_000,
  );
});
