/** Timing whole processes, and the statistics the report shows. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export interface Sample {
  ms: number;
  /** Peak RSS in MiB, for Node processes run with the probe. */
  rssMiB?: number;
}

const PROBE = fileURLToPath(new URL('./rss-probe.js', import.meta.url));

/** Runs a command to completion and times it; a failure aborts the benchmark with its output. */
export async function timed(
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; probeRss?: boolean } = {},
): Promise<Sample> {
  const probeDir = options.probeRss ? mkdtempSync(join(tmpdir(), 'maas-vault-rss-')) : undefined;
  const rssFile = probeDir ? join(probeDir, 'rss') : undefined;
  const env = { ...options.env, ...(rssFile ? { MAAS_VAULT_RSS_FILE: rssFile, NODE_OPTIONS: `--import=${PROBE}` } : {}) };
  const started = process.hrtime.bigint();
  const result = await execa(command, args, { env, cwd: options.cwd, reject: false, all: true, stdin: 'ignore' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.exitCode !== 0) {
    throw new Error(`benchmark step failed: ${command} ${args.join(' ')} (exit ${result.exitCode}):\n${String(result.all).split('\n').slice(-20).join('\n')}`);
  }
  let rssMiB: number | undefined;
  if (rssFile && probeDir) {
    rssMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
    rmSync(probeDir, { recursive: true, force: true });
  }
  return { ms, rssMiB };
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

/**
 * Runs every method once per round, rotating which goes first, so drift on a noisy machine hits
 * all methods alike; returns each method's samples.
 */
export async function interleaved<K extends string>(
  rounds: number,
  methods: Record<K, () => Promise<Sample>>,
  onRound?: (round: number) => void,
): Promise<Record<K, Sample[]>> {
  const names = Object.keys(methods) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as Sample[]])) as Record<K, Sample[]>;
  for (let round = 0; round < rounds; round += 1) {
    onRound?.(round);
    for (let index = 0; index < names.length; index += 1) {
      const name = names[(round + index) % names.length];
      samples[name].push(await methods[name]());
    }
  }
  return samples;
}
