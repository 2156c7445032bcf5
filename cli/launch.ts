#!/usr/bin/env node
/** The `maas-vault` command (package.json `bin`): the CLI bundled in main.cjs beside this file, run with V8's code cache. */
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from './code-cache.js';

/** The digest of main.cjs, set by scripts/bundle.ts when it builds this file. */
declare const MAAS_VAULT_MAIN_DIGEST: string;

runWithCodeCache(fileURLToPath(new URL('main.cjs', import.meta.url)), MAAS_VAULT_MAIN_DIGEST, process.argv.slice(2));
