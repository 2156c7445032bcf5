/**
 * Runs the engine on a synthesized stack. Output streams to the caller's sink (stderr in human
 * mode); the engine masks sensitive values, and outputs are read back only with `output -json`.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { EngineBinary } from './locate.js';
import { interrupts } from './interrupts.js';
import { keepGoodState, restoreBrokenState } from './state.js';
import { lockHeldError, lockWaitSeconds } from './lock.js';
import { parseQuietly } from './state.js';
import { LineSplitter, scrubEngineLine, stripAnsi } from './scrub.js';
import { releaseStateSpace, rescuePrintedState, reserveSize, reserveStateSpace, stateDumpIn, writeFailureCause } from './state-space.js';
import { PROVIDER_ADDRESS_VARIABLE } from '../stacks/provider-address-variable.js';
import { EngineError } from './errors.js';

export interface EngineOptions {
  binary: EngineBinary;
  /** Directory holding cdk.tf.json. */
  stackDir: string;
  /** Extra environment (TF_CLI_CONFIG_FILE for a provider mirror, VAULT_TOKEN, VAULT_ADDR...). */
  env?: Record<string, string | undefined>;
  /** Receives the engine's output lines as they come. */
  onOutput?: (line: string) => void;
  /** The state file: checked before each run (restored when broken) and verified after it. */
  statePath?: string;
  /** Receives what maas-vault did to the state, for the user. */
  onNotice?: (text: string) => void;
  /** How long plan, apply and destroy wait for the state lock (engine syntax, e.g. `5s`; default MAAS_VAULT_LOCK_WAIT). */
  lockTimeout?: string;
  /**
   * plan and apply print the engine's colour (no -no-color): stderr is a terminal and NO_COLOR is
   * unset. Lines are scrubbed and parsed as a reader sees them, colour stripped (engine/scrub.ts).
   */
  colour?: boolean;
  /** Takes over an init of this stack already under way (engine/early-init.ts): true when it stands for init. */
  earlyInit?: () => Promise<boolean>;
}

export { EngineError } from './errors.js';

export interface PlanResult {
  /** False when the engine reports "No changes". */
  changes: boolean;
}

export interface PlannedResource {
  address: string;
  /** The resource type (`vault_mount`...), for the guard's checks. */
  type: string;
  /** The engine's actions: ['no-op'], ['create'], ['update'], ['delete'], ['delete','create'] (a replace), ['forget']... */
  actions: string[];
  importing: boolean;
  /** Why the engine plans it so (`replace_because_tainted`, `delete_because_no_resource_config`...). */
  reason?: string;
  /**
   * The few identifying attributes before and after (path, name, role_name, backend, policy text):
   * never the whole objects, which hold secret IDs and wrapping tokens.
   */
  before: IdentifyingAttributes;
  after: IdentifyingAttributes;
}

export interface IdentifyingAttributes {
  path?: string;
  name?: string;
  role_name?: string;
  backend?: string;
  policy?: string;
  type?: string;
  token_policies?: string[];
}

const IDENTIFYING = ['path', 'name', 'role_name', 'backend', 'policy', 'type', 'token_policies'] as const;

export interface SavedPlan extends PlanResult {
  /** The plan file `show -json` read: what a later applySaved applies, exactly. */
  planFile: string;
  /** sha256 of the plan file as read: applySaved refuses a file changed since. */
  digest: string;
  resources: PlannedResource[];
}

/** The saved plan file is not the one that was checked: nothing was applied. */
export class PlanFileChangedError extends Error {
  override name = 'PlanFileChangedError';
  readonly exitCode = 2;
  constructor(planFile: string) {
    super(
      `the plan file ${planFile} changed after it was checked and shown: nothing was applied. Run the command again to plan afresh (and find out what wrote to the work directory)`,
    );
  }
}

export type EngineOutputs = Record<string, { value: unknown; sensitive: boolean }>;

export class Engine {
  private earlyInit?: () => Promise<boolean>;

  constructor(private options: EngineOptions) {
    this.earlyInit = options.earlyInit;
  }

  /** The directory of the synthesized stack (where plan files are saved). */
  get stackDir(): string {
    return this.options.stackDir;
  }

  get binary(): EngineBinary {
    return this.options.binary;
  }

  /** The provider talks to this Vault address instead of the config's (a cluster's active node). */
  routeProvider(address: string): void {
    this.options.env = { ...this.options.env, [`TF_VAR_${PROVIDER_ADDRESS_VARIABLE}`]: address };
  }

  /** --lock-timeout, else MAAS_VAULT_LOCK_WAIT seconds (default 10). */
  get lockTimeout(): string {
    return this.options.lockTimeout ?? `${lockWaitSeconds()}s`;
  }

  /** `-no-color` unless plan and apply may colour (init, show and output never do: they are read, not shown). */
  private get noColor(): string[] {
    return this.options.colour ? [] : ['-no-color'];
  }

  private get lockTimeoutFlag(): string {
    return `-lock-timeout=${this.lockTimeout}`;
  }

  /** `init` once per work directory; later calls only re-run it when the lock file is missing. */
  async init(force = false): Promise<void> {
    const early = this.earlyInit;
    this.earlyInit = undefined;
    if (early && (await early()) && !force) return;
    if (!force && existsSync(join(this.options.stackDir, '.terraform.lock.hcl')) && existsSync(join(this.options.stackDir, '.terraform'))) return;
    await this.run(['init', '-input=false', '-no-color', this.lockTimeoutFlag]);
  }

  async plan(): Promise<PlanResult> {
    const result = await this.run(['plan', '-input=false', ...this.noColor, '-detailed-exitcode', this.lockTimeoutFlag], [0, 2]);
    return { changes: result.exitCode === 2 };
  }

  /**
   * A plan saved to `planFile` (0600: it may hold sensitive values), and what it would do to each
   * resource, from `show -json`; `destroy` plans the removal of everything in the state.
   */
  async savedPlan(planFile: string, { destroy = false }: { destroy?: boolean } = {}): Promise<SavedPlan> {
    rmSync(planFile, { force: true });
    // Created owner-only before the engine writes it (it truncates, keeping the mode), whatever the umask.
    closeSync(openSync(planFile, 'w', 0o600));
    const result = await this.run(
      ['plan', '-input=false', ...this.noColor, '-detailed-exitcode', this.lockTimeoutFlag, ...(destroy ? ['-destroy'] : []), `-out=${planFile}`],
      [0, 2],
    );
    chmodSync(planFile, 0o600);
    const digest = fileDigest(planFile);
    const shown = await this.run(['show', '-json', '-no-color', planFile], [0], { quiet: true });
    if (fileDigest(planFile) !== digest) throw new PlanFileChangedError(planFile);
    // The plan holds wrapping tokens: a parse error names the command, never the text.
    const json = parseQuietly<{
      resource_changes?: Array<{
        address: string;
        type: string;
        action_reason?: string;
        change: { actions: string[]; importing?: unknown; before?: unknown; after?: unknown };
      }>;
    }>(shown.stdout, (where) => new EngineError(`${this.binary.kind} show -json`, `its answer is not JSON (${where})`));
    const changes = (json.resource_changes ?? []).map((change) => ({
      address: change.address,
      type: change.type,
      actions: change.change.actions,
      importing: change.change.importing !== undefined && change.change.importing !== null,
      ...(change.action_reason ? { reason: change.action_reason } : {}),
      before: identifying(change.change.before),
      after: identifying(change.change.after),
    }));
    return { planFile, digest, changes: result.exitCode === 2, resources: changes };
  }

  /** Applies exactly the saved plan (the engine refuses it if the state moved since it was made). */
  async applySaved(plan: SavedPlan): Promise<void> {
    if (!existsSync(plan.planFile) || fileDigest(plan.planFile) !== plan.digest) throw new PlanFileChangedError(plan.planFile);
    await this.run(['apply', '-input=false', ...this.noColor, this.lockTimeoutFlag, plan.planFile], [0], { setsStateAside: true });
  }

  /**
   * Plans and applies in one engine run, unguarded: only for a dev server this process started
   * and throws away (`maas-vault dev`), never for a site's Vault.
   */
  async applyUnguarded(): Promise<void> {
    await this.run(['apply', '-input=false', ...this.noColor, '-auto-approve', this.lockTimeoutFlag]);
  }

  /**
   * Brings the state in line with Vault and the outputs in line with the stack, changing nothing in
   * Vault: after `rotate --finish` destroyed a secret ID the stack no longer declares.
   */
  async refreshOnly(): Promise<void> {
    await this.run(['apply', '-refresh-only', '-input=false', ...this.noColor, '-auto-approve', this.lockTimeoutFlag]);
  }

  /** Drops resources from the state without touching Vault (a shared mount that must stay). */
  async forget(addresses: string[]): Promise<void> {
    if (addresses.length === 0) return;
    await this.run(['state', 'rm', this.lockTimeoutFlag, ...addresses]);
  }

  /** The state as the backend holds it (a remote backend's too), as text; empty before the first apply. */
  async pullState(): Promise<string> {
    return (await this.run(['state', 'pull'], [0], { quiet: true })).stdout;
  }

  /**
   * Writes `text` as the site's state through the backend (and its encryption), on stdin: state
   * holds wrapping tokens, so it goes in no file and no argument. Refused by the engine when the
   * stored state moved on since `text` was pulled (no -force).
   */
  async pushState(text: string): Promise<void> {
    await this.run(['state', 'push', this.lockTimeoutFlag, '-'], [0], { input: text });
  }

  /** All outputs, sensitive ones included: callers decide what to print. */
  async outputs(): Promise<EngineOutputs> {
    const result = await this.run(['output', '-json', '-no-color'], [0], { quiet: true });
    // The outputs hold wrapping tokens: a parse error names the command, never the text.
    return parseQuietly<EngineOutputs>(
      result.stdout || '{}',
      (where) => new EngineError(`${this.binary.kind} output -json`, `its answer is not JSON (${where})`),
    );
  }

  /** `setsStateAside`: an apply of a local state keeps room for the state it writes (state-space.ts). */
  private async run(
    args: string[],
    okCodes = [0],
    { quiet = false, input, setsStateAside = false }: { quiet?: boolean; input?: string; setsStateAside?: boolean } = {},
  ) {
    const { binary, stackDir, env, onOutput, statePath, onNotice } = this.options;
    const command = `${binary.kind} ${args[0] === 'state' ? args.slice(0, 2).join(' ') : args[0]}`;
    // A signal (or a lost site lock) that came before this run: nothing new starts.
    const before = interrupts.stopError(command);
    if (before) throw before;
    if (statePath) {
      const restored = restoreBrokenState(statePath);
      if (restored) onNotice?.(restored);
    }
    const reserving = setsStateAside && statePath !== undefined;
    if (reserving) reserveStateSpace(stackDir, reserveSize(statePath, join(stackDir, 'cdk.tf.json')));
    const lines: string[] = [];
    const subprocess = execa(binary.path, args, {
      cwd: stackDir,
      env: { TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', ...env },
      reject: false,
      all: true,
      ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
      maxBuffer: 64 * 1024 * 1024,
      // Its own process group: a terminal's Ctrl-C reaches maas-vault only, which passes it on
      // once (interrupts.ts), and the engine and its providers can be killed together.
      detached: true,
      cleanup: true,
    });
    const untrack = interrupts.track({ process: subprocess, command });
    let lockError = false;
    let held: string | undefined;
    const take = (raw: string) => {
      const line = scrubEngineLine(raw);
      // Kept and matched as a reader sees it: every reader of the engine's lines works on plain text.
      const plain = stripAnsi(line);
      if (plain.trim() === '') return;
      // The engine's lock error advises disabling locking: never pass that on.
      if (/Error acquiring the state lock/.test(plain)) lockError = true;
      lines.push(plain);
      if (lockError) return;
      // The plan file is maas-vault's to apply, after its checks: never advise applying it directly.
      if (SAVED_PLAN_HINT.test(plain)) return;
      // Once stopped, the engine says so for every pending resource: one line says it all.
      if (interrupts.stopping && /Error: execution halted/.test(plain)) return;
      if (/^\s*╷\s*$/.test(plain)) {
        held = line;
        return;
      }
      if (held !== undefined) onOutput?.(held);
      held = undefined;
      onOutput?.(line);
    };
    if (!quiet) {
      const splitter = new LineSplitter();
      subprocess.all?.on('data', (chunk: Buffer) => {
        for (const line of splitter.push(chunk.toString())) take(line);
      });
      subprocess.all?.on('end', () => {
        for (const line of splitter.flush()) take(line);
      });
    }
    const result = await subprocess.finally(() => {
      untrack();
      if (reserving) releaseStateSpace(stackDir);
    });
    if (reserving && !okCodes.includes(result.exitCode ?? -1)) {
      // The engine could not write the state and printed it: written where it belongs, or said lost.
      const dump = stateDumpIn(String(result.stdout ?? '')) ?? stateDumpIn(String(result.stderr ?? ''));
      if (dump) {
        try {
          rescuePrintedState(statePath, stackDir, dump, writeFailureCause(lines.join('\n')));
        } finally {
          keepGoodState(statePath);
        }
      }
    }
    if (statePath && !keepGoodState(statePath)) {
      const verified = existsSync(`${statePath}.good`);
      onNotice?.(
        `the engine left ${statePath} invalid: ` +
          `${verified ? 'the next run restores the last verified state' : 'there is no verified copy of it to restore'}`,
      );
    }
    const stopped = interrupts.stopError(command);
    if (stopped) throw stopped;
    // A clear state under enforced encryption fails while taking the lock ("failed to write backup
    // file: encountered unencrypted payload"): no one holds it, and the caller says what to run.
    const unencrypted = /encountered unencrypted payload/.test(quiet ? String(result.stderr ?? '') : lines.join('\n'));
    const locked = !unencrypted && (lockError || /Error acquiring the state lock/.test(String(result.stderr ?? '')));
    // A local state's lock record names its holder; a remote backend's holder is found by the caller
    // (cli/commands/state-lock.ts), from the engine's own lines, which never reach the user as they are.
    if (locked && statePath) throw lockHeldError(statePath);
    if (locked)
      throw new EngineError(
        command,
        (quiet ? scrubEngineLine(String(result.stderr)) : lines.join('\n'))
          .split('\n')
          .filter((line) => !/-lock=false/.test(line))
          .join('\n'),
      );
    if (!okCodes.includes(result.exitCode ?? -1)) {
      const text = (quiet ? scrubEngineLine(String(result.stderr)) : lines.join('\n')).split('\n').filter((line) => line.trim() !== '');
      const ended =
        result.exitCode !== undefined
          ? `exit code ${result.exitCode}`
          : result.signal
            ? `stopped by ${result.signal}`
            : `could not start ${binary.path} (${result.code ?? 'no reason given'})`;
      throw new EngineError(`${binary.kind} ${args[0]}`, errorBlocks(text) || ended);
    }
    return { exitCode: result.exitCode ?? 0, stdout: String(result.stdout) };
  }
}

const SAVED_PLAN_HINT = /^(Saved the plan to: |To perform exactly these actions, run the following command to apply:|\s+(terraform|tofu) apply ")/;

function fileDigest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function identifying(value: unknown): IdentifyingAttributes {
  if (value === null || typeof value !== 'object') return {};
  const source = value as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const key of IDENTIFYING) {
    const field = source[key];
    if (typeof field === 'string' || (Array.isArray(field) && field.every((item) => typeof item === 'string'))) picked[key] = field;
  }
  return picked;
}

/** The engine's "Error:" blocks, which say what failed; the plan before them was already shown. */
function errorBlocks(lines: string[]): string {
  const first = lines.findIndex((line) => /^(\s*\|\s*)?(│\s*)?Error:/.test(line));
  return (first === -1 ? lines.slice(-25) : lines.slice(first, first + 40)).join('\n');
}
