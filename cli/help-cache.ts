/**
 * yargs renders the running command's whole help text right after starting its handler, in case
 * the handler fails and yargs has to print it. maas-vault never prints help on a failure (`.fail()`
 * throws; main prints one line), so that text was thrown away on every run: about 15 ms of a
 * `credentials` run, mostly measuring string widths. `--help` is rendered on demand, as before.
 * yargs has no option for this: the switch goes through its internal usage object, which
 * test/cli/help-cache.test.ts pins so that a yargs upgrade that changes it fails there.
 */
import type { Argv } from 'yargs';

interface WithUsage {
  getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } };
}

export function skipHelpCache<T>(cli: Argv<T>): Argv<T> {
  (cli as unknown as WithUsage).getInternalMethods().getUsageInstance().cacheHelpMessage = () => undefined;
  return cli;
}
