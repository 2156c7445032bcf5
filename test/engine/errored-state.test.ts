/** What is done with a state the engine could not save: pushed back only onto its own or an empty state, never over another. */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { erroredStateAdvice, erroredStatePath, recoverErroredState } from '../../engine/errored-state.js';

function stackWith(errored: object | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-errored-'));
  writeFileSync(erroredStatePath(dir), typeof errored === 'string' ? errored : JSON.stringify(errored), { mode: 0o600 });
  return dir;
}

function backend(current: object | undefined) {
  const pushed: string[] = [];
  return { pushed, pullState: async () => (current ? JSON.stringify(current) : ''), pushState: async (text: string) => void pushed.push(text) };
}

it('pushes it onto an empty backend or an older serial of its lineage, then removes it', async () => {
  for (const current of [undefined, { lineage: 'a', serial: 3 }]) {
    const dir = stackWith({ lineage: 'a', serial: 4, resources: [{}, {}] });
    const engine = backend(current);
    expect(await recoverErroredState(engine, dir)).toMatch(/^pushed back the state an earlier run could not save \(.*, serial 4, 2 resources\)/);
    expect(engine.pushed).toHaveLength(1);
    expect(existsSync(erroredStatePath(dir))).toBe(false);
  }
});

it('never pushes over another lineage, nor removes a file that is not a state', async () => {
  const other = stackWith({ lineage: 'a', serial: 9 });
  const engine = backend({ lineage: 'b', serial: 1 });
  await expect(recoverErroredState(engine, other)).rejects.toThrow(/lineage b, not a\): nothing was pushed or changed/);
  expect([engine.pushed, existsSync(erroredStatePath(other))]).toEqual([[], true]);
  const garbage = stackWith('{ not json');
  await expect(recoverErroredState(backend(undefined), garbage)).rejects.toThrow(/is not a state file/);
  expect(existsSync(erroredStatePath(garbage))).toBe(true);
});

it("replaces the engine's advice with what happened and what the next run does", () => {
  const output =
    'Error: Failed to save state\nError saving state: failed checking for existing remote state: dial tcp 127.0.0.1:1: connect: connection refused\nthe state has been written to the file "errored.tfstate"';
  const dir = stackWith({ version: 4, lineage: 'a', serial: 4, resources: [] });
  expect(erroredStateAdvice(output, dir, 'apply')).toBe(
    'apply changed Vault, but the engine could not save the state (failed checking for existing remote state: dial tcp 127.0.0.1:1: connect: connection refused). ' +
      `It kept it in ${dir}/errored.tfstate (owner-only; it holds the wrapping tokens). Once the state backend is ` +
      `back, run \`maas-vault apply\` again: it pushes that state back first and continues from it. ` +
      'Do not run the engine by hand on this stack meanwhile (a new apply would issue every secret ID again)',
  );
  expect(erroredStateAdvice('Error: something else', dir, 'apply')).toBeUndefined();
});

it('never says the state was kept when the engine left errored.tfstate empty or did not write it (a full disk)', () => {
  const output = 'Error: Failed to save state\nthe state has been written to the file "errored.tfstate"';
  const empty = stackWith('');
  expect(erroredStateAdvice(output, empty, 'apply')).toMatch(/nor keep it in \S+errored\.tfstate \(left empty or cut off\): the state of this run is lost/);
  const none = mkdtempSync(join(tmpdir(), 'maas-vault-errored-'));
  expect(erroredStateAdvice(output, none, 'apply')).toMatch(/\(not written\): the state of this run is lost/);
  expect(erroredStateAdvice(output, none, 'apply')).not.toContain('It kept it in');
});
