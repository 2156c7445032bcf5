/**
 * The shipped bundle keeps the large libraries only some commands use out of the CLI's own file
 * (scripts/bundle/vendor.ts): every run parses main.cjs, and only synth needs cdktf, only a pg
 * site the PostgreSQL client. Read from the built files and main.cjs's source map.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLE = fileURLToPath(new URL('../../../dist/bundle/', import.meta.url));
const VENDORED = ['cdktf', 'constructs', '@cdktf/provider-vault', 'execa', 'pg', 'undici'];

it('main.cjs holds none of the vendored libraries; each comes in its own file beside it', () => {
  const sources = (JSON.parse(readFileSync(join(BUNDLE, 'main.cjs.map'), 'utf8')) as { sources: string[] }).sources;
  expect(sources.some((source) => source.endsWith('cli/main.ts'))).toBe(true);
  for (const name of VENDORED) expect([name, sources.filter((source) => source.includes(`node_modules/${name}/`))]).toEqual([name, []]);
  for (const file of ['synth', 'engine', 'pg', 'download']) expect([file, existsSync(join(BUNDLE, 'vendor', `${file}.cjs`))]).toEqual([file, true]);
  const main = readFileSync(join(BUNDLE, 'main.cjs'), 'utf8');
  expect(main).toContain('require("./vendor/synth.cjs")');
});

it('main.cjs is a script V8 can cache: strict, and with no import() left for a missing loader', () => {
  const main = readFileSync(join(BUNDLE, 'main.cjs'), 'utf8');
  expect(main.startsWith('"use strict";')).toBe(true);
  expect(/\bimport\(/.test(main)).toBe(false);
});
