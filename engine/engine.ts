/**
 * Runs the engine on a synthesized stack. Output streams to the caller's sink (stderr in human
 * mode); the engine masks sensitive values, and outputs are read back only with `output -json`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { EngineBinary } from './locate.js';
import { parseQuietly } from './state.js';

export interface EngineOptions {
  binary: EngineBinary;
  /** Directory holding cdk.tf.json. */
  stackDir: string;
  /** Extra environment (TF_CLI_CONFIG_FILE for a provider mirror, VAULT_TOKEN, VAULT_ADDR...). */
  env?: Record<string, string | undefined>;
  /** Receives the engine's output lines as they come. */
  onOutput?: (line: string) => void;
}

/** A failed engine command; `output` is its last lines, for the error message. */
export class EngineError extends Error {
  override name = 'EngineError';
  readonly exitCode = 1;
  constructor(readonly command: string, readonly output: string) {
    super(`${command} failed:\n${output}`);
  }
}

export interface PlanResult {
  /** False when the engine reports "No changes". */
  changes: boolean;
}

export type EngineOutputs = Record<string, { value: unknown; sensitive: boolean }>;

export class Engine {
  constructor(private readonly options: EngineOptions) {}

  get binary(): EngineBinary {
    return this.options.binary;
  }

  /** `init` once per work directory; later calls only re-run it when the lock file is missing. */
  async init(force = false): Promise<void> {
    if (!force && existsSync(join(this.options.stackDir, '.terraform.lock.hcl')) && existsSync(join(this.options.stackDir, '.terraform'))) return;
    await this.run(['init', '-input=false', '-no-color']);
  }

  async plan(): Promise<PlanResult> {
    const result = await this.run(['plan', '-input=false', '-no-color', '-detailed-exitcode', '-lock-timeout=60s'], [0, 2]);
    return { changes: result.exitCode === 2 };
  }

  async apply(): Promise<void> {
    await this.run(['apply', '-input=false', '-no-color', '-auto-approve', '-lock-timeout=60s']);
  }

  async destroy(): Promise<void> {
    await this.run(['destroy', '-input=false', '-no-color', '-auto-approve', '-lock-timeout=60s']);
  }

  /** All outputs, sensitive ones included: callers decide what to print. */
  async outputs(): Promise<EngineOutputs> {
    const result = await this.run(['output', '-json', '-no-color'], [0], { quiet: true });
    // The outputs hold wrapping tokens: a parse error names the command, never the text.
    return parseQuietly<EngineOutputs>(result.stdout || '{}', (where) => new EngineError(`${this.binary.kind} output -json`, `its answer is not JSON (${where})`));
  }

  private async run(args: string[], okCodes = [0], { quiet = false } = {}) {
    const { binary, stackDir, env, onOutput } = this.options;
    const lines: string[] = [];
    const subprocess = execa(binary.path, args, {
      cwd: stackDir,
      env: { TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', ...env },
      reject: false,
      all: true,
      stdin: 'ignore',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (!quiet) {
      subprocess.all?.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          if (line.trim() === '') continue;
          lines.push(line);
          onOutput?.(line);
        }
      });
    }
    const result = await subprocess;
    if (!okCodes.includes(result.exitCode ?? -1)) {
      const text = (quiet ? String(result.stderr) : lines.join('\n')).split('\n').filter((line) => line.trim() !== '');
      throw new EngineError(`${binary.kind} ${args[0]}`, errorBlocks(text) || `exit code ${result.exitCode ?? result.signal}`);
    }
    return { exitCode: result.exitCode ?? 0, stdout: String(result.stdout) };
  }
}

/** The engine's "Error:" blocks, which say what failed; the plan before them was already shown. */
function errorBlocks(lines: string[]): string {
  const first = lines.findIndex((line) => /^(\s*\|\s*)?(│\s*)?Error:/.test(line));
  return (first === -1 ? lines.slice(-25) : lines.slice(first, first + 40)).join('\n');
}
