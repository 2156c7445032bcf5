#!/usr/bin/env node
/** The `maas-vault` command (package.json `bin`): the CLI bundled in main.cjs beside this file, run with V8's code cache. */
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from './code-cache.js';

/** The digest of each bundled file, set by scripts/bundle.ts when it builds this file. */
declare const MAAS_VAULT_DIGESTS: Record<string, string>;

runWithCodeCache(fileURLToPath(new URL('.', import.meta.url)), MAAS_VAULT_DIGESTS, process.argv.slice(2));
