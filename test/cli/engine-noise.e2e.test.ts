/**
 * What the engine's `init` says that is advice for a hand-written project, not for maas-vault's
 * synthesized work directory, is not shown; the rest of its output is.
 */
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';
import { initNoiseFilter } from '../../engine/init-noise.js';

describeE2E('engine init noise (e2e: engine + provider)', () => {
  let server: OpenBaoServer;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('the first plan of a site shows neither the lock file paragraph nor the incomplete lock file warning', async () => {
    const site = new TestSite(server, { site: 'noise', kv: { mount: 'kv-noise' }, controllers: [{ name: 'region-1' }] });
    const plan = await site.cli(['plan']);
    expect(plan.exitCode).toBe(0);
    expect(plan.stderr).toMatch(/Installing hashicorp\/vault v5\.6\.0/);
    expect(plan.stderr).toMatch(/(Terraform|OpenTofu) has been successfully initialized!/);
    expect(plan.stderr).not.toMatch(/Incomplete lock file|version control|checksums|providers lock|platform to generate/);
    expect(plan.stderr).toMatch(/Plan: \d+ to add/);
  });
});

it('a paragraph that never ends hides at most 20 lines after its start', () => {
  const shown = initNoiseFilter();
  const lines = ['Warning: Incomplete lock file information for providers', ...Array.from({ length: 30 }, (_, index) => `line ${index}`)];
  expect(lines.filter(shown)).toEqual(Array.from({ length: 10 }, (_, index) => `line ${index + 20}`));
});
