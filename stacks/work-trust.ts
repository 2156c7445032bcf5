/**
 * The work directory holds code the engine runs with the admin's Vault token (every `*.tf.json`
 * in the stack directory, the provider it links to) and state holding wrapping tokens. On a shared
 * host, whoever can write any of it can run code as that token: a planted `evil.tf.json` would be
 * loaded beside ours and applied. So every directory on the way, and every entry maas-vault and
 * the engine read there, must belong to this user (or root) and be writable by nobody else; and
 * the stack directory may hold nothing the engine would load that synth did not write. Checked
 * before anything is sent to Vault; refused with exit 2, never repaired silently.
 */
import { existsSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MaasVaultConfig } from '../config/index.js';
import { ConfigError } from '../config/errors.js';
import { workLayout } from './work-layout.js';

/** The one file synth writes where the engine reads configuration. */
const SYNTHESIZED = 'cdk.tf.json';

/** What Terraform and OpenTofu load from their working directory on their own. */
const ENGINE_LOADS = /\.(tf|tofu)(\.json)?$|\.tfvars(\.json)?$/;

/** Deep enough for `.terraform/providers/<host>/<ns>/<name>/<version>/<platform>`, short enough to stop a planted maze. */
const MAX_DEPTH = 10;

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

function mode(stat: Stats): string {
  return `0${(stat.mode & 0o7777).toString(8).padStart(3, '0')}`;
}

function owner(stat: Stats): string {
  return stat.uid === 0 ? 'root' : `uid ${stat.uid}`;
}

/** Why one entry cannot be trusted (another user's, or writable by others), or undefined. */
function entryProblem(path: string, stat: Stats, uid: number, what: string): string | undefined {
  const foreign = stat.uid !== uid && stat.uid !== 0;
  // A symbolic link's own mode is always 0777 and means nothing: only its owner counts.
  const writable = !stat.isSymbolicLink() && (stat.mode & GROUP_OR_OTHER_WRITE) !== 0;
  if (!foreign && !writable) return undefined;
  const why = foreign
    ? `is owned by ${owner(stat)}, not by this user (uid ${uid}) or root`
    : `is writable by ${(stat.mode & 0o020) !== 0 ? 'its group' : 'other users'}`;
  const fix = stat.isDirectory()
    ? `\`chown ${uid === 0 ? 'root' : uid} ${path} && chmod go-w ${path}\` after checking nothing in it was planted, or choose a workDir only you can write`
    : `remove it (or \`chown ${uid === 0 ? 'root' : uid} ${path} && chmod go-w ${path}\` if it is yours)`;
  return `${what} ${path} ${why} (owner ${owner(stat)}, mode ${mode(stat)}): another user could change what the engine runs with your Vault token; ${fix}`;
}

/** Every directory above the work directory: another user's, or one others may write without the sticky bit (/tmp has it), could swap the work directory. */
function ancestorProblems(workDir: string, uid: number): string[] {
  const problems: string[] = [];
  for (let dir = dirname(workDir); ; dir = dirname(dir)) {
    if (existsSync(dir)) {
      const stat = lstatSync(dir);
      const sticky = (stat.mode & STICKY) !== 0;
      const problem = entryProblem(dir, stat, uid, 'the directory above workDir');
      if (problem && !(sticky && (stat.uid === uid || stat.uid === 0))) problems.push(problem);
    }
    if (dirname(dir) === dir) break;
  }
  return problems;
}

/** The work directory's tree as maas-vault and the engine read it: `cdktf.out` whole (links not followed), the state and the CLI config beside it. */
function treeProblems(workDir: string, uid: number): string[] {
  const problems: string[] = [];
  if (!existsSync(workDir)) return problems;
  const top = lstatSync(workDir);
  const topProblem = entryProblem(workDir, top, uid, 'workDir');
  if (topProblem) return [topProblem];
  for (const name of ['terraform.tfstate', 'terraform.tfstate.backup', 'terraformrc', '.terraform.tfstate.lock.info']) {
    const path = join(workDir, name);
    if (!existsSync(path)) continue;
    const problem = entryProblem(path, lstatSync(path), uid, 'the work file');
    if (problem) problems.push(problem);
  }
  const walk = (dir: string, depth: number): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const problem = entryProblem(path, stat, uid, stat.isDirectory() ? 'the work directory' : 'the work file');
      if (problem) problems.push(problem);
      else if (stat.isDirectory() && depth < MAX_DEPTH) walk(path, depth + 1);
    }
  };
  const out = join(workDir, 'cdktf.out');
  if (existsSync(out)) {
    const stat = lstatSync(out);
    const problem = entryProblem(out, stat, uid, 'the work directory');
    if (problem) problems.push(problem);
    else if (stat.isDirectory()) walk(out, 1);
  }
  return problems;
}

/** Files the engine would load from the stack directory that synth did not write. */
function plantedProblems(config: Pick<MaasVaultConfig, 'site' | 'workDir'>): string[] {
  const { stackDir } = workLayout(config);
  if (!existsSync(stackDir)) return [];
  return readdirSync(stackDir)
    .filter((name) => name !== SYNTHESIZED && ENGINE_LOADS.test(name))
    .map(
      (name) =>
        `${join(stackDir, name)} was not written by maas-vault (synth writes only ${SYNTHESIZED} there), and the engine would load it and run it with your Vault token: ` +
        `find out who put it there, then remove it (\`rm ${join(stackDir, name)}\`)`,
    );
}

/**
 * Every reason this run must not use the work directory (nothing when it does not exist yet: synth
 * creates it owner-only). `mirror`: MAAS_VAULT_PROVIDER_MIRROR, whose provider the engine runs.
 */
export function workDirTrustProblems(config: Pick<MaasVaultConfig, 'site' | 'workDir'>, options: { mirror?: string; uid?: number } = {}): string[] {
  const uid = options.uid ?? currentUid();
  const problems = [...ancestorProblems(config.workDir, uid), ...treeProblems(config.workDir, uid)];
  if (options.mirror && existsSync(options.mirror)) {
    const stat = lstatSync(options.mirror);
    const problem = entryProblem(options.mirror, stat, uid, 'the provider mirror (MAAS_VAULT_PROVIDER_MIRROR)');
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) return problems;
  return plantedProblems(config);
}

/** Throws a ConfigError (exit 2) listing every problem, saying nothing was sent to Vault. */
export function requireTrustedWorkDir(config: Pick<MaasVaultConfig, 'site' | 'workDir' | 'source'>, env: NodeJS.ProcessEnv = process.env): void {
  const problems = workDirTrustProblems(config, { mirror: env.MAAS_VAULT_PROVIDER_MIRROR || undefined });
  if (problems.length === 0) return;
  const last = problems.length - 1;
  throw new ConfigError(
    `workDir of ${config.source}`,
    problems.map((problem, index) => (index === last ? `${problem}. Nothing was sent to Vault and the engine did not run` : problem)),
  );
}
