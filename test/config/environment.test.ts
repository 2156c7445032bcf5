/**
 * The environment as the vault and bao CLIs' users export it: OpenBao's BAO_ spellings, VAULT_FORMAT,
 * and what maas-vault must refuse rather than ignore (a namespace MAAS cannot log in to,
 * VAULT_SKIP_VERIFY, whitespace around a value).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, validateConfig } from '../../config/index.js';
import { vaultToken } from '../../cli/context.js';
import { configInput, problemsOf } from '../support/configs.js';

const dir = mkdtempSync(join(tmpdir(), 'maas-vault-env-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\n');

function load(env: NodeJS.ProcessEnv) {
  return validateConfig(configInput({ vault: { address: 'https://vault.example.test:8200' } }), { env, source: 'maas-vault.json', baseDir: dir });
}

function refusal(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the environment to be refused');
}

describe("OpenBao's spellings", () => {
  it('BAO_ADDR and BAO_CACERT stand in for VAULT_ADDR and VAULT_CACERT, and messages name them', () => {
    const config = load({ BAO_ADDR: 'http://127.0.0.1:18200', BAO_CACERT: caFile });
    expect([config.vault.address, config.vault.caCert, config.vault.maasAddress]).toEqual([
      'http://127.0.0.1:18200',
      caFile,
      'https://vault.example.test:8200',
    ]);
    expect(config.vault.origin).toEqual({ address: 'BAO_ADDR', caCert: 'BAO_CACERT' });
    expect(problemsOf(configInput(), { BAO_ADDR: 'not a url' })).toEqual([
      'BAO_ADDR (from the environment; it overrides vault.address): "not a url" is not a URL: write it as https://vault.example.com:8200',
    ]);
  });

  it('the VAULT_ spelling wins when both are set', () => {
    const config = load({ VAULT_ADDR: 'http://127.0.0.1:1', BAO_ADDR: 'http://127.0.0.1:2' });
    expect([config.vault.address, config.vault.origin?.address]).toEqual(['http://127.0.0.1:1', 'VAULT_ADDR']);
  });

  it('BAO_TOKEN is the token when VAULT_TOKEN is not set; VAULT_TOKEN wins over it', () => {
    expect(vaultToken('test', { BAO_TOKEN: 's.bao', HOME: dir })).toBe('s.bao');
    expect(vaultToken('test', { VAULT_TOKEN: 's.vault', BAO_TOKEN: 's.bao', HOME: dir })).toBe('s.vault');
  });
});

describe('namespaces: MAAS sends no namespace header', () => {
  it.each(['VAULT_NAMESPACE', 'BAO_NAMESPACE'])('%s exported is refused, saying why', (variable) => {
    const error = refusal(() => load({ [variable]: 'team-a' }));
    expect(error.source).toBe('environment');
    expect(error.message).toBe(
      `environment: ${variable}="team-a": MAAS sends no namespace header (hvac, its Vault client, is never given one), so region controllers could not log in to roles made inside a namespace: ` +
        `unset ${variable} (maas-vault works in the root namespace, where MAAS logs in)`,
    );
  });

  it('vault.namespace in the file is refused, saying why', () => {
    expect(problemsOf(configInput({ vault: { address: 'http://127.0.0.1:8200', namespace: 'team-a' } }))).toEqual([
      'vault.namespace: MAAS sends no namespace header (hvac, its Vault client, is never given one), so region controllers could not log in to roles made inside a namespace: ' +
        'remove vault.namespace (maas-vault works in the root namespace, where MAAS logs in)',
    ]);
  });

  it('an empty VAULT_NAMESPACE is unset, as for the vault CLI', () => {
    expect(load({ VAULT_NAMESPACE: '' }).vault.address).toBe('https://vault.example.test:8200');
  });
});

describe('VAULT_SKIP_VERIFY is never silently ignored', () => {
  it.each([
    ['VAULT_SKIP_VERIFY', '1'],
    ['VAULT_SKIP_VERIFY', 'true'],
    ['VAULT_SKIP_VERIFY', 'T'],
    ['BAO_SKIP_VERIFY', 'TRUE'],
  ])('%s=%s is refused, naming the CA setting instead', (variable, value) => {
    expect(refusal(() => load({ [variable]: value })).message).toBe(
      `environment: ${variable} is set: maas-vault always verifies Vault's certificate, as MAAS does on every region controller: ` +
        "unset it, and set VAULT_CACERT (or vault.caCert) to the PEM bundle of the CA that signed Vault's certificate",
    );
  });

  it('a value the vault CLI could not parse is refused too', () => {
    expect(refusal(() => load({ VAULT_SKIP_VERIFY: 'yes' })).message).toBe('environment: VAULT_SKIP_VERIFY="yes": is not true or false; unset it');
  });

  it.each(['0', 'false', 'F'])('VAULT_SKIP_VERIFY=%s asks for what maas-vault does anyway: accepted', (value) => {
    expect(load({ VAULT_SKIP_VERIFY: value }).vault.address).toBe('https://vault.example.test:8200');
  });
});

describe('VAULT_WRAP_TTL is never passed on to the engine', () => {
  // The provider's Vault client wraps every response under it: its own child token comes back
  // wrapped and it panics on the first plan, a Go stack trace instead of a refusal.
  it.each(['VAULT_WRAP_TTL', 'BAO_WRAP_TTL'])('%s is refused, naming wrapTtl and --wrap-ttl instead', (variable) => {
    expect(refusal(() => load({ [variable]: '5m' })).message).toBe(
      `environment: ${variable} is set: the vault CLI response-wraps every answer under it, and so would the engine's provider, which then cannot plan; ` +
        'maas-vault wraps exactly the secret IDs it hands out, for wrapTtl in the config (or --wrap-ttl of credentials and rotate): unset it',
    );
  });
});

describe('whitespace around a value is refused, naming the variable', () => {
  it.each([
    ['VAULT_ADDR', ' http://127.0.0.1:8200', 'starts with whitespace'],
    ['BAO_ADDR', 'http://127.0.0.1:8200\n', 'ends with whitespace'],
    ['VAULT_CACERT', `${caFile} `, 'ends with whitespace'],
    ['BAO_CACERT', `\t${caFile}`, 'starts with whitespace'],
    ['VAULT_FORMAT', 'json ', 'ends with whitespace'],
    ['VAULT_MAX_RETRIES', ' 3 ', 'starts and ends with whitespace'],
    ['MAAS_VAULT_ENGINE', 'tofu ', 'ends with whitespace'],
    ['MAAS_VAULT_LOCK_WAIT', '5\n', 'ends with whitespace'],
    ['MAAS_VAULT_PROVIDER_MIRROR', ' /srv/mirror', 'starts with whitespace'],
    ['PG_CONN_STR', 'postgres://u@h/db ', 'ends with whitespace'],
    ['VAULT_NAMESPACE', ' ', 'is only whitespace'],
  ])('%s=%j', (variable, value, where) => {
    expect(refusal(() => load({ [variable]: value })).message).toBe(
      `environment: ${variable} ${where}: export it without the spaces, tabs or newlines around the value (or unset it)`,
    );
  });

  it('VAULT_TOKEN with a trailing newline is refused, and the token is never repeated', () => {
    const token = 'hvs.CAESIAbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    const error = refusal(() => vaultToken('test', { VAULT_TOKEN: `${token}\n`, HOME: dir }));
    expect(error.message).toBe('environment: VAULT_TOKEN ends with whitespace: export it without the spaces, tabs or newlines around the value (or unset it)');
    expect(error.message).not.toContain(token.slice(4, 12));
  });

  it('every problem at once', () => {
    expect(refusal(() => load({ VAULT_ADDR: ' x', BAO_TOKEN: 'y ' })).problems).toHaveLength(2);
  });
});

describe('VAULT_FORMAT', () => {
  it('anything but json or table is refused', () => {
    expect(refusal(() => load({ VAULT_FORMAT: 'yaml' })).message).toBe(
      'environment: VAULT_FORMAT="yaml": only json is supported (the same as --json); unset it for output for people',
    );
  });
});

describe('vault.address in the file', () => {
  it.each([' https://vault.example.test:8200', 'https://vault.example.test:8200\n', 'https://vault.exa\tmple.test:8200'])(
    '%j: whitespace the URL parser would drop is refused',
    (address) => {
      expect(problemsOf(configInput({ vault: { address } }))).toEqual([
        `vault.address: "${JSON.stringify(address).slice(1, -1)}" contains whitespace: write the URL alone, e.g. https://vault.example.com:8200`,
      ]);
    },
  );
});
