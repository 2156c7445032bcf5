import { problemsOf, configInput, testConfig } from '../support/configs.js';
import { defaultPolicyName } from '../../config/index.js';

describe('config defaults', () => {
  it('fills the MAAS documentation defaults', () => {
    const config = testConfig();
    expect(config.approle).toEqual({ mount: 'approle', adopt: false });
    expect(config.kv).toEqual({ mount: 'secret', adopt: false });
    expect(config.secretsPath).toBe('maas');
    expect(config.policy).toEqual({ name: defaultPolicyName(config), profile: 'documented', lookupSelf: false, adopt: false });
    expect(config.tokenTtl).toBe('5m');
    expect(config.wrapTtl).toBe('5m');
    expect(config.tokenMaxTtl).toBeUndefined();
    expect(config.secretIdTtl).toBeUndefined();
    expect(config.generation).toBe(1);
    expect(config.stackSecretIds).toBe(true);
    expect(config.issuer.enabled).toBe(false);
  });

  it('accepts nested secrets paths, custom mounts and CIDR bindings', () => {
    const config = testConfig({
      kv: { mount: 'kv-maas', maxVersions: 5 },
      secretsPath: 'maas/site-a',
      controllers: [{ name: 'region-1.example.com', cidrs: ['10.0.0.5/32', 'fd00::/64'] }],
    });
    expect(config.kv.mount).toBe('kv-maas');
    expect(config.secretsPath).toBe('maas/site-a');
    expect(config.controllers[0].cidrs).toEqual(['10.0.0.5/32', 'fd00::/64']);
  });
});

describe('config validation names the field and what is allowed', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      'unknown top-level key',
      { colour: 'blue' },
      'colour: is not a known key: allowed keys here are site, vault, approle, kv, secretsPath, policy, tokenTtl, tokenMaxTtl, secretIdTtl, wrapTtl, stackSecretIds, generation, controllers, issuer, workDir, keepLegacyNames, state',
    ],
    ['stackSecretIds not a boolean', { stackSecretIds: 'no' }, 'stackSecretIds: must be true or false, not string "no"'],
    ['unknown nested key', { kv: { mount: 'secret', mountPoint: 'x' } }, 'kv.mountPoint: is not a known key: allowed keys here are mount, adopt, maxVersions'],
    [
      'a known key in the wrong case',
      { tokenttl: '5m' },
      'tokenttl: is not a known key (did you mean tokenTtl?): allowed keys here are site, vault, approle, kv, secretsPath, policy, tokenTtl, tokenMaxTtl, secretIdTtl, wrapTtl, stackSecretIds, generation, controllers, issuer, workDir, keepLegacyNames, state',
    ],
    [
      'a known key in snake case',
      { kv: { mount: 'secret', max_versions: 3 } },
      'kv.max_versions: is not a known key (did you mean maxVersions?): allowed keys here are mount, adopt, maxVersions',
    ],
    [
      'a key one letter off, in a list item',
      { controllers: [{ name: 'a', cidr: ['10.0.0.1/32'] }] },
      'controllers[0].cidr: is not a known key (did you mean cidrs?): allowed keys here are name, role, cidrs, revoked',
    ],
    [
      'two letters swapped, nested twice',
      { state: { encryption: { passphraseEnv: 'X', passpharseEnv: 'Y' } } },
      'state.encryption.passpharseEnv: is not a known key (did you mean passphraseEnv?): allowed keys here are passphraseEnv',
    ],
    ['TTL in words', { tokenTtl: '5 minutes' }, 'tokenTtl: "5 minutes" is not a duration: write a whole number with a unit, e.g. 30s, 5m, 1h30m, 7d'],
    ['negative TTL', { tokenTtl: '-1s' }, 'tokenTtl: "-1s" is not a duration: write a whole number with a unit, e.g. 30s, 5m, 1h30m, 7d'],
    ['zero TTL', { wrapTtl: '0s' }, 'wrapTtl: "0s" is out of range: must be between 1s and 24h'],
    ['overflowing TTL', { tokenTtl: '99999999999999999999h' }, 'tokenTtl: "99999999999999999999h" is out of range: must be between 1s and 8760h (one year)'],
    ['TTL over a year', { secretIdTtl: '8761h' }, 'secretIdTtl: "8761h" is out of range: must be between 1s and 8760h (one year)'],
    ['max TTL below TTL', { tokenTtl: '1h', tokenMaxTtl: '30m' }, 'tokenMaxTtl: "30m" is shorter than tokenTtl "1h": make it at least as long'],
    ['empty controller list', { controllers: [] }, 'controllers: must list at least one region controller'],
    ['empty controller name', { controllers: [{ name: '' }] }, 'controllers[0].name: must not be empty'],
    [
      'duplicate controller name',
      { controllers: [{ name: 'a' }, { name: 'b' }, { name: 'a' }] },
      'controllers[2].name: "a" is already the name of controllers[0]: each region controller needs its own name',
    ],
    [
      'controller name reaching another role',
      { controllers: [{ name: 'x/../other' }] },
      "controllers[0].name: must be a hostname: lowercase letters, digits and '-', in labels separated by '.', starting and ending with a letter or digit",
    ],
    [
      'uppercase controller name',
      { controllers: [{ name: 'Region1' }] },
      "controllers[0].name: must be a hostname: lowercase letters, digits and '-', in labels separated by '.', starting and ending with a letter or digit",
    ],
    ['controller name too long', { controllers: [{ name: 'a'.repeat(64) }] }, 'controllers[0].name: must be at most 63 characters'],
    [
      'bad CIDR',
      { controllers: [{ name: 'a', cidrs: ['10.0.0.1'] }] },
      'controllers[0].cidrs[0]: "10.0.0.1" is not a CIDR block: write an address and a prefix length, e.g. 10.0.0.5/32 or fd00::/64',
    ],
    ['CIDR prefix too long', { controllers: [{ name: 'a', cidrs: ['10.0.0.0/33'] }] }, 'controllers[0].cidrs[0]: "10.0.0.0/33" has a prefix length over 32'],
    ['empty CIDR list', { controllers: [{ name: 'a', cidrs: [] }] }, 'controllers[0].cidrs: must list at least one CIDR block, or leave the key out'],
    [
      'approle elsewhere',
      { approle: { mount: 'maas-approle' } },
      "approle.mount: must be 'approle': MAAS logs in at auth/approle/login and cannot use another mount",
    ],
    ['mount with ..', { kv: { mount: 'kv/../sys' } }, "kv.mount: must not contain '..'"],
    ['mount with *', { kv: { mount: 'kv*' } }, "kv.mount: must not contain '*' or '+': they are wildcards in Vault policies"],
    ['path with +', { secretsPath: 'maas/+' }, "secretsPath: must not contain '*' or '+': they are wildcards in Vault policies"],
    [
      'path with a quote',
      { secretsPath: 'maas"}' },
      "secretsPath: may contain only letters, digits, '-', '_', '.' and '/' between segments (no spaces, quotes or newlines)",
    ],
    [
      'path with a space',
      { secretsPath: 'maas secrets' },
      "secretsPath: may contain only letters, digits, '-', '_', '.' and '/' between segments (no spaces, quotes or newlines)",
    ],
    [
      'path with a newline',
      { secretsPath: 'maas\npath "sys"' },
      "secretsPath: may contain only letters, digits, '-', '_', '.' and '/' between segments (no spaces, quotes or newlines)",
    ],
    ['leading slash', { secretsPath: '/maas' }, `secretsPath: must not start or end with '/' (write "maas")`],
    ['trailing slash', { kv: { mount: 'secret/' } }, `kv.mount: must not start or end with '/' (write "secret")`],
    ['empty path', { secretsPath: '' }, 'secretsPath: must not be empty: an empty secrets path would grant the whole mount'],
    ['empty segment', { secretsPath: 'maas//a' }, "secretsPath: must not contain an empty segment ('//')"],
    ['reserved mount', { kv: { mount: 'sys' } }, "kv.mount: must not be under 'sys/', which Vault reserves"],
    ['unknown policy profile', { policy: { profile: 'lax' } }, "policy.profile: must be 'documented' or 'strict'"],
    ['built-in policy name', { policy: { name: 'default' } }, "policy.name: must not be 'default', which is Vault's built-in policy"],
    ['bad site', { site: 'My Site' }, "site: must be 1-32 lowercase letters, digits or '-', starting and ending with a letter or digit"],
    ['address not a URL', { vault: { address: 'vault:8200:x' } }, 'vault.address: must start with https:// or http://'],
    [
      'address with path',
      { vault: { address: 'https://vault.example.com:8200/ui' } },
      'vault.address: must be only scheme, host and port (write "https://vault.example.com:8200")',
    ],
    // The URL parser reads an empty query or fragment as none, but every request URL built from the
    // address (ours, the engine's, hvac's on each region) would then carry the API path in it.
    [
      'address with an empty query',
      { vault: { address: 'https://vault.example.com:8200?' } },
      'vault.address: must be only scheme, host and port (write "https://vault.example.com:8200")',
    ],
    [
      'maasAddress with an empty fragment',
      { vault: { address: 'https://vault.example.com:8200', maasAddress: 'https://vault.example.com:8200#' } },
      'vault.maasAddress: must be only scheme, host and port (write "https://vault.example.com:8200")',
    ],
    [
      'address with credentials',
      { vault: { address: 'https://root:x@vault:8200' } },
      'vault.address: must not carry credentials: the token comes from VAULT_TOKEN',
    ],
    ['wrong type', { tokenTtl: 300 }, 'tokenTtl: must be a string, not number 300'],
    ['generation not whole', { generation: 1.5 }, 'generation: must be a whole number'],
    ['generation zero', { generation: 0 }, 'generation: must be 1 or more'],
  ];

  it.each(cases)('%s', (_, overrides, expected) => {
    expect(problemsOf(configInput(overrides))).toEqual([expected]);
  });

  it('reports missing required keys, with the VAULT_ADDR alternative', () => {
    expect(problemsOf({})).toEqual([
      'site: is missing: it must be a string',
      'vault: is missing: it must be an object with at least "address": the URL region controllers reach Vault at (VAULT_ADDR can override it for this tool only, not for them)',
      'controllers: is missing: it must be a list',
    ]);
    expect(problemsOf({ site: 'lab', vault: {}, controllers: [{ name: 'a' }] })).toEqual([
      'vault.address: is missing: it must be a string: the URL region controllers reach Vault at (VAULT_ADDR can override it for this tool only, not for them)',
    ]);
  });

  it('rejects a config that is not an object', () => {
    expect(problemsOf([1, 2])).toEqual(['must be an object with at least "site", "vault" and "controllers"']);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(configInput({ tokenTtl: 'x', secretsPath: '', controllers: [{ name: 'A' }] }));
    expect(problems).toHaveLength(3);
    expect(problems.map((problem) => problem.split(':')[0])).toEqual(['secretsPath', 'tokenTtl', 'controllers[0].name']);
  });
});

describe('Vault environment variables', () => {
  it('VAULT_ADDR overrides the file', () => {
    const input = configInput({ vault: { address: 'http://127.0.0.1:8200' } });
    expect(problemsOf(input, { VAULT_ADDR: 'not a url' })).toEqual([
      'VAULT_ADDR (from the environment; it overrides vault.address): "not a url" is not a URL: write it as https://vault.example.com:8200',
    ]);
    // ...but never stands in for the address region controllers are told: the file must say it.
    expect(problemsOf({ site: 'lab', controllers: [{ name: 'a' }] }, { VAULT_ADDR: 'https://vault:8200' })).toEqual([
      'vault: is missing: it must be an object with at least "address": the URL region controllers reach Vault at (VAULT_ADDR can override it for this tool only, not for them)',
    ]);
  });
});
