/** A MAAS site for end-to-end tests: a config file in its own temporary directory, driven through the CLI. */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from './cli.js';
import type { AppliedController } from '../../cli/commands/stack-outputs.js';

export interface TestServer {
  address: string;
  rootToken: string;
  /** The CA of a TLS test server. */
  caCert?: string;
}

/** A controller as the stack reports it when it issued the secret ID (the default). */
export type StackController = Required<AppliedController>;

export class TestSite {
  readonly dir: string;
  readonly configPath: string;
  private input: Record<string, unknown>;

  constructor(
    readonly server: TestServer,
    input: Record<string, unknown>,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'maas-vault-site-'));
    this.configPath = join(this.dir, 'maas-vault.json');
    this.input = input;
    this.write();
  }

  get config(): Record<string, any> {
    return this.input;
  }

  /** Changes the config file, as an admin editing it would. */
  update(change: (input: Record<string, any>) => Record<string, unknown>): void {
    this.input = change(structuredClone(this.input));
    this.write();
  }

  private write(): void {
    writeFileSync(this.configPath, JSON.stringify({ vault: { address: this.server.address }, ...this.input }, null, 2));
  }

  /** Runs the CLI on this site with the root token, another token, or none (`null`). */
  cli(args: string[], token: string | null = this.server.rootToken, env: Record<string, string | undefined> = {}): Promise<CliResult> {
    return runCli([...args, '--config', this.configPath], { token: token ?? undefined, env });
  }

  async apply(): Promise<CliResult> {
    const result = await this.cli(['apply', '--auto-approve']);
    if (result.exitCode !== 0) throw new Error(`apply failed (${result.exitCode}):\n${result.all}`);
    return result;
  }

  async plan(): Promise<{ changes: boolean; result: CliResult }> {
    const result = await this.cli(['plan', '--json']);
    if (result.exitCode !== 0) throw new Error(`plan failed (${result.exitCode}):\n${result.all}`);
    return { changes: JSON.parse(result.stdout).changes, result };
  }

  async outputs(): Promise<Map<string, StackController>> {
    const result = await this.cli(['output', '--json'], null);
    if (result.exitCode !== 0) throw new Error(`output failed (${result.exitCode}):\n${result.all}`);
    const parsed = JSON.parse(result.stdout) as { controllers: StackController[] };
    return new Map(parsed.controllers.map((controller) => [controller.name, controller]));
  }

  async destroy(): Promise<CliResult> {
    const result = await this.cli(['destroy', '--auto-approve']);
    if (result.exitCode !== 0) throw new Error(`destroy failed (${result.exitCode}):\n${result.all}`);
    return result;
  }
}

/** A file the engine left below a site's directory (its state, its plan file), wherever the work layout puts it; the engine's plugin cache is passed over. */
export function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return path;
    if (entry.isDirectory() && entry.name !== '.terraform' && entry.name !== 'providers') {
      const found = findFile(path, name);
      if (found) return found;
    }
  }
  return undefined;
}
