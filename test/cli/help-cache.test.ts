/**
 * yargs renders the running command's whole help text as soon as its handler starts, in case it
 * has to print it after a failure. maas-vault never does (errors are one line), so the CLI turns
 * that off: it cost every credentials and status run about 15 ms. These tests pin the yargs
 * behaviour the switch relies on, so an upgrade that changes it fails here, not silently.
 */
import yargs, { type Argv } from 'yargs';
import { skipHelpCache } from '../../cli/help-cache.js';

interface UsageProbe {
  getInternalMethods(): { getUsageInstance(): { hasCachedHelpMessage(): boolean } };
}

async function helpCachedWhileHandling(configure: (cli: Argv) => Argv): Promise<boolean> {
  let cached: boolean | undefined;
  const cli = configure(yargs(['work']).exitProcess(false));
  cli.command('work', 'does some work', {}, async () => {
    await new Promise((resolve) => setImmediate(resolve));
    cached = (cli as unknown as UsageProbe).getInternalMethods().getUsageInstance().hasCachedHelpMessage();
  });
  await cli.parseAsync();
  return cached!;
}

it('yargs renders a command help text while the handler runs (what is being turned off)', async () => {
  expect(await helpCachedWhileHandling((cli) => cli)).toBe(true);
});

it('skipHelpCache stops it, and --help still prints the help', async () => {
  expect(await helpCachedWhileHandling(skipHelpCache)).toBe(false);
  let printed = '';
  await skipHelpCache(yargs(['work', '--help']).exitProcess(false))
    .command('work', 'does some work', { fast: { type: 'boolean', describe: 'go fast' } }, () => undefined)
    .parseAsync(['work', '--help'], {}, (_error, _argv, output) => {
      printed = output;
    });
  expect(printed).toMatch(/--fast\s+go fast/);
});
