/**
 * cdktf is archived: a move to CDK Terrain (`cdktn`) or to locally generated bindings must be
 * stacks/framework.ts plus package.json, so no other file may import the framework's packages.
 * The framework module itself is imported only by the stack's constructs (and the tests' synth
 * helper), which synth alone loads: test/cli/startup-imports.test.ts checks that no command
 * pays for it at start-up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FRAMEWORK_PACKAGES } from '../../stacks/framework-packages.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', '.git', '.maas-vault', 'cdktf.out']);
const FRAMEWORK_MODULE = 'stacks/framework.ts';
/** A parser of HCL for the policy tests only: no part of the stack, and not what synth loads. */
const TEST_ONLY = new Set(['@cdktf/hcl2json']);
const SPECIFIER = /(?:\bfrom|\bimport|\bimport\(|\brequire\()\s*['"]([^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

function specifiers(path: string): string[] {
  return [...readFileSync(path, 'utf8').matchAll(SPECIFIER)].map((match) => match[1]);
}

function isFramework(specifier: string): boolean {
  const packageName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  if (TEST_ONLY.has(packageName)) return false;
  return (
    (FRAMEWORK_PACKAGES as readonly string[]).includes(packageName) ||
    ['cdktf', 'constructs', 'cdktn'].includes(packageName) ||
    packageName.startsWith('@cdktf/') ||
    packageName.startsWith('@cdktn/')
  );
}

describe('the CDK framework behind one module', () => {
  it('recognises every spelling of an import of the framework, and only those', () => {
    const found = (text: string) => [...text.matchAll(SPECIFIER)].map((match) => match[1]).filter(isFramework);
    expect(found('import { App } from \'cdktf\';\nimport type { Construct } from "constructs";')).toEqual(['cdktf', 'constructs']);
    // Spelled in two pieces so that provider-imports.test.ts does not count this file as an importer.
    const bindings = ['@cdktf', 'provider-vault/lib/policy/index.js'].join('/');
    expect(found(`export { Policy } from '${bindings}';`)).toEqual([bindings]);
    expect(found("const { App } = await import('cdktf');\nrequire('cdktn');\nimport 'constructs';")).toEqual(['cdktf', 'cdktn', 'constructs']);
    expect(found("import { parse } from '@cdktf/hcl2json';\nimport { x } from './cdktf.js';\nimport y from 'cdktf-extra';")).toEqual([]);
  });

  it(`no file but ${FRAMEWORK_MODULE} imports cdktf, constructs or @cdktf/* (tests included)`, () => {
    const importers: Record<string, string[]> = {};
    for (const path of sources(ROOT)) {
      if (path.endsWith('framework-imports.test.ts')) continue;
      const framework = specifiers(path).filter(isFramework);
      if (framework.length > 0) importers[relative(ROOT, path)] = framework;
    }
    expect(Object.keys(importers)).toEqual([FRAMEWORK_MODULE]);
    for (const name of ['cdktf', 'constructs']) expect(importers[FRAMEWORK_MODULE]).toContain(name);
  });

  it('the framework module is imported only from stacks/ and the tests, never by the CLI, Vault client or engine', () => {
    const importers = sources(ROOT)
      .filter((path) => specifiers(path).some((specifier) => /(^|\/)framework\.js$/.test(specifier)))
      .map((path) => relative(ROOT, path));
    expect(importers.length).toBeGreaterThanOrEqual(10);
    expect(importers.filter((path) => !path.startsWith('stacks/') && !path.startsWith('test/'))).toEqual([]);
  });
});
