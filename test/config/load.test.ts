import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigFile, MAX_CONFIG_BYTES } from '../../config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'maas-vault-load-'));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(path: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfigFile(path, { env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

const yamlConfig = `site: lab
vault:
  address: https://vault.example.com:8200
kv:
  mount: kv-maas
secretsPath: maas/site-a
controllers:
  - name: region-1
  - name: region-2
    cidrs: [10.0.0.2/32]
`;

describe('loadConfigFile', () => {
  it('reads YAML by extension, resolving workDir beside the file', () => {
    const config = loadConfigFile(write('maas-vault.yaml', yamlConfig), { env: {} });
    expect(config.kv.mount).toBe('kv-maas');
    expect(config.controllers[1].cidrs).toEqual(['10.0.0.2/32']);
    expect(config.workDir).toBe(join(dir, '.maas-vault', 'lab'));
  });

  it('reads JSON and the shipped example', () => {
    const config = loadConfigFile(new URL('../../examples/maas-vault.json', import.meta.url).pathname, { env: {} });
    expect(config.controllers.map((controller) => controller.name)).toEqual(['region-1', 'region-2', 'region-3']);
  });

  it('says when the file is missing', () => {
    expect(failure(join(dir, 'nope.json')).message).toBe(
      `${join(dir, 'nope.json')}: file not found: pass --config with the path of your maas-vault.json or .yaml`,
    );
  });

  it('refuses a file over 1 MiB before parsing it', () => {
    const path = write('huge.json', `{"site":"lab","pad":"${'x'.repeat(10 * 1024 * 1024)}"}`);
    expect(failure(path).message).toBe(`${path}: is larger than 1 MiB: a config may be at most 1 MiB (a 1,000-controller site fits in 100 KiB)`);
    expect(MAX_CONFIG_BYTES).toBe(1024 * 1024);
  });

  describe('only a regular file is read, and never more than 1 MiB of it', () => {
    it('/dev/zero (no size to check beforehand): refused by what it is, at once', () => {
      const started = Date.now();
      expect(failure('/dev/zero').message).toBe(
        '/dev/zero: is a character device, not a regular file: pass --config the config file itself (e.g. maas-vault.json or maas-vault.yaml)',
      );
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('a FIFO nobody writes to: refused, not waited on', () => {
      const fifo = join(dir, 'config.fifo.json');
      execFileSync('mkfifo', [fifo]);
      expect(failure(fifo).message).toBe(
        `${fifo}: is a FIFO (named pipe), not a regular file: pass --config the config file itself (e.g. maas-vault.json or maas-vault.yaml)`,
      );
    });

    it('a directory', () => {
      expect(failure(dir).message).toBe(`${dir}: is a directory: pass --config the config file itself (e.g. maas-vault.json or maas-vault.yaml)`);
    });

    // /proc/kallsyms is a regular file whose size says 0 and which reads as megabytes: the cap
    // must count what is read. Skipped where this kernel shows less than the cap.
    const kallsyms = (() => {
      try {
        return execFileSync('head', ['-c', String(MAX_CONFIG_BYTES + 1), '/proc/kallsyms'], { maxBuffer: 4 * MAX_CONFIG_BYTES }).length > MAX_CONFIG_BYTES;
      } catch {
        return false;
      }
    })();
    (kallsyms ? it : it.skip)('a regular file whose size says 0 but reads as more than 1 MiB (/proc/kallsyms): the cap counts what is read', () => {
      expect(statSync('/proc/kallsyms').size).toBe(0);
      expect(failure('/proc/kallsyms').message).toBe(
        '/proc/kallsyms: is larger than 1 MiB: a config may be at most 1 MiB (a 1,000-controller site fits in 100 KiB)',
      );
    });
  });

  describe('duplicate JSON keys are refused, as YAML refuses them', () => {
    const base = { site: 'lab', vault: { address: 'https://v:8200' } };
    it('a second "controllers" key, naming the key and both lines', () => {
      const text = `{\n  "site": "lab",\n  "vault": {"address": "https://v:8200"},\n  "controllers": [{"name": "a"}, {"name": "b"}, {"name": "c"}],\n  "controllers": [{"name": "a"}]\n}\n`;
      const path = write('dup-controllers.json', text);
      expect(failure(path).message).toBe(
        `${path}: key "controllers" appears twice at the top level, at line 4 and again at line 5, column 3: keys must be unique (JSON readers differ on which one counts): keep one of them`,
      );
    });

    it('in a nested object, and spelled with an escape', () => {
      const text = `${JSON.stringify(base).slice(0, -2)}, "\\u0061ddress": "https://w:8200"}, "controllers": [{"name": "a"}]}`;
      const path = write('dup-nested.json', text);
      expect(JSON.parse(text).vault).toEqual({ address: 'https://w:8200' });
      expect(failure(path).message).toMatch(
        new RegExp(`^${path}: key "address" appears twice in vault, at line 1 and again at line 1, column \\d+: keys must be unique`),
      );
    });

    it('in a list item', () => {
      const path = write('dup-item.json', `${JSON.stringify(base).slice(0, -1)}, "controllers": [{"name": "a"}, {"name": "b", "name": "c"}]}`);
      expect(failure(path).message).toMatch(/key "name" appears twice in controllers\[1\], /);
    });

    it('equal keys in different objects are fine', () => {
      const path = write('no-dup.json', JSON.stringify({ ...base, controllers: [{ name: 'a' }, { name: 'b' }] }));
      expect(loadConfigFile(path, { env: {} }).controllers).toHaveLength(2);
    });
  });

  it.each([
    ['JSON', 'bom.json', JSON.stringify({ site: 'lab', vault: { address: 'https://v:8200' }, controllers: [{ name: 'a' }] })],
    ['YAML', 'bom.yaml', yamlConfig],
  ])('a UTF-8 byte order mark in front of %s is accepted', (_, name, text) => {
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(loadConfigFile(path, { env: {} }).site).toBe('lab');
  });

  it('says what is wrong with text that is not JSON', () => {
    const path = write('broken.json', '{"site": "lab",');
    expect(failure(path).message).toBe(
      `${path}: is not valid JSON: syntax error at line 1, column 16 (the file's text is not repeated here: it could hold a secret)`,
    );
  });

  it('says what is wrong with text that is not YAML', () => {
    const path = write('broken.yaml', 'site: lab\n  vault: [\n');
    expect(failure(path).message).toMatch(new RegExp(`^${path}: is not valid YAML: syntax error at line \\d+, column \\d+ `));
  });

  it('refuses YAML alias bombs', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level += 1) {
      lines.push(
        `${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + level)}`)
          .join(',')}]`,
      );
    }
    const path = write('bomb.yaml', lines.join('\n'));
    expect(failure(path).message).toMatch(/is not valid YAML: too many aliases/);
  });

  it('refuses YAML with duplicate keys', () => {
    const path = write('dup.yaml', 'site: lab\nsite: other\n');
    expect(failure(path).message).toMatch(/is not valid YAML: a key appears twice in one map \(map keys must be unique\) at line 2, column 1/);
  });

  it('a CA bundle that is a FIFO is refused, not waited on (the client and the engine each read it again)', () => {
    const fifo = join(dir, 'ca.fifo');
    execFileSync('mkfifo', [fifo]);
    const path = write('ca-fifo.json', JSON.stringify({ site: 'lab', vault: { address: 'https://v:8200', caCert: 'ca.fifo' }, controllers: [{ name: 'a' }] }));
    expect(failure(path).message).toBe(
      `${path}: vault.caCert: file ${fifo} is a FIFO (named pipe), not a PEM file: give the path of the PEM bundle that signed Vault's certificate`,
    );
  });

  it('checks that the CA bundle exists', () => {
    const path = write('ca.json', JSON.stringify({ site: 'lab', vault: { address: 'https://v:8200', caCert: 'missing.pem' }, controllers: [{ name: 'a' }] }));
    expect(failure(path).message).toBe(
      `${path}: vault.caCert: file ${join(dir, 'missing.pem')} does not exist: give the path of the PEM bundle that signed Vault's certificate`,
    );
  });

  describe('never repeats the file’s text, which may hold a pasted token', () => {
    const token = 'hvs.CAESIJ3rPastedByMistakeNotAConfig0123456789abcdef';
    it.each([
      ['JSON', 'token.json', `${token}\n{"site": "lab"}`, 'is not valid JSON: syntax error at line 1, column 1'],
      ['JSON, second line', 'token2.json', `{"site": "lab",\n  ${token}: 1}`, 'is not valid JSON: syntax error at line 2, column 3'],
      ['YAML', 'token.yaml', `site: lab\nvault: {address: ${token}\n`, 'is not valid YAML: syntax error at line '],
    ])('%s', (_, name, text, expected) => {
      const path = write(name, text);
      const message = failure(path).message;
      expect(message.startsWith(`${path}: ${expected}`)).toBe(true);
      expect(message).not.toContain('hvs.');
      expect(message).not.toContain(token.slice(4, 12));
    });

    it('nor a token pasted into a field', () => {
      const path = write(
        'field.json',
        JSON.stringify({ site: 'lab', vault: { address: token }, tokenTtl: token, controllers: [{ name: 'a', cidrs: [token] }] }),
      );
      const message = failure(path).message;
      expect(message).toContain('vault.address');
      expect(message).toContain('tokenTtl');
      expect(message).not.toContain(token.slice(4, 12));
    });
  });

  describe('addresses', () => {
    const json = JSON.stringify({ site: 'lab', vault: { address: 'https://vault.example.test:8200' }, controllers: [{ name: 'a' }] });
    it('region controllers are told the file’s vault.address, whatever VAULT_ADDR says', () => {
      const config = loadConfigFile(write('addr.json', json), { env: { VAULT_ADDR: 'http://127.0.0.1:18731' } });
      expect(config.vault.address).toBe('http://127.0.0.1:18731');
      expect(config.vault.maasAddress).toBe('https://vault.example.test:8200');
      expect(config.vault.addressFromEnv).toBe(true);
    });

    it('vault.maasAddress wins for them when set', () => {
      const withMaas = JSON.stringify({
        ...JSON.parse(json),
        vault: { address: 'https://admin.example.test:8200', maasAddress: 'https://maas.example.test:8200' },
      });
      const config = loadConfigFile(write('addr2.json', withMaas), { env: { VAULT_ADDR: 'http://127.0.0.1:18731' } });
      expect([config.vault.address, config.vault.maasAddress, config.vault.maasAddressKey]).toEqual([
        'http://127.0.0.1:18731',
        'https://maas.example.test:8200',
        'vault.maasAddress',
      ]);
    });
  });
});
