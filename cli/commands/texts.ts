/**
 * Every command's usage line and one-line description, apart from the command itself: the CLI
 * lists every command from here (for --help and suggestions) and loads only the one being run.
 */
export const COMMAND_TEXT = {
  synth: {
    command: 'synth',
    describe: 'Write the Terraform JSON of the stack (no Vault access)',
  },
  plan: {
    command: 'plan',
    describe: 'Show what apply would change in Vault',
  },
  apply: {
    command: 'apply',
    describe: 'Create or update approle, the KV mount, the MAAS policy and one AppRole per region controller; print their configure commands',
  },
  destroy: {
    command: 'destroy',
    describe: 'Remove what the stack created (adopted mounts and their data, and an approle/ other roles live under, are left alone)',
  },
  output: {
    command: 'output',
    describe: 'Print role IDs, wrapping tokens and configure commands of the applied stack (reads state; no Vault token needed)',
  },
  encryptState: {
    command: 'encrypt-state',
    describe: "Encrypt a site's existing clear state once, after adding state.encryption (OpenTofu; no Vault access)",
  },
  credentials: {
    command: 'credentials',
    describe: 'Issue a fresh response-wrapped secret ID per region controller, straight through the Vault API (the CI path)',
  },
  verifyToken: {
    command: 'verify-token [token]',
    describe:
      "On a region controller, before `maas config-vault configure`: check that a wrapping token is unused, unexpired and was issued for this controller's role (never unwraps it)",
  },
  verify: {
    command: 'verify',
    describe: "Run MAAS's whole `configure` sequence per controller with a throwaway secret ID (destroyed afterwards)",
  },
  status: {
    command: 'status',
    describe: 'Check Vault against the config: reachable, unsealed, approle, KV-v2, policies, roles, secret IDs (exit 4 on drift)',
  },
  rotate: {
    command: 'rotate',
    describe:
      "Rotate region controllers' secret IDs without an outage: issue new ones now, destroy the old ones with --finish once each region runs on its new one",
  },
  revoke: {
    command: 'revoke',
    describe: "Break-glass: destroy every secret ID of a controller's role and end its live tokens, so it is locked out",
  },
  policy: {
    command: 'policy <which>',
    describe: 'Print a rendered policy: maas (region controllers), issuer (CI), admin (whoever applies the stack)',
  },
  dev: {
    command: 'dev',
    describe:
      'The embedded default: start a local OpenBao (or --server vault: HashiCorp Vault) dev server, apply the example config (or --config), print the commands, verify',
  },
  version: {
    command: 'version',
    describe: "Print maas-vault's version (the same as --version)",
  },
} as const;

export type CommandKey = keyof typeof COMMAND_TEXT;

/** What a user types: the first word of the usage line. */
export function commandName(key: CommandKey): string {
  return COMMAND_TEXT[key].command.split(' ')[0];
}
