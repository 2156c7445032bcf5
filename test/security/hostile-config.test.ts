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
const pathLike = fc.array(fc.constantFrom(...PATH_CHARS), { minLength: 0, maxLength: 16 }).map((chars) => chars.join(''));
const nameLike = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}[a-z0-9]$/),
  fc.array(fc.constantFrom('a', 'Z', '1', '-', '.', '/', '_', '..', ' ', '\n', '*'), { minLength: 0, maxLength: 12 }).map((chars) => chars.join('')),
);
const ttlLike = fc.oneof(
  fc.constantFrom('5m', '1h30m', '300', '7d', '0s', '-1s', '5 minutes', '1e9h', '99999999999999999999h', '', '1.5h', '8761h'),
  fc.integer({ min: 0, max: 1_000_000 }).map((value) => `${value}s`),
);
const cidrLike = fc.oneof(
  fc.constantFrom('10.0.0.5/32', 'fd00::/64', '10.0.0.0/33', 'not-a-cidr', '10.0.0.1', '300.1.1.1/8', '::1/129', '10.0.0.0/8/8'),
  fc.ipV4().map((ip) => `${ip}/24`),
);

const configArbitrary = fc.record(
  {
    site: fc.oneof(fc.constant('lab'), nameLike),
    kv: fc.record({ mount: fc.oneof(fc.constantFrom('secret', 'kv-maas', 'kv/maas'), pathLike) }, { requiredKeys: [] }),
    secretsPath: fc.oneof(fc.constantFrom('maas', 'maas/site-a', 'a.b/c_d'), pathLike),
    policy: fc.record({ profile: fc.constantFrom('documented', 'strict', 'open'), lookupSelf: fc.boolean() }, { requiredKeys: [] }),
    tokenTtl: ttlLike,
    wrapTtl: ttlLike,
    controllers: fc.array(fc.record({ name: nameLike, cidrs: fc.option(fc.array(cidrLike, { maxLength: 3 }), { nil: undefined }) }), { maxLength: 4 }),
    extra: fc.option(fc.constantFrom('colour', '__proto__', 'constructor'), { nil: undefined }),
  },
  { requiredKeys: ['site', 'controllers'] },
).map(({ extra, ...config }) => ({
  vault: { address: 'http://127.0.0.1:8200' },
  ...config,
  ...(extra ? { [extra]: 1 } : {}),
  controllers: config.controllers.map(({ name, cidrs }) => (cidrs === undefined ? { name } : { name, cidrs })),
}));

const FIELD = /^(site|vault(\.\w+)?|kv(\.\w+)?|secretsPath|policy(\.\w+)?|tokenTtl|wrapTtl|tokenMaxTtl|controllers(\[\d+\](\.(name|cidrs)(\[\d+\])?)?)?|colour|__proto__|constructor)(: |$)/;

describe('generated configs', () => {
  let accepted = 0;
  let rejected = 0;

  afterAll(() => {
    // Both sides must be exercised, or the property proves little.
    expect(accepted).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(200);
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
