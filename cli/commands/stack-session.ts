/** The shared start of plan, apply, destroy and output: config, Vault checks, synthesized stack, engine. */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openContext, ensureVaultReady, vaultClient, vaultToken, type CommandContext, type GlobalArgs } from '../context.js';
import type { Engine } from '../../engine/engine.js';
import type { VaultClient } from '../../vault/client.js';
import { explainEngineFailure } from './engine-failure.js';
import { explainMissingProvider } from './provider-missing.js';
import { describeInterruption, type StackAction } from './interrupted.js';
import { interrupts, SIGNAL_EXIT_CODES, type EngineInterruptedError } from '../../engine/interrupts.js';
import { lockWaitSeconds } from '../../engine/lock.js';
import { lockStackSite, settleLostLock } from '../site-lock.js';
import { initNoiseFilter } from '../../engine/init-noise.js';
import { resourceIds, restoreBrokenState, stateResources, stateTextResources, type StateResource } from '../../engine/state.js';
import { emptyFootprint, importedFootprint, mergeFootprints, resourcesFootprint, stackFootprint, unfinishedFootprint } from '../../engine/footprint.js';
import { preflight } from '../../vault/preflight.js';
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
import { compareSiteRecord, readSiteRecord, removeSiteRecord, writeSiteRecord } from '../../engine/site-record.js';
import { rotationManagedControllers } from '../../vault/rotation-record.js';

export interface StackSession extends CommandContext {
  engine: Engine;
  statePath: string;
  client?: VaultClient;
  /** Runs one engine command as a step; a signal or a failure becomes the CLI's explained error. */
  engineStep<T>(label: string, run: () => Promise<T>): Promise<T>;
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
  /** After a successful apply: the work directory records this site and the Vault cluster it was applied to. */
  recordSite(): void;
  /** After a complete destroy: the work directory belongs to no one. */
  forgetSite(): void;
}

/** `action` names the command for messages and the lock record; commands that only read pass 'output'. */
export async function openStackSession(
  argv: GlobalArgs & { engine?: string; lockTimeout?: string },
  needsVault: boolean,
  action: StackAction = 'output',
): Promise<StackSession> {
  const context = openContext(argv);
  const { config, report } = context;
  const lockSeconds = argv.lockTimeout === undefined ? lockWaitSeconds() : lockTimeoutSeconds(argv.lockTimeout);
  if (config.state.backend === 'pg') requirePgConnection(process.env);
  interrupts.install((signal) => {
    process.stderr.write(`maas-vault: ${action} interrupted by ${signal} while no engine was running: nothing was being changed in Vault. Run \`maas-vault ${action}\` again when ready.\n`);
    process.exit(SIGNAL_EXIT_CODES[signal]);
  });
  const release = action === 'output' ? () => undefined : await lockStackSite(config, action, lockSeconds, report);
  let client: VaultClient | undefined;
  let token: string | undefined;
  if (needsVault) {
    token = vaultToken('manage auth methods, mounts, policies and AppRole roles (`maas-vault policy admin` prints such a policy)');
    client = vaultClient(config, token);
  }
  // Exit 2 promises that nothing was sent to Vault: the engine is found (a usage error when it is
  // missing) before the first request. Its version probe is a child process, so the stack is
  // synthesized meanwhile, and Vault checked as soon as the engine is known.
  const { engineCandidate, locateEngine } = await import('../../engine/locate.js');
  const located = locateEngine(argv.engine ?? process.env.MAAS_VAULT_ENGINE, argv.engine ? '--engine' : 'MAAS_VAULT_ENGINE', join(config.workDir, 'engine.json'));
  located.catch(() => undefined);
  const pg = config.state.backend === 'pg';
  // A remote or encrypted state is read through the engine (a wrong passphrase explained as such);
  // a local one straight from its file.
  const throughEngine = pg || config.state.encryption !== undefined;
  const marker = join(config.workDir, 'interrupted');
  // The Vault check and the synth are independent: run them together, fail on either. An
  // adoption synthesizes import blocks for what Vault holds and the state does not, so with a
  // plain local state it reads both first; a state read through the engine is read after init (below).
  const ready = located.then(() => (client ? report.step(`checking Vault at ${config.vault.address}`, () => ensureVaultReady(client!)) : undefined));
  ready.catch(() => undefined);
  const adopting = client !== undefined && (action === 'plan' || action === 'apply') && isAdopting(config);
  let adoption: AdoptionPlan | undefined;
  const readAdoption = (resources: StateResource[]) =>
    report.step('reading the set-up to adopt', () =>
      planAdoption(client!, config, resourceIds(resources), mergeFootprints(resourcesFootprint(resources), unfinishedFootprint(marker))),
    );
  if (adopting && !throughEngine) {
    const { statePath: localState } = workLayout(config);
    const restored = restoreBrokenState(localState);
    if (restored) report.warn(restored);
    try {
      adoption = await ready.then(() => readAdoption(stateResources(localState)));
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
      engine: located,
      engineCommand: engineCandidate(argv.engine ?? process.env.MAAS_VAULT_ENGINE),
      token,
      lockTimeout: argv.lockTimeout,
      imports: adoption?.imports,
      onOutput: streamUntilError(report),
      onNotice: (text) => report.warn(text),
    });
  });
  // A session that cannot open must not leave Vault's connection pool keeping the process alive.
  try {
    const [, { engine, statePath, jsonPath, stackDir }] = await Promise.all([ready, prepared]);
    // Whose state this is, before the engine first runs on it (engine/site-record.ts).
    const clusterId = client ? (await client.serverProfile())?.clusterId : undefined;
    if (client) checkSiteRecord(config, clusterId, report);
    let routed: string | undefined;
    if (client && action !== 'output') {
      const route = await engineRoute(client, config.vault.caCert, config.vault.clientCert);
      if (route.address !== client.address) engine.routeProvider((routed = route.address));
      if (route.note) report.note(route.note);
    }
    if (!pg) {
      const restored = restoreBrokenState(statePath);
      if (restored) report.warn(restored);
    }
    const engineStep = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
      try {
        return await report.step(label, run);
      } catch (error) {
        if ((error as Error | undefined)?.name === 'EngineInterruptedError') {
          const interrupted = error as EngineInterruptedError;
          // A lost site lock: the next run stays fenced off until the stopped engine's state is saved.
          const saved = interrupted.lockLost ? await settleLostLock(() => recoverErroredState(engine, stackDir), erroredStatePath(stackDir)) : undefined;
          throw describeInterruption(interrupted, action, statePath, saved);
        }
        const unsaved = (error as Error | undefined)?.name === 'EngineError' ? erroredStateAdvice((error as { output?: string }).output ?? '', stackDir, action) : undefined;
        if (unsaved) throw new ErroredStateError(unsaved);
        throw await explainEngineFailure(await explainLostActiveNode(await explainStateLock(error, config, engine.lockTimeout), client, routed, action), client, action);
      }
    };
    await engineStep(`${engine.binary.kind} init`, () =>
      initEngine(engine, pg).catch(async (error: unknown) => {
        throw await explainMissingProvider(error);
      }),
    );
    // Before anything reads or plans on the state: an earlier run's unsaved state goes back first.
    if (existsSync(erroredStatePath(stackDir))) {
      if (action === 'apply' || action === 'destroy') {
        const recovered = await engineStep('pushing back the state an earlier run could not save', () => recoverErroredState(engine, stackDir));
        if (recovered) report.warn(recovered);
      } else {
        report.warn(`${erroredStatePath(stackDir)} holds the state an earlier run could not save: this ${action} does not see what that run created; \`maas-vault apply\` pushes it back first`);
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
        await engineStep(`${engine.binary.kind} init`, () =>
          initEngine(engine, pg).catch(async (error: unknown) => {
            throw await explainMissingProvider(error);
          }),
        );
      }
    }
    const creates = stackFootprint(jsonPath);
    if (client && (action === 'plan' || action === 'apply')) {
      const owned = resourcesFootprint(await siteResources());
      await report.step('pre-flight checks', () =>
        preflight(client!, {
          creates,
          // What an unfinished run of this work directory set out to create is this site's too: a run
          // cut off by Vault going away may have created roles whose answers never reached the state.
          // What the stack imports (an adoption's import blocks) is expected to exist: not a conflict.
          owned: mergeFootprints(owned, unfinishedFootprint(marker), importedFootprint(jsonPath)),
          adoptedKv: config.kv.adopt ? config.kv.mount : undefined,
          adoptedApprole: config.approle.adopt ? config.approle.mount : undefined,
          approleMount: config.approle.mount,
        }),
      );
    }
    return {
      ...context,
      engine,
      statePath,
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
      recordSite: () => {
        if (clusterId) writeSiteRecord(config.workDir, { site: config.site, vault: { address: config.vault.address, clusterId } });
      },
      forgetSite: () => removeSiteRecord(config.workDir),
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
function checkSiteRecord(config: CommandContext['config'], clusterId: string | undefined, report: Reporter): void {
  const check = compareSiteRecord(readSiteRecord(config.workDir), { site: config.site, address: config.vault.address, clusterId });
  const where = config.vault.addressFromEnv ? 'VAULT_ADDR' : 'vault.address';
  if (check.kind === 'other-site') {
    throw new UsageError(
      `the work directory ${config.workDir} holds the state of site ${check.recorded.site} (applied to ${check.recorded.vault.address}), and this config is site ${config.site}: ` +
        `its plan would rewrite or delete site ${check.recorded.site}'s mount, policy and roles. Give each site its own workDir (and state.schema with the pg backend). Nothing was changed.`,
    );
  }
  if (check.kind === 'other-cluster') {
    throw new UsageError(
      `the state in ${config.workDir} belongs to site ${config.site} on the Vault cluster ${check.recorded.vault.clusterId} (applied at ${check.recorded.vault.address}), but ${where} ${config.vault.address} ` +
        `reaches another cluster, ${clusterId}: its plan would act on that Vault's objects of the same names. Point ${where} back at ${check.recorded.vault.address}'s cluster ` +
        '(or, to set this site up on the new Vault, give it its own workDir). Nothing was changed.',
    );
  }
  if (check.kind === 'moved' && clusterId) {
    report.note(`Vault's address for site ${config.site} moved from ${check.from} to ${config.vault.address} (same cluster, ${clusterId}): recorded`);
    writeSiteRecord(config.workDir, { site: config.site, vault: { address: config.vault.address, clusterId } });
  }
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
    if (/^(\s*\|\s*)?(│\s*)?Error:/.test(line)) failed = true;
    if (!failed && shown(line)) report.engineLine(line);
  };
}
