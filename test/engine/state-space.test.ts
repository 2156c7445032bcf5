/**
 * The room an apply keeps for its state, and the state an engine printed when it could not write
 * it (engine/state-space.ts): found whole among the engine's other lines, written owner-only.
 */
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  releaseStateSpace,
  rescuePrintedState,
  reserveSize,
  reserveStateSpace,
  STATE_RESERVE,
  stateDumpIn,
  writeFailureCause,
} from '../../engine/state-space.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'maas-vault-state-space-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const state = {
  version: 4,
  terraform_version: '1.11.4',
  serial: 7,
  lineage: 'abc',
  outputs: {},
  resources: [{ mode: 'managed', type: 'x', name: 'y', instances: [{ attributes: { nested: { deep: true } } }] }],
};
const printed = [
  'vault_policy.p: Creation complete after 0s',
  'Error: Failed to write state',
  '{',
  ...JSON.stringify(state, null, 2).split('\n').slice(1, -1),
  '}',
  '',
].join('\n');

it('finds the printed state among the engine lines, whole, with its serial and resource count', () => {
  const dump = stateDumpIn(printed)!;
  expect(JSON.parse(dump.text)).toEqual(state);
  expect([dump.serial, dump.resources]).toEqual([7, 1]);
});

it('finds the state OpenTofu prints on one line', () => {
  const dump = stateDumpIn(`vault_policy.p: Creation complete after 0s\n${JSON.stringify(state)}\nError: Failed to write state\n`)!;
  expect(JSON.parse(dump.text)).toEqual(state);
  expect(dump.serial).toBe(7);
});

it('finds nothing in lines that hold no version 4 state (a plan, a cut-off dump)', () => {
  expect(stateDumpIn('Plan: 1 to add\n{\n  "format_version": "1.2"\n}\n')).toBeUndefined();
  expect(stateDumpIn(printed.split('\n').slice(0, -4).join('\n'))).toBeUndefined();
  expect(stateDumpIn('')).toBeUndefined();
});

it("names the file system's cause, never the state", () => {
  expect(writeFailureCause('write\n../../../terraform.tfstate: no space left on device.')).toBe('no space left on device');
  expect(writeFailureCause('Error: Failed to write state')).toBeUndefined();
});

it('sets aside at least 1 MiB, twice the state and stack as they are, owner-only; gives it back', () => {
  const statePath = join(dir, 'terraform.tfstate');
  const stackJson = join(dir, 'cdk.tf.json');
  expect(reserveSize(statePath, stackJson)).toBe(1024 * 1024);
  writeFileSync(statePath, Buffer.alloc(700 * 1024));
  writeFileSync(stackJson, Buffer.alloc(100 * 1024));
  expect(reserveSize(statePath, stackJson)).toBe(1600 * 1024);
  reserveStateSpace(dir, 4096);
  expect(statSync(join(dir, STATE_RESERVE)).mode & 0o777).toBe(0o600);
  releaseStateSpace(dir);
  expect(existsSync(join(dir, STATE_RESERVE))).toBe(false);
});

it('a link planted at the reserve path is replaced, never written through; a reserve left by a killed run becomes owner-only', () => {
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious\n', { mode: 0o644 });
  symlinkSync(victim, join(dir, STATE_RESERVE));
  reserveStateSpace(dir, 4096);
  expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  expect(statSync(victim).mode & 0o777).toBe(0o644);
  const reserve = lstatSync(join(dir, STATE_RESERVE));
  expect([reserve.isFile(), reserve.size, reserve.mode & 0o777]).toEqual([true, 4096, 0o600]);
  releaseStateSpace(dir);

  writeFileSync(join(dir, STATE_RESERVE), '', { mode: 0o644 });
  chmodSync(join(dir, STATE_RESERVE), 0o644);
  reserveStateSpace(dir, 4096);
  expect(statSync(join(dir, STATE_RESERVE)).mode & 0o777).toBe(0o600);
});

it('the rescued state never goes through a link planted at the state path or beside it', () => {
  const statePath = join(dir, 'terraform.tfstate');
  const [atState, atTemporary] = [join(dir, 'victim-state'), join(dir, 'victim-temporary')];
  const victims = [atState, atTemporary];
  for (const victim of victims) writeFileSync(victim, 'precious\n', { mode: 0o644 });
  symlinkSync(atState, statePath);
  symlinkSync(atTemporary, `${statePath}.${process.pid}.tmp`);
  expect(() => rescuePrintedState(statePath, dir, stateDumpIn(printed)!, 'no space left on device')).toThrow(/saved the state the engine held/);
  for (const victim of victims) expect([readFileSync(victim, 'utf8'), statSync(victim).mode & 0o777]).toEqual(['precious\n', 0o644]);
  expect(lstatSync(statePath).isFile()).toBe(true);
  expect(statSync(statePath).mode & 0o777).toBe(0o600);
  expect(JSON.parse(readFileSync(statePath, 'utf8'))).toEqual(state);
});

it('writes the printed state where the engine meant to, removes an empty errored.tfstate, and says so', () => {
  const statePath = join(dir, 'terraform.tfstate');
  writeFileSync(statePath, '{"version": 4, "cut');
  writeFileSync(join(dir, 'errored.tfstate'), '');
  expect(() => rescuePrintedState(statePath, dir, stateDumpIn(printed)!, 'no space left on device')).toThrow(
    /could not write the state \(no space left on device\).*saved the state the engine held \(serial 7, 1 resources\) to .*terraform\.tfstate/,
  );
  expect(JSON.parse(readFileSync(statePath, 'utf8'))).toEqual(state);
  expect(statSync(statePath).mode & 0o777).toBe(0o600);
  expect(existsSync(join(dir, 'errored.tfstate'))).toBe(false);
});

it('says the state is lost when it cannot be written either', () => {
  const statePath = join(dir, 'missing-dir', 'terraform.tfstate');
  expect(() => rescuePrintedState(statePath, dir, stateDumpIn(printed)!, undefined)).toThrow(
    /neither could maas-vault \(ENOENT\): the state of this run is lost/,
  );
});

it('an error other than a full or read-only file system is passed on as it is', () => {
  expect(() => reserveStateSpace(join(dir, 'no-such-dir'), 4096)).toThrow(/ENOENT/);
});
