/**
 * The Vault client on a real OpenBao under concurrent writes. OpenBao answers a small share of
 * concurrent requests with 500 "transaction commit failed" (its storage rolled them back; seen
 * about once in 300 secret-ID writes here): `credentials` must still give every controller exactly
 * one wrapped secret ID, and never issue one twice.
 */
import { roleName } from '../../config/index.js';
import { startDevServer, type OpenBaoServer } from '../../toolchain/openbao-server.js';
import { vaultHttp } from '../support/http.js';
import { ManualSite } from '../support/manual-site.js';
import { serverBinary } from '../support/matrix.js';

const CONTROLLERS = 150;
let server: OpenBaoServer;

beforeAll(async () => {
  server = await startDevServer({ bao: serverBinary() });
});

afterAll(async () => {
  await server?.stop();
});

it(`credentials for ${CONTROLLERS} controllers, three times: one secret ID per controller per run, none failed, none doubled`, async () => {
  const site = await ManualSite.create(server, {
    site: 'busy',
    kv: { mount: 'kv-busy' },
    controllers: Array.from({ length: CONTROLLERS }, (_, index) => ({ name: `region-${index + 1}` })),
  });
  const config = site.validated;
  const issued = new Map<string, string[]>();
  for (let run = 0; run < 3; run += 1) {
    const result = await site.cli(['credentials', '--json']);
    expect([run, result.exitCode, result.exitCode === 0 ? '' : result.stderr]).toEqual([run, 0, '']);
    for (const record of JSON.parse(result.stdout).controllers) issued.set(record.name, [...(issued.get(record.name) ?? []), record.secretIdAccessor]);
  }
  expect(issued.size).toBe(CONTROLLERS);
  for (const controller of config.controllers) {
    const listed = await vaultHttp(server.address, 'LIST', `auth/approle/role/${roleName(config, controller.name)}/secret-id`, { token: server.rootToken });
    expect([controller.name, [...listed.body.data.keys].sort()]).toEqual([controller.name, [...issued.get(controller.name)!].sort()]);
  }
});
