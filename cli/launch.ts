#!/usr/bin/env node
/** The `maas-vault` command (package.json `bin`): the CLI bundled in main.cjs beside this file, run with V8's code cache. */
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from './code-cache.js';

runWithCodeCache(fileURLToPath(new URL('.', import.meta.url)), process.argv.slice(2));
