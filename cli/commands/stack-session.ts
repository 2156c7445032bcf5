/**
 * The one engine session: every command that runs the engine (plan, apply, destroy, output,
 * status of an encrypted state, rotate --finish, encrypt-state, dev) opens it here. In order: the
 * context, the pg connection, the interrupt handler, the work directory's lock, the Vault client,
 * the engine (located once, its version probe cached in the work directory), the synthesized
 * stack, Vault's readiness, the site record, the engine's route, a broken state restored, init, an
 * errored state pushed back, the adoption read, pre-flight. What differs per command is the action
 * (SESSION_DEFAULTS) and the options a command passes; nothing else opens an engine. The plan
 * guard hooks onto the session: plan, apply and destroy plan only through guarded-run.ts.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openContext, ensureVaultReady, vaultClient, vaultToken, type CommandContext, type GlobalArgs } from '../context.js';
import type { Engine } from '../../engine/engine.js';
import type { EngineBinary } from '../../engine/locate.js';
import type { VaultClient } from '../../vault/client.js';
import { explainEngineFailure } from './engine-failure.js';
import { explainMissingProvider } from './provider-missing.js';
import { describeInterruption, idleInterruption, type StackAction } from './interrupted.js';
import { interrupts, isEngineInterrupted, SIGNAL_EXIT_CODES } from '../../engine/interrupts.js';
import { engineOutput } from '../../engine/errors.js';
import { lockWaitSeconds } from '../../engine/lock.js';
import { lockStackSite, settleLostLock } from '../site-lock.js';
import { initNoiseFilter } from '../../engine/init-noise.js';
import { stripAnsi } from '../../engine/scrub.js';
import { resourceIds, restoreBrokenState, stateResources, stateTextResources, type StateResource } from '../../engine/state.js';
import { emptyFootprint, importedFootprint, mergeFootprints, resourcesFootprint, stackFootprint, unfinishedFootprint } from '../../engine/footprint.js';
import { ownPolicyNames, preflight } from '../../vault/preflight.js';
import { requireCurrentAdminPolicy } from './admin-policy-gate.js';
import { engineRoute, explainLostActiveNode } from '../../vault/active-node.js';
import { erroredStateAdvice, erroredStatePath, ErroredStateError, recoverErroredState } from '../../engine/errored-state.js';
import { hasImports, isAdopting, planAdoption, type AdoptionPlan } from '../../vault/adoption.js';
import { workLayout } from '../../stacks/work-layout.js';
import { synthOnce } from '../../stacks/synth-once.js';
import { isConcurrentCreation, requirePgConnection } from '../../engine/pg-connection.js';
import { explainStateLock } from './state-lock.js';
import { lockTimeoutSeconds } from './engine-args.js';
import type { Reporter } from '../reporter.js';
import { UsageError } from '../exit-codes.js';
import { compareSiteRecord, removeSiteRecord, writeSiteRecord } from '../../engine/site-record.js';
import { refuseForeignSiteRecord } from './site-record-gate.js';
import { rotationManagedControllers } from '../../vault/rotation-record.js';
import { stateSchemaName } from '../../stacks/state-schema.js';

export type { StackAction } from './interrupted.js';

/** What a session does besides synth and the engine; each action's defaults are in SESSION_DEFAULTS. */
export interface SessionSteps {
  /** Take the work directory's lock: every action that may write the state or Vault. */
  lock: boolean;
  /** Pre-flight checks of what the stack creates against what Vault holds (with a Vault client only). */
  preflight: boolean;
  /** Read a hand-made set-up to adopt and synthesize its import blocks (with a Vault client only). */
  adopt: boolean;
  /** Run the engine's init: encrypt-state runs its own, through the migration fallback. */
  init: boolean;
  /** Push back an errored state an earlier run could not save (otherwise only warn about it). */
  pushBackErroredState: boolean;
  /** Show the engine's lines as they come: dev shows results, not the engine's plan (`maas-vault apply` streams that). */
  streamEngine: boolean;
}

/**
 * Per action. `dev` takes the lock but skips pre-flight and adoption: its work directory is a
 * fresh temporary one, yet printed before the apply (and kept by --keep), so another maas-vault
 * run could meet it, and the lock costs one file; pre-flight and adoption protect objects that
 * others own on a shared Vault, and a dev server started seconds ago holds none (an adopted mount
 * it lacks must fail the apply, as it always has).
 */
export const SESSION_DEFAULTS: Record<StackAction, SessionSteps> = {
  plan: { lock: true, preflight: true, adopt: true, init: true, pushBackErroredState: false, streamEngine: true },
  apply: { lock: true, preflight: true, adopt: true, init: true, pushBackErroredState: true, streamEngine: true },
  destroy: { lock: true, preflight: false, adopt: false, init: true, pushBackErroredState: true, streamEngine: true },
  output: { lock: false, preflight: false, adopt: false, init: true, pushBackErroredState: false, streamEngine: true },
  'encrypt-state': { lock: true, preflight: false, adopt: false, init: false, pushBackErroredState: false, streamEngine: true },
  dev: { lock: true, preflight: false, adopt: false, init: true, pushBackErroredState: false, streamEngine: false },
};

export interface SessionOptions extends Partial<SessionSteps> {
  /** The context, when the command built its own (dev: its throwaway config); else from argv. */
  context?: CommandContext;
  /** The provider's token, when the command has its own (dev: the dev server's root token); else VAULT_TOKEN. */
  token?: string;
  /** The engine already located (encrypt-state checks it before the lock), or the command to locate (dev: the toolchain's). */
  engine?: EngineBinary | string;
  /** The environment the stack is prepared in (dev: the provider mirror only); else this process's. */
  env?: NodeJS.ProcessEnv;
}

type SessionArgs = GlobalArgs & { engine?: string; lockTimeout?: string };

export interface StackSession extends CommandContext {
  engine: Engine;
  statePath: string;
  /** The synthesized stack (cdk.tf.json). */
  jsonPath: string;
  client?: VaultClient;
  /** Runs one engine command as a step; a signal or a failure becomes the CLI's explained error. */
  engineStep: <T>(label: string, run: () => Promise<T>) => Promise<T>;
  /** True when an earlier apply or destroy of this work directory did not finish (interrupted, killed, failed). */
  readonly wasInterrupted: boolean;
  /** Records that a change is under way: if it never finishes, the next apply knows. */
  markUnfinished(): void;
  /** Forgets an earlier interruption once a run has converged. */
  clearInterrupted(): void;
  /** Releases the work directory's lock (also released when the process ends). */
  release(): void;
  /** The managed resources the site's state holds now (local file, or pulled from a remote backend). */
  stateResources(): Promise<StateResource[]>;
  /** plan and apply on a site that adopts a hand-made set-up: what is imported and what changes. */
  adoption?: AdoptionPlan;
  /** After a successful apply: the work directory (and a pg schema) records this site and the Vault cluster it was applied to. */
  recordSite(): Promise<void>;
  /** After a complete destroy: the work directory (and a pg schema) belongs to no one. */
  forgetSite(): Promise<void>;
}

/** The session up to the lock: what a command may check under the lock before the stack is synthesized (encrypt-state). */
export interface LockedSession extends CommandContext {
  statePath: string;
  client?: VaultClient;
  /** Releases the work directory's lock (also released when the process ends). */
  release(): void;
  /** A local state file an interrupted run cut off is replaced by its verified copy (said as a warning). */
  restoreLocalState(): void;
  /** The rest of the session: synth, Vault's readiness, init and the state checks. */
  openStack(): Promise<StackSession>;
}

/**
 * `action` names the command for messages and the lock record (and sets its SESSION_DEFAULTS);
 * commands that only read pass 'output'.
 */
export async function openStackSession(
  argv: SessionArgs,
  needsVault: boolean,
  action: StackAction = 'output',
  options: SessionOptions = {},
): Promise<StackSession> {
  return (await lockStackSession(argv, needsVault, action, options)).openStack();
}

/**
 * The engine this site's commands run: --engine, else MAAS_VAULT_ENGINE, else tofu then terraform
 * on PATH; its version probe cached in the work directory.
 */
export async function locateSiteEngine(
  argv: { engine?: string },
  config: CommandContext['config'],
  requested: string | undefined = argv.engine,
): Promise<EngineBinary> {
  if (config.state.backend === 'pg') requirePgConnection(process.env);
  const { locateEngine } = await import('../../engine/locate.js');
  return locateEngine(requested ?? process.env.MAAS_VAULT_ENGINE, requested ? '--engine' : 'MAAS_VAULT_ENGINE', join(config.workDir, 'engine.json'));
}

export async function lockStackSession(
  argv: SessionArgs,
  needsVault: boolean,
  action: StackAction = 'output',
  options: SessionOptions = {},
): Promise<LockedSession> {
  const steps: SessionSteps = { ...SESSION_DEFAULTS[action], ...definedSteps(options) };
  const context = options.context ?? openContext(argv);
  const { config, report } = context;
  const lockSeconds = argv.lockTimeout === undefined ? lockWaitSeconds() : lockTimeoutSeconds(argv.lockTimeout);
  if (config.state.backend === 'pg') requirePgConnection(process.env);
  interrupts.install((signal) => {
    process.stderr.write(`maas-vault: ${idleInterruption(action, signal)}\n`);
    process.exit(SIGNAL_EXIT_CODES[signal]);
  });
  const release = steps.lock ? await lockStackSite(config, action, lockSeconds, report) : () => undefined;
  let client: VaultClient | undefined;
  let token: string | undefined = options.token;
  if (needsVault) {
    token ??= vaultToken('manage auth methods, mounts, policies and AppRole roles (`maas-vault policy admin` prints such a policy)');
    client = vaultClient(config, token);
  }
  const { statePath } = workLayout(config);
  const pg = config.state.backend === 'pg';
  const restoreLocalState = () => {
    if (pg) return;
    const restored = restoreBrokenState(statePath);
    if (restored) report.warn(restored);
  };
  return {
    ...context,
    statePath,
    client,
    release,
    restoreLocalState,
    openStack: () => openStack({ argv, context, steps, action, client, token, release, restoreLocalState, options }),
  };
}

function definedSteps(options: SessionOptions): Partial<SessionSteps> {
  const steps: Partial<SessionSteps> = {};
  for (const key of Object.keys(SESSION_DEFAULTS.plan) as (keyof SessionSteps)[]) if (options[key] !== undefined) steps[key] = options[key];
  return steps;
}

interface Opening {
  argv: SessionArgs;
  context: CommandContext;
  steps: SessionSteps;
  action: StackAction;
  client?: VaultClient;
  token?: string;
  release: () => void;
  restoreLocalState: () => void;
  options: SessionOptions;
}

async function openStack({ argv, context, steps, action, client, token, release, restoreLocalState, options }: Opening): Promise<StackSession> {
  const { config, report } = context;
  // Exit 2 promises that nothing was sent to Vault: the engine is found (a usage error when it is
  // missing) before the first request. Its version probe is a child process, so the stack is
  // synthesized meanwhile, and Vault checked as soon as the engine is known.
  const { engineCandidate, removedBlockProblem } = await import('../../engine/locate.js');
  const requested = typeof options.engine === 'string' ? options.engine : argv.engine;
  const located = typeof options.engine === 'object' ? Promise.resolve(options.engine) : locateSiteEngine(argv, config, requested);
  located.catch(() => undefined);
  const pg = config.state.backend === 'pg';
  // A remote or encrypted state is read through the engine (a wrong passphrase explained as such);
  // a local one straight from its file.
  const throughEngine = pg || config.state.encryption !== undefined;
  const marker = join(config.workDir, 'interrupted');
  // The Vault check and the synth are independent: run them together, fail on either. An
  // adoption synthesizes import blocks for what Vault holds and the state does not, so with a
  // plain local state it reads both first; a state read through the engine is read after init (below).
  const ready = located.then(() => (client ? report.step(`checking Vault at ${config.vault.address}`, () => ensureVaultReady(client)) : undefined));
  ready.catch(() => undefined);
  const adopting = client !== undefined && steps.adopt && isAdopting(config);
  let adoption: AdoptionPlan | undefined;
  const readAdoption = (resources: StateResource[]) =>
    report.step('reading the set-up to adopt', () =>
      planAdoption(client!, config, resourceIds(resources), mergeFootprints(resourcesFootprint(resources), unfinishedFootprint(marker))),
    );
  if (adopting && !throughEngine) {
    restoreLocalState();
    try {
      adoption = await ready.then(() => readAdoption(stateResources(workLayout(config).statePath)));
    } catch (error) {
      await client?.close();
      throw error;
    }
  }
  // Read under the lock, so a `rotate --finish` is seen whole or not at all.
  let rotated: Promise<ReadonlySet<string>> | undefined;
  const rotationManaged = () => (rotated ??= rotationManagedControllers(config));
  const prepared = report.step('synthesizing the stack', async () => {
    const { prepareStack } = await import('../../engine/stack-runner.js');
    return prepareStack({
      config,
      rotated: await rotationManaged(),
      engine: typeof options.engine === 'object' ? options.engine : located,
      engineCommand: engineCandidate(requested ?? process.env.MAAS_VAULT_ENGINE),
      token,
      lockTimeout: argv.lockTimeout,
      imports: adoption?.imports,
      onOutput: steps.streamEngine ? streamUntilError(report) : undefined,
      colour: report.engineColour,
      onNotice: (text) => report.warn(text),
      env: options.env,
    });
  });
  // A session that cannot open must not leave Vault's connection pool keeping the process alive.
  try {
    const [, { engine, statePath, jsonPath, stackDir }] = await Promise.all([ready, prepared]);
    refuseEngineWithoutRemoved(removedBlockProblem(engine.binary), jsonPath, config);
    // Before the engine first runs: a stale admin policy would stop it partway (cli/commands/admin-policy-gate.ts).
    if (client && (action === 'plan' || action === 'apply')) await requireCurrentAdminPolicy(client, config, action, report);
    // Whose state this is, before the engine first runs on it (engine/site-record.ts).
    const clusterId = client ? (await client.serverProfile())?.clusterId : undefined;
    const movedSaid = client ? checkSiteRecord(config, clusterId, report) : false;
    if (client && pg) await checkPgSiteRecord(config, clusterId, report, movedSaid);
    let routed: string | undefined;
    if (client && action !== 'output') {
      const route = await engineRoute(client, config.vault.caCert, config.vault.clientCert);
      if (route.address !== client.address) engine.routeProvider((routed = route.address));
      if (route.note) report.note(route.note);
    }
    restoreLocalState();
    const engineStep = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
      try {
        return await report.step(label, run);
      } catch (error) {
        if (isEngineInterrupted(error)) {
          // A lost site lock: the next run stays fenced off until the stopped engine's state is saved.
          const saved = error.lockLost ? await settleLostLock(() => recoverErroredState(engine, stackDir), erroredStatePath(stackDir)) : undefined;
          throw describeInterruption(error, action, statePath, saved);
        }
        // encrypt-state changes nothing in Vault: its unsaved push is said by the migration itself.
        const output = action === 'encrypt-state' ? undefined : engineOutput(error);
        const unsaved = output === undefined ? undefined : erroredStateAdvice(output, stackDir, action);
        if (unsaved) throw new ErroredStateError(unsaved);
        throw await explainEngineFailure(
          await explainLostActiveNode(await explainStateLock(error, config, engine.lockTimeout), client, routed, action),
          client,
          action,
          config.site,
        );
      }
    };
    const init = () =>
      engineStep(`${engine.binary.kind} init`, () =>
        initEngine(engine, pg).catch(async (error: unknown) => {
          throw await explainMissingProvider(error);
        }),
      );
    if (steps.init) await init();
    // Before anything reads or plans on the state: an earlier run's unsaved state goes back first.
    if (existsSync(erroredStatePath(stackDir))) {
      if (steps.pushBackErroredState) {
        const recovered = await engineStep('pushing back the state an earlier run could not save', () => recoverErroredState(engine, stackDir));
        if (recovered) report.warn(recovered);
      } else {
        report.warn(
          `${erroredStatePath(stackDir)} holds the state an earlier run could not save: this ${action} does not see what that run created; \`maas-vault apply\` pushes it back first`,
        );
      }
    }
    const siteResources = async (): Promise<StateResource[]> =>
      throughEngine ? stateTextResources(await engineStep(`${engine.binary.kind} state pull`, () => engine.pullState())) : stateResources(statePath);
    if (adopting && throughEngine) {
      adoption = await readAdoption(await siteResources());
      if (hasImports(adoption.imports)) {
        const imports = adoption.imports;
        // Same stack directory and backend, only the import blocks are added; init again all the same.
        await report.step('synthesizing the stack with its imports', async () => synthOnce(config, undefined, imports, await rotationManaged()));
        await init();
      }
    }
    const creates = stackFootprint(jsonPath);
    if (client && steps.preflight) {
      const owned = resourcesFootprint(await siteResources());
      await report.step('pre-flight checks', () =>
        preflight(client, {
          creates,
          // What an unfinished run of this work directory set out to create is this site's too: a run
          // cut off by Vault going away may have created roles whose answers never reached the state.
          // What the stack imports (an adoption's import blocks) is expected to exist: not a conflict.
          owned: mergeFootprints(owned, unfinishedFootprint(marker), importedFootprint(jsonPath)),
          adoptedKv: config.kv.adopt ? config.kv.mount : undefined,
          adoptedApprole: config.approle.adopt ? config.approle.mount : undefined,
          approleMount: config.approle.mount,
          secrets: { mount: config.kv.mount, path: config.secretsPath, ownPolicies: ownPolicyNames(config, creates, owned) },
        }),
      );
    }
    return {
      ...context,
      engine,
      statePath,
      jsonPath,
      client,
      engineStep,
      wasInterrupted: existsSync(marker),
      markUnfinished: () => {
        // An earlier unfinished run's footprint is kept until a run converges: it may still be in Vault.
        const pending = mergeFootprints(unfinishedFootprint(marker), action === 'apply' ? creates : emptyFootprint());
        writeFileSync(marker, `${JSON.stringify({ at: new Date().toISOString(), action, creates: pending })}\n`, { mode: 0o600 });
      },
      clearInterrupted: () => rmSync(marker, { force: true }),
      release,
      stateResources: siteResources,
      adoption,
      recordSite: async () => {
        if (!clusterId) return;
        const record = { site: config.site, vault: { address: config.vault.address, clusterId } };
        writeSiteRecord(config.workDir, record);
        if (pg) await pgSiteRecordStep(report, 'recording', config, (schema, pgState) => pgState.writePgSiteRecord(schema, record));
      },
      forgetSite: async () => {
        removeSiteRecord(config.workDir);
        if (pg) await pgSiteRecordStep(report, 'removing', config, (schema, pgState) => pgState.removePgSiteRecord(schema));
      },
    };
  } catch (error) {
    await client?.close();
    throw error;
  }
}

/**
 * Refuses (exit 2, before the engine runs) a state of another site or another Vault cluster; a
 * moved address of the same cluster is accepted, recorded and said once.
 */
function checkSiteRecord(config: CommandContext['config'], clusterId: string | undefined, report: Reporter): boolean {
  const check = refuseForeignSiteRecord(config, clusterId);
  if (check.kind === 'moved' && clusterId) {
    report.note(`Vault's address for site ${config.site} moved from ${check.from} to ${config.vault.address} (same cluster, ${clusterId}): recorded`);
    writeSiteRecord(config.workDir, { site: config.site, vault: { address: config.vault.address, clusterId } });
    return true;
  }
  return false;
}

/**
 * The same check for a state shared in PostgreSQL: another site's config on this `state.schema`
 * (from any work directory or machine) is refused before the engine runs. A database that does not
 * answer is not judged here: the engine's own connection fails next, and is explained.
 */
async function checkPgSiteRecord(config: CommandContext['config'], clusterId: string | undefined, report: Reporter, movedSaid: boolean): Promise<void> {
  const schema = stateSchemaName(config);
  const pgState = await import('../../engine/pg-state.js');
  const recorded = await pgState.readPgSiteRecord(schema).catch(() => undefined);
  const check = compareSiteRecord(recorded, { site: config.site, address: config.vault.address, clusterId });
  const where = config.vault.addressFromEnv ? 'VAULT_ADDR' : 'vault.address';
  if (check.kind === 'other-site') {
    throw new UsageError(
      `the PostgreSQL schema ${schema} (state.schema) holds the state of site ${check.recorded.site} (applied to ` +
        `${check.recorded.vault.address}), and this config is site ${config.site}: ` +
        `its plan would rewrite or delete site ${check.recorded.site}'s mount, policy and roles. Give each site its own ` +
        `state.schema (or leave it unset: maas_vault_<site>). Nothing was changed.`,
    );
  }
  if (check.kind === 'other-cluster') {
    throw new UsageError(
      `the state in the PostgreSQL schema ${schema} belongs to site ${config.site} on the Vault cluster ` +
        `${check.recorded.vault.clusterId} (applied at ${check.recorded.vault.address}), ` +
        `but ${where} ${config.vault.address} reaches another cluster, ${clusterId}: its plan would act on that Vault's objects of the same names. ` +
        `Point ${where} back at ${check.recorded.vault.address}'s cluster (or give the site on the new Vault its own state.schema). Nothing was changed.`,
    );
  }
  if (check.kind === 'moved' && clusterId) {
    if (!movedSaid)
      report.note(`Vault's address for site ${config.site} moved from ${check.from} to ${config.vault.address} ` + `(same cluster, ${clusterId}): recorded`);
    const record = { site: config.site, vault: { address: config.vault.address, clusterId } };
    await pgSiteRecordStep(report, 'recording', config, (name) => pgState.writePgSiteRecord(name, record));
  }
}

/** Vault already changed when this runs: a database that fails here is said, not made the command's failure. */
async function pgSiteRecordStep(
  report: Reporter,
  verb: string,
  config: CommandContext['config'],
  run: (schema: string, pgState: typeof import('../../engine/pg-state.js')) => Promise<void>,
): Promise<void> {
  const schema = stateSchemaName(config);
  try {
    await run(schema, await import('../../engine/pg-state.js'));
  } catch (error) {
    report.warn(
      `${verb} site ${config.site} in the PostgreSQL schema ${schema} (maas_vault_site) failed: ` +
        `${(error as Error).message}. The next apply records it again.`,
    );
  }
}

/**
 * An adopt flag makes the stack forget what this site may have created with a `removed` block
 * (stacks/removed-block.ts): an engine too old for it is refused before it plans, rather than left
 * to fail on the block.
 */
function refuseEngineWithoutRemoved(problem: string | undefined, jsonPath: string, config: CommandContext['config']): void {
  if (!problem) return;
  let removed: unknown[];
  try {
    removed = (JSON.parse(readFileSync(jsonPath, 'utf8')) as { removed?: unknown[] }).removed ?? [];
  } catch {
    return;
  }
  if (removed.length === 0) return;
  const flags = [config.kv.adopt ? 'kv.adopt' : '', config.approle.adopt ? 'approle.adopt' : ''].filter(Boolean).join(' and ');
  throw new UsageError(
    `${flags || 'an adopt flag'} is set, so the stack forgets what this site may have created instead of deleting it, and ${problem}: ` +
      `install Terraform 1.7+ or OpenTofu 1.10+ (or pass --engine / MAAS_VAULT_ENGINE pointing at one). Nothing was changed.`,
  );
}

/** init, run again (up to twice) when it lost a race creating the pg backend's tables to another first run. */
async function initEngine(engine: Engine, pg: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await engine.init(attempt > 0);
    } catch (error) {
      if (!pg || attempt >= 2 || !isConcurrentCreation(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 500));
    }
  }
}

/**
 * Engine lines as they come, up to its first error block: the error that ends the command
 * carries that block (or a shorter account of it), so it is shown once.
 */
function streamUntilError(report: Reporter): (line: string) => void {
  let failed = false;
  const shown = initNoiseFilter();
  return (line) => {
    // Matched as a reader sees it: on a terminal the engine's lines carry colour.
    const plain = stripAnsi(line);
    if (/^(\s*\|\s*)?(│\s*)?Error:/.test(plain)) failed = true;
    if (!failed && shown(plain)) report.engineLine(line);
  };
}
