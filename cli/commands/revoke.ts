import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { explainTokenRefusal, openContext, selectControllers, vaultClient, vaultToken, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { confirm, requireTerminalOrFlag } from '../prompt.js';
import { controllerRoles, revokeController } from '../../vault/credentials.js';
import { endRoleTokens, TokenSweepRefused, type EndedTokens } from '../../vault/controller-tokens.js';
import { recordRevocations } from '../revocations.js';

interface RevokeArgs extends GlobalArgs {
  controller: string[];
  autoApprove: boolean;
}

export const revokeCommand = defineCommand<RevokeArgs>({
  ...COMMAND_TEXT.revoke,
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option('controller', { type: 'string', array: true, demandOption: true, describe: 'the controller(s) to cut off' })
      .option('auto-approve', { type: 'boolean', default: false, describe: 'destroy without asking (required when not on a terminal)' })
      .example('VAULT_TOKEN=... $0 revoke --controller region-2', 'region-2 can no longer log in; then add "revoked": true to it in the config'),
  handler: async (argv) => {
    const { config, report } = openContext(argv);
    const controllers = selectControllers(config, argv.controller, { includeRevoked: true });
    // Break-glass cannot be undone: a running region is cut off at its next login.
    if (!argv.autoApprove) {
      requireTerminalOrFlag('revoke');
      const question = `Destroy every secret ID of ${controllers.join(', ')} and end their live tokens? The region${controllers.length === 1 ? '' : 's'} stop${controllers.length === 1 ? 's' : ''} at the next Vault request.`;
      if (!(await confirm(question))) {
        report.line('Revoke cancelled: nothing was destroyed.');
        process.exitCode = EXIT.failure;
        return;
      }
    }
    const client = vaultClient(config, vaultToken(`destroy secret IDs of site ${config.site}`));
    try {
      const counts = await report
        .step('destroying secret IDs', () => Promise.all(controllers.map((name) => revokeController(client, config, name))))
        .catch((error: unknown) => explainTokenRefusal(client, error));
      const unmarked = controllers.filter((name) => !config.controllers.find((controller) => controller.name === name)?.revoked);
      recordRevocations(config, unmarked);
      const roles = controllers.flatMap((name) => controllerRoles(config, name));
      // Secret IDs first: once they are gone no new token can appear while the old ones are swept.
      const sweep = await report.step('ending their live tokens', () =>
        endRoleTokens(client, roles).then(
          (ended): EndedTokens | TokenSweepRefused => ended,
          (error) => {
            if (error instanceof TokenSweepRefused) return error;
            throw error;
          },
        ),
      );
      const tokensOf = (name: string) => (sweep instanceof TokenSweepRefused ? undefined : controllerRoles(config, name).reduce((sum, role) => sum + sweep.ended[role], 0));
      if (report.json) {
        report.data({
          controllers: controllers.map((name, index) => ({ name, destroyedSecretIds: counts[index], endedTokens: tokensOf(name) ?? null })),
          tokens: sweep instanceof TokenSweepRefused ? { refused: sweep.message } : { examined: sweep.examined },
          addToConfig: unmarked,
        });
      } else {
        controllers.forEach((name, index) => {
          const tokens = tokensOf(name);
          report.line(`${name}: destroyed ${counts[index]} secret ID${counts[index] === 1 ? '' : 's'}${tokens === undefined ? '' : `, ended ${tokens} live token${tokens === 1 ? '' : 's'}`}; it cannot log in again`);
        });
        if (sweep instanceof TokenSweepRefused) {
          const tokenLife = config.tokenMaxTtl ?? `the mount's max TTL (tokenMaxTtl is not set; each renewal adds up to ${config.tokenTtl})`;
          report.warn(
            `could not end the live tokens: ${sweep.message}. Finding a controller's tokens needs list and sudo on auth/token/accessors and update on ` +
              'auth/token/lookup-accessor and auth/token/revoke-accessor (an operator or root token; the admin policy does not grant them, since they reach every site). ' +
              `Run the same command again with such a token: it ends only tokens whose login metadata names ${roles.join(', ')}. ` +
              `Until then they stay valid until they expire: at most ${tokenLife}.`,
          );
        }
      }
      if (unmarked.length > 0) {
        const where = unmarked.map((name) => `controllers[${config.controllers.findIndex((controller) => controller.name === name)}] (${name})`).join(', ');
        report.warn(
          `add "revoked": true to ${where} in ${config.source}: it keeps the controller locked out across apply and generation bumps; ` +
            'until then apply and credentials from this work directory refuse to run, and from anywhere else they would issue it a fresh secret ID',
        );
      }
      if (sweep instanceof TokenSweepRefused) process.exitCode = EXIT.failure;
    } finally {
      await client.close();
    }
  },
});
