/** A damaged state file is reported by path, line and column: the state holds wrapping tokens. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStateOutputs, StateFileError } from '../../engine/state.js';

it('a state file that is not JSON: path and position, never its text', () => {
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
  expect(error).toBeInstanceOf(StateFileError);
  expect((error as Error).message).toBe(
    `${path} is not valid JSON (syntax error at line 2, column ${' "outputs": {"wrapping_tokens": {"value": {"region-1": '.length + 1}; ` +
      `its text is not repeated here: it holds wrapping tokens): restore it from ${path}.backup, or move it aside and import or re-create what it tracked`,
  );
  expect((error as Error).message).not.toContain('CAESI');
});
