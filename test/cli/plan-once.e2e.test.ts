/**
 * The guarded path plans once: apply and destroy plan to a file, read it once with
 * `show -json`, and apply that very file; the engine is never asked for a second plan inside an
 * `apply -auto-approve`. Counted from the engine's own invocations, through a shim that logs each
 * one and runs the real engine.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { engineEnv } from '../support/cli.js';
import { TestSite } from '../support/site.js';
import { describeE2E } from '../support/tiers.js';
import { serverBinary } from '../support/matrix.js';

describeE2E('the guarded path plans once and applies the plan file it read (e2e: engine + provider)', () => {
  let server: OpenBaoServer;
  let log: string;
  let shim: string;

  beforeAll(async () => {
    server = await startDevServer({ bao: serverBinary() });
    const dir = mkdtempSync(join(tmpdir(), 'maas-vault-plan-once-'));
    log = join(dir, 'engine.log');
    shim = join(dir, 'terraform');
    writeFileSync(shim, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${engineEnv().MAAS_VAULT_ENGINE}' "$@"\n`);
    chmodSync(shim, 0o755);
  });

  afterAll(async () => {
    await server?.stop();
  });

  /** The engine commands one CLI run asked for (the version probe left out), by first word. */
  async function engineCalls(site: TestSite, args: string[]): Promise<string[]> {
    writeFileSync(log, '');
    const result = await site.cli(args, server.rootToken, { MAAS_VAULT_ENGINE: shim });
    expect([result.exitCode, result.exitCode === 0 ? '' : result.all]).toEqual([0, '']);
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('version'));
  }
  const count = (calls: string[], pattern: RegExp) => calls.filter((call) => pattern.test(call)).length;

  it('apply: one plan to a file, one show -json of it, one apply of that file, no -auto-approve apply', async () => {
    const site = new TestSite(server, { site: 'once', kv: { mount: 'kv-once' }, controllers: [{ name: 'region-1' }, { name: 'region-2' }] });
    const calls = await engineCalls(site, ['apply', '--auto-approve']);
    expect(count(calls, /^plan /)).toBe(1);
    expect(count(calls, /^show -json .*apply\.tfplan$/)).toBe(1);
    expect(count(calls, /^apply .*apply\.tfplan$/)).toBe(1);
    expect(count(calls, /^apply /)).toBe(1);
    expect(calls.filter((call) => /-auto-approve/.test(call))).toEqual([]);
    expect(calls.findIndex((call) => call.startsWith('plan '))).toBeLessThan(calls.findIndex((call) => call.startsWith('show ')));
    expect(calls.findIndex((call) => call.startsWith('show '))).toBeLessThan(calls.findIndex((call) => call.startsWith('apply ')));

    // A no-change apply plans once too, and applies nothing.
    const again = await engineCalls(site, ['apply', '--auto-approve']);
    expect(count(again, /^plan /)).toBe(1);
    expect(count(again, /^show -json /)).toBe(1);

    const destroyed = await engineCalls(site, ['destroy', '--auto-approve']);
    expect(count(destroyed, /^plan .*-destroy/)).toBe(1);
    expect(count(destroyed, /^show -json .*destroy\.tfplan$/)).toBe(1);
    expect(count(destroyed, /^apply .*destroy\.tfplan$/)).toBe(1);
    expect(destroyed.filter((call) => /^destroy|-auto-approve/.test(call))).toEqual([]);
  });
});
