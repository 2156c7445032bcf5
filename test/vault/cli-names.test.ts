/**
 * Commands in messages name the server's own CLI when it said which it is (`bao` for OpenBao,
 * `vault` for HashiCorp Vault), and both, in one form, when it could not: `bao X` (or `vault X`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vaultToken } from '../../cli/context.js';
import { VaultNoLeaderError } from '../../vault/cluster-errors.js';
import { VaultSealedError, VaultTokenRefusedError } from '../../vault/errors.js';
import { cliCommand, type ServerFlavour } from '../../vault/server-flavour.js';
import { VaultTokenEndedError } from '../../vault/token-life.js';

const ADDRESS = 'http://127.0.0.1:8200';

it("cliCommand: the server's own CLI when known, both (OpenBao's first) when not", () => {
  expect(cliCommand('OpenBao', 'login')).toBe('`bao login`');
  expect(cliCommand('Vault', 'login')).toBe('`vault login`');
  expect(cliCommand(undefined, 'login')).toBe('`bao login` (or `vault login`)');
});

describe.each([
  ['OpenBao', 'bao', 'vault'],
  ['Vault', 'vault', 'bao'],
] as const)('on %s', (flavour: ServerFlavour, own, other) => {
  it.each([
    ['a refused token', () => new VaultTokenRefusedError(ADDRESS, flavour).message, `Export a valid token (\`${own} login\` or VAULT_TOKEN)`],
    ['a token that ended', () => new VaultTokenEndedError(ADDRESS, 'it expired', 'Nothing was done.', flavour).message, `(VAULT_TOKEN or \`${own} login\`)`],
    ['a cluster without a leader', () => new VaultNoLeaderError(ADDRESS, 4, '503', flavour).message, `Check \`${own} operator raft list-peers\`, then`],
  ])('%s names `%s`', (_, message, expected) => {
    expect(message()).toContain(expected);
    expect(message()).not.toContain(`\`${other} `);
  });
});

it.each([
  ['a refused token', () => new VaultTokenRefusedError(ADDRESS, undefined).message, 'Export a valid token (`bao login` (or `vault login`) or VAULT_TOKEN)'],
  [
    'a token that ended',
    () => new VaultTokenEndedError(ADDRESS, 'it expired', 'Nothing was done.', undefined).message,
    '(VAULT_TOKEN or `bao login` (or `vault login`))',
  ],
  [
    'a cluster without a leader',
    () => new VaultNoLeaderError(ADDRESS, 4, '503', undefined).message,
    'Check `bao operator raft list-peers` (or `vault operator raft list-peers`), then',
  ],
  [
    'a sealed server that did not say which it is',
    () => new VaultSealedError(ADDRESS).message,
    'unseal it with `bao operator unseal` (or `vault operator unseal`), then',
  ],
  ['no token at all (no server asked yet)', () => missingTokenMessage(), 'as `bao login` (or `vault login`) leaves, nor BAO_TOKEN'],
])('%s, the server unknown: both CLIs, in the one form', (_, message, expected) => {
  expect(message()).toContain(expected);
});

function missingTokenMessage(): string {
  try {
    vaultToken('read things', { HOME: mkdtempSync(join(tmpdir(), 'maas-vault-no-token-')) });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('a token was found');
}
