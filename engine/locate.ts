/**
 * Finds the Terraform engine: `--engine` (tofu, terraform, or a path), else `tofu` on PATH,
 * else `terraform` on PATH. Either works: the stack pins hashicorp/vault 5.6.0 and both engines
 * resolve that source in their own registry (or in a filesystem mirror).
 */
import { execa } from 'execa';

export type EngineKind = 'tofu' | 'terraform';

export interface EngineBinary {
  kind: EngineKind;
  path: string;
  version: string;
}

export class EngineNotFoundError extends Error {
  override name = 'EngineNotFoundError';
  readonly exitCode = 2;
}

const MIN_VERSION = [1, 6];

/** `label` names where `requested` came from, for the message: `--engine` or `MAAS_VAULT_ENGINE`. */
export async function locateEngine(requested?: string, label = '--engine'): Promise<EngineBinary> {
  const candidates = requested ? [requested] : ['tofu', 'terraform'];
  const problems: string[] = [];
  for (const candidate of candidates) {
    const found = await probe(candidate);
    if (typeof found === 'string') problems.push(found);
    else return found;
  }
  throw new EngineNotFoundError(
    requested
      ? `${label} ${requested}: ${problems[0]}`
      : 'no Terraform engine found: install OpenTofu (`tofu`) or Terraform >= 1.6 on PATH, or pass --engine PATH',
  );
}

/** The engine's version, or why it cannot be used. */
async function probe(command: string): Promise<EngineBinary | string> {
  const result = await execa(command, ['version', '-json'], { reject: false, timeout: 30_000, env: { CHECKPOINT_DISABLE: '1' } });
  if (result.failed && result.exitCode === undefined) return `cannot run "${command}" (${result.code ?? 'not found'})`;
  let info: { terraform_version?: string };
  try {
    info = JSON.parse(String(result.stdout));
  } catch {
    return `"${command} version -json" did not print JSON: is it OpenTofu or Terraform?`;
  }
  const version = info.terraform_version ?? '';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
    return `"${command}" is version ${version}; maas-vault needs 1.6 or later`;
  }
  const kind: EngineKind = /tofu/i.test(String(result.stdout)) || /tofu/.test(command) ? 'tofu' : 'terraform';
  return { kind, path: command, version };
}
