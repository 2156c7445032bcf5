/** The verified copy of the last good state: written only from a valid state, restored over a broken one. */
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokenStateError, goodStatePath, keepGoodState, readStateOutputs, restoreBrokenState } from '../../engine/state.js';

const VALID = JSON.stringify({ version: 4, outputs: { role_names: { value: { 'region-1': 'r1' }, sensitive: false } }, resources: [] });

function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'maas-vault-state-'));
}

describe('state guard', () => {
  it('keeps a 0600 copy of a state that parses as version 4', () => {
    const state = join(workDir(), 'terraform.tfstate');
    writeFileSync(state, VALID, { mode: 0o644 });
    expect(keepGoodState(state)).toBe(true);
    expect(readFileSync(goodStatePath(state), 'utf8')).toBe(VALID);
    expect(statSync(goodStatePath(state)).mode & 0o777).toBe(0o600);
    expect(statSync(state).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['empty', ''],
    ['cut off', VALID.slice(0, 40)],
    ['of another format', JSON.stringify({ version: 3 })],
  ])('never copies a state that is %s, and restores the last good one over it, keeping the broken file', (_, broken) => {
    const state = join(workDir(), 'terraform.tfstate');
    writeFileSync(state, VALID);
    keepGoodState(state);
    writeFileSync(state, broken);
    expect(keepGoodState(state)).toBe(false);
    expect(readFileSync(goodStatePath(state), 'utf8')).toBe(VALID);
    expect(restoreBrokenState(state)).toContain(`restored the last verified state from ${goodStatePath(state)}`);
    expect(readFileSync(state, 'utf8')).toBe(VALID);
    expect(readFileSync(`${state}.broken`, 'utf8')).toBe(broken);
    expect(readStateOutputs(state)?.role_names.value).toEqual({ 'region-1': 'r1' });
  });

  it('a broken state with no verified copy is refused, saying what to do, not read as empty', () => {
    const state = join(workDir(), 'terraform.tfstate');
    writeFileSync(state, '');
    expect(() => restoreBrokenState(state)).toThrow(BrokenStateError);
    expect(() => readStateOutputs(state)).toThrow(/is not a valid state .* nothing was sent to Vault/);
    expect(readFileSync(state, 'utf8')).toBe('');
  });

  it('a run that left the state as it was (a plan) does not write the copy again; a changed one does', () => {
    const state = join(workDir(), 'terraform.tfstate');
    writeFileSync(state, VALID);
    keepGoodState(state);
    const copy = statSync(goodStatePath(state)).ino;
    expect(keepGoodState(state)).toBe(true);
    expect(restoreBrokenState(state)).toBeUndefined();
    expect(statSync(goodStatePath(state)).ino).toBe(copy);
    const changed = VALID.replace('"r1"', '"r1-renamed"');
    writeFileSync(state, changed);
    expect(keepGoodState(state)).toBe(true);
    expect(readFileSync(goodStatePath(state), 'utf8')).toBe(changed);
  });

  it('a missing state is no state: nothing to restore', () => {
    const state = join(workDir(), 'terraform.tfstate');
    expect(restoreBrokenState(state)).toBeUndefined();
    expect(keepGoodState(state)).toBe(true);
    expect(existsSync(goodStatePath(state))).toBe(false);
  });
});

it('a state file that is not JSON is named by path and position, never by its text (it holds wrapping tokens)', () => {
  const token = 'hvs.CAESIStateFileWrappingToken0123456789';
  const path = join(mkdtempSync(join(tmpdir(), 'maas-vault-state-')), 'terraform.tfstate');
  // Hand-edited: the token lost its quotes.
  writeFileSync(path, `{"version": 4,\n "outputs": {"wrapping_tokens": {"value": {"region-1": ${token}}}}}`);
  let error: unknown;
  try {
    readStateOutputs(path);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(BrokenStateError);
  expect((error as Error).message).toContain(
    `the state file ${path} is not a valid state (not JSON from line 2, column ${' "outputs": {"wrapping_tokens": {"value": {"region-1": '.length + 1})`,
  );
  expect((error as Error).message).not.toContain('CAESI');
});

it("an OpenTofu encrypted state is whole: kept as the verified copy, never 'restored', and opaque to direct reads", () => {
  const state = join(workDir(), 'terraform.tfstate');
  const encrypted = JSON.stringify({
    serial: 3,
    lineage: 'x',
    meta: { 'key_provider.pbkdf2.passphrase': 'e30=' },
    encrypted_data: 'c2VjcmV0',
    encryption_version: 'v0',
  });
  writeFileSync(state, encrypted);
  expect(keepGoodState(state)).toBe(true);
  expect(readFileSync(goodStatePath(state), 'utf8')).toBe(encrypted);
  expect(restoreBrokenState(state)).toBeUndefined();
  expect(existsSync(`${state}.broken`)).toBe(false);
  expect(readStateOutputs(state)).toBeUndefined();
});
