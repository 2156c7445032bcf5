/**
 * Loaded with `node --import` into a measured process: at exit, writes the process's peak RSS
 * (KiB) to MAAS_VAULT_RSS_FILE, so whole-process memory is measured without outside tools.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.MAAS_VAULT_RSS_FILE;
if (file) process.once('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
