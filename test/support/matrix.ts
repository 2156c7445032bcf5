/**
 * The test matrix: which server (OpenBao, HashiCorp Vault) and which engine (the main one,
 * OpenTofu) this jest project runs its suites against. Each project of jest.config.js names its
 * column in `globals.__MAAS_VAULT_MATRIX__`; a suite asks here instead of the toolchain record, so
 * the same file runs once per column. Where a column's piece cannot be had, test/support/
 * matrix-setup.ts turns the whole suite into jest's visible skip before it starts anything.
 */
import { readToolchain, type Toolchain } from '../../toolchain/index.js';

export type ServerKind = 'openbao' | 'vault';
export type EngineColumn = 'main' | 'opentofu';

export interface MatrixColumn {
  server: ServerKind;
  engine: EngineColumn;
}

export function matrixColumn(): MatrixColumn {
  const declared = (globalThis as { __MAAS_VAULT_MATRIX__?: Partial<MatrixColumn> }).__MAAS_VAULT_MATRIX__ ?? {};
  return { server: declared.server ?? 'openbao', engine: declared.engine ?? 'main' };
}

export const SERVER_NAMES: Record<ServerKind, string> = { openbao: 'OpenBao', vault: 'HashiCorp Vault' };

/** The server this suite runs against, and the CLI that talks to it (`bao` or `vault`: the same commands). */
export function serverBinary(toolchain: Toolchain = readToolchain()): string {
  const { server } = matrixColumn();
  if (server === 'openbao') return toolchain.bao.path;
  if (!toolchain.vaultServer.found) throw new Error(`internal: a HashiCorp Vault suite ran without the server (${toolchain.vaultServer.reason})`);
  return toolchain.vaultServer.path;
}

export function onServer(kind: ServerKind): boolean {
  return matrixColumn().server === kind;
}

/** The server's name as its CLI prints it in commands (`bao operator unseal`, `vault operator unseal`). */
export function serverCliName(): 'bao' | 'vault' {
  return onServer('openbao') ? 'bao' : 'vault';
}

/** The engine binary of this column. */
export function enginePath(toolchain: Toolchain = readToolchain()): string {
  if (matrixColumn().engine === 'main') return toolchain.engine.path;
  if (!toolchain.opentofu.found) throw new Error(`internal: an OpenTofu suite ran without OpenTofu (${toolchain.opentofu.reason})`);
  return toolchain.opentofu.path;
}

/** Why this column cannot run here, or undefined when it can. */
export function missingPiece(toolchain: Toolchain): string | undefined {
  const { server, engine } = matrixColumn();
  if (server === 'vault' && !toolchain.vaultServer.found) return `HashiCorp Vault is missing: ${toolchain.vaultServer.reason}`;
  if (engine === 'opentofu') {
    if (!toolchain.opentofu.found) return `OpenTofu is missing: ${toolchain.opentofu.reason}`;
    if (toolchain.opentofu.path === toolchain.engine.path) return 'OpenTofu is the main engine here, so its suites already ran on it';
  }
  return undefined;
}

/** The status line's first words for this column's server, e.g. `OpenBao 2.7.2 at http://…: unsealed`. */
export function serverStatusLine(): RegExp {
  return onServer('openbao')
    ? /^OpenBao 2\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+: unsealed$/m
    : /^HashiCorp Vault 1\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+: unsealed$/m;
}

/** The environment the server's own CLI (`bao` or `vault`) reads its address and token from. */
export function serverCliEnv(address: string, token: string): Record<string, string> {
  return onServer('openbao') ? { BAO_ADDR: address, BAO_TOKEN: token } : { VAULT_ADDR: address, VAULT_TOKEN: token };
}
