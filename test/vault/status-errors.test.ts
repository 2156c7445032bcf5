/**
 * status reads many paths at once. When the token lacks several permissions, the error it reports
 * must not depend on which answer happens to arrive first: the same token, the same message.
 */
import { checkStatus } from '../../vault/status.js';
import { VaultPermissionError } from '../../vault/errors.js';
import type { VaultClient } from '../../vault/client.js';
import { testConfig } from '../support/configs.js';

/** A Vault that denies every authenticated read; `slow` paths answer later than the rest. */
function denyingVault(slow: RegExp): VaultClient {
  const answer = async (path: string, method: string) => {
    if (path === 'sys/leader') return { ha_enabled: false };
    await new Promise((resolve) => setTimeout(resolve, slow.test(path) ? 30 : 1));
    throw new VaultPermissionError(path, method === 'list' ? 'list' : 'read');
  };
  return {
    address: 'http://127.0.0.1:1',
    sealStatus: async () => ({ sealed: false, initialized: true, version: '2.7.2' }),
    read: (path: string) => answer(path, 'read'),
    list: (path: string) => answer(path, 'list'),
  } as unknown as VaultClient;
}

describe('checkStatus with a token that lacks several permissions', () => {
  it.each([[/^sys\/auth/], [/^sys\/mounts/], [/^sys\/policies/]])('names the first check (the approle mount) even when %s answers last', async (slow) => {
    const failure = checkStatus(denyingVault(slow), testConfig());
    await expect(failure).rejects.toThrow(/do not grant "read" on sys\/auth/);
  });
});
