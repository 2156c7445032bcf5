/**
 * Which server answers, from the unauthenticated seal-status each one gives (bodies as OpenBao
 * 2.7.2 and HashiCorp Vault 1.17.6 dev servers answered here), and what each is sent.
 */
import { flavourOf, isForwardingHeaderRefusal, profileOf, sendsConsistencyHeaders } from '../../vault/server-flavour.js';

const OPENBAO = {
  type: 'shamir',
  initialized: true,
  sealed: false,
  version: '2.7.2',
  commit_date: '2026-10-26T20:32:27Z',
  cluster_id: '3ad01de5-66fb-9424-09a1-f7449a4be5c6',
  storage_type: 'inmem',
};
const VAULT = {
  type: 'shamir',
  initialized: true,
  sealed: false,
  version: '1.17.6',
  build_date: '',
  cluster_id: '9cc8a048-c41a-2507-248d-3b4ed6b5bfe0',
  storage_type: 'inmem',
};

it('tells OpenBao from HashiCorp Vault by the field each names its build date with, even when it is empty', () => {
  expect(flavourOf(OPENBAO)).toBe('OpenBao');
  expect(flavourOf(VAULT)).toBe('Vault');
  // A proxy that strips both fields: the version numbering decides (OpenBao counts from 2.0).
  expect(flavourOf({ version: '2.1.0' })).toBe('OpenBao');
  expect(flavourOf({ version: '1.21.4' })).toBe('Vault');
});

it('sends the consistency headers to OpenBao and Vault Enterprise, never to the community edition', () => {
  expect(sendsConsistencyHeaders(profileOf(OPENBAO))).toBe(true);
  expect(sendsConsistencyHeaders(profileOf(VAULT))).toBe(false);
  expect(profileOf({ ...VAULT, version: '1.17.6+ent' })).toMatchObject({ flavour: 'Vault', enterprise: true });
  expect(sendsConsistencyHeaders(profileOf({ ...VAULT, version: '1.17.6+ent' }))).toBe(true);
});

it("recognises HashiCorp Vault's refusal of the headers by its words, and nothing else", () => {
  expect(isForwardingHeaderRefusal(400, ['forwarding via header X-Vault-Inconsistent=forward-active-node disabled in configuration'])).toBe(true);
  expect(isForwardingHeaderRefusal(400, ['missing client token'])).toBe(false);
  expect(isForwardingHeaderRefusal(403, ['forwarding via header X-Vault-Inconsistent=forward-active-node disabled in configuration'])).toBe(false);
});
