#!/usr/bin/env node
/** The `maas-vault` command (package.json `bin`): the CLI bundled in main.cjs beside this file, run with V8's code cache. */
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from './code-cache.js';

// Beside the file itself, not the link to it that `--preserve-symlinks-main` leaves in place.
runWithCodeCache(dirname(realpathSync(fileURLToPath(import.meta.url))), process.argv.slice(2));
