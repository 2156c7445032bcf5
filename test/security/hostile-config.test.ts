/**
 * Hostile input. Thousands of generated configs: every rejected one names its fields; every
 * accepted one renders policies that grant nothing outside MOUNT/data/PATH/ and MOUNT/metadata/PATH/.
 */
import fc from 'fast-check';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, validateConfig } from '../../config/index.js';
import { renderMaasPolicy } from '../../policies/render.js';
import { grantsOf, grantsOutside } from '../support/policy.js';
import { runCli } from '../support/cli.js';

/** Characters an attacker would reach for, mixed with ordinary ones. */
const PATH_CHARS = ['a', 'b', 'm', 's', '0', '1', '-', '_', '.', '/', '*', '+', '"', '}', '{', '\n', ' ', '\\', '$', '#', "'", '\t', '%'];
const hostilePath = fc.array(fc.constantFrom(...PATH_CHARS), { minLength: 0, maxLength: 16 }).map((chars) => chars.join(''));
const segment = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,6}(\.[a-z0-9_-]{1,4})?$/);
const validPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((segments) => segments.join('/'));
const validName = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,5})?$/);
const hostileName = fc
  .array(fc.constantFrom('a', 'Z', '1', '-', '.', '/', '_', '..', ' ', '\n', '*'), { minLength: 0, maxLength: 12 })
  .map((chars) => chars.join(''));
const validTtl = fc.integer({ min: 1, max: 86_400 }).map((value) => `${value}s`);
const hostileTtl = fc.constantFrom('0s', '-1s', '5 minutes', '1e9h', '99999999999999999999h', '', '1.5h', '8761h', '5m ', '5M');
const validCidr = fc.ipV4().map((ip) => `${ip}/24`);
const hostileCidr = fc.constantFrom('10.0.0.0/33', 'not-a-cidr', '10.0.0.1', '300.1.1.1/8', '::1/129', '10.0.0.0/8/8', '0.0.0.0/0; rm -rf /');

const validConfig = fc.record({
  site: fc.constant('lab'),
  vault: fc.constant({ address: 'http://127.0.0.1:8200' }),
  kv: fc.record({ mount: validPath }),
  secretsPath: validPath,
  policy: fc.record({ profile: fc.constantFrom('documented', 'strict'), lookupSelf: fc.boolean() }),
  tokenTtl: validTtl,
  wrapTtl: validTtl,
  controllers: fc.uniqueArray(fc.record({ name: validName, cidrs: fc.option(fc.array(validCidr, { minLength: 1, maxLength: 3 }), { nil: undefined }) }), {
    minLength: 1,
    maxLength: 4,
    selector: (controller) => controller.name,
  }),
});

type Config = Record<string, any>;
/** One hostile change to an otherwise valid config. */
const mutation = fc.oneof(
  hostilePath.map((value) => (config: Config) => ({ ...config, kv: { mount: value } })),
  hostilePath.map((value) => (config: Config) => ({ ...config, secretsPath: value })),
  hostileName.map((value) => (config: Config) => ({ ...config, site: value })),
  hostileName.map((value) => (config: Config) => ({ ...config, controllers: [...config.controllers, { name: value }] })),
  hostileTtl.map((value) => (config: Config) => ({ ...config, tokenTtl: value })),
  hostileTtl.map((value) => (config: Config) => ({ ...config, wrapTtl: value })),
  hostileCidr.map((value) => (config: Config) => ({ ...config, controllers: [{ ...config.controllers[0], cidrs: [value] }, ...config.controllers.slice(1)] })),
  fc.constantFrom('open', 'STRICT', '').map((value) => (config: Config) => ({ ...config, policy: { profile: value } })),
  fc.constantFrom('colour', 'constructor').map((key) => (config: Config) => ({ ...config, [key]: 1 })),
  fc.constant((config: Config) => ({ ...config, controllers: [...config.controllers, { name: config.controllers[0].name }] })),
);

/** Half untouched, half with one or two hostile changes. */
const configArbitrary = fc
  .tuple(validConfig, fc.oneof(fc.constant([]), fc.array(mutation, { minLength: 1, maxLength: 2 })))
  .map(([config, mutations]) => mutations.reduce((current: Config, mutate) => mutate(current), config as Config));

const FIELD =
  /^(site|vault(\.\w+)?|kv(\.\w+)?|secretsPath|policy(\.\w+)?|tokenTtl|wrapTtl|tokenMaxTtl|controllers(\[\d+\](\.(name|cidrs)(\[\d+\])?)?)?|colour|constructor)(: |$)/;

describe('generated configs', () => {
  let accepted = 0;
  let rejected = 0;

  afterAll(() => {
    // Both sides must be exercised, or the property proves little.
    expect(accepted).toBeGreaterThan(300);
    expect(rejected).toBeGreaterThan(300);
  });

  it('are either rejected with every problem naming its field, or render a policy confined to the secrets path', async () => {
    await fc.assert(
      fc.asyncProperty(configArbitrary, async (input) => {
        let config;
        try {
          config = validateConfig(input, { env: {}, source: 'maas-vault.json' });
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          for (const problem of (error as ConfigError).problems) expect(problem).toMatch(FIELD);
          expect((error as Error).message).not.toMatch(/\n\s+at /);
          rejected += 1;
          return;
        }
        accepted += 1;
        for (const profile of ['documented', 'strict'] as const) {
          const hcl = renderMaasPolicy({ mount: config.kv.mount, path: config.secretsPath, profile, lookupSelf: config.policy.lookupSelf });
          const grants = await grantsOf(hcl);
          expect(grantsOutside(grants, config.kv.mount, config.secretsPath, config.policy.lookupSelf)).toEqual([]);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('named attacks through the CLI: exit 2, the field named, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'maas-vault-attack-'));
  const base = { site: 'lab', vault: { address: 'http://127.0.0.1:8200' }, controllers: [{ name: 'region-1' }] };
  const attacks: Array<[string, Record<string, unknown>, string]> = [
    ['policy injection through the mount (quote and brace)', { kv: { mount: 'secret" {} path "sys/*' } }, 'kv.mount: '],
    ['policy injection through the path (newline)', { secretsPath: 'maas/*"\n}\npath "sys/*" {\n capabilities=["sudo"]' }, 'secretsPath: '],
    ['a glob in the path', { secretsPath: 'maas/+/x' }, "secretsPath: must not contain '*' or '+'"],
    ['climbing out of the path', { secretsPath: 'maas/../../sys' }, "secretsPath: must not contain '..'"],
    ['an empty path granting the whole mount', { secretsPath: '' }, 'secretsPath: must not be empty'],
    ["a controller name reaching another role's path", { controllers: [{ name: '../maas-lab-admin' }] }, 'controllers[0].name: must be a hostname'],
    ['a controller name with a slash', { controllers: [{ name: 'region-1/secret-id' }] }, 'controllers[0].name: must be a hostname'],
    ['a TTL overflow', { tokenTtl: '9223372036854775807s' }, 'tokenTtl: "9223372036854775807s" is out of range'],
    ['a CIDR that is not a CIDR', { controllers: [{ name: 'region-1', cidrs: ['0.0.0.0/0; rm -rf /'] }] }, 'controllers[0].cidrs[0]: '],
    ['a policy name replacing a built-in one', { policy: { name: 'root' } }, "policy.name: must not be 'root'"],
  ];

  it.each(attacks)('%s', async (_, overrides, message) => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify({ ...base, ...overrides }));
    const result = await runCli(['synth', '--config', path]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a 10 MB config file', async () => {
    const path = join(dir, 'huge.json');
    writeFileSync(path, JSON.stringify({ ...base, padding: 'x'.repeat(10 * 1024 * 1024) }));
    const result = await runCli(['synth', '--config', path]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('a config may be at most 1 MiB');
  });

  it.each([
    ['config.json', '\u0000\u0001binary'],
    ['config.yaml', 'site: [unclosed\n  - {'],
    ['config.json', 'site = "lab"'],
  ])('a %s that is not JSON/YAML', async (name, text) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    const result = await runCli(['synth', '--config', path]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/is not valid (JSON|YAML)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
