/**
 * OpenTofu for the tests that need it (state encryption): MAAS_VAULT_TOFU, else the one the
 * toolchain recorded (the main engine, `tofu` on PATH, or its own build). Without any, those
 * suites are jest's visible skip, and the toolchain report says why OpenTofu is missing.
 */
import { readToolchain } from '../../toolchain/index.js';
import { describeE2E } from './tiers.js';

function findTofu(): string | undefined {
  if (process.env.MAAS_VAULT_TOFU) return process.env.MAAS_VAULT_TOFU;
  const { opentofu } = readToolchain();
  return opentofu.found ? opentofu.path : undefined;
}

export const tofuPath = findTofu();

export const describeWithTofu: jest.Describe = tofuPath ? describeE2E : describe.skip;
