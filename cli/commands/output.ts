import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { openContext, vaultClient, type GlobalArgs } from '../context.js';
import { handOffCommands, handOffJson, handOffTarget, printConfigureCommands, printIssuerHandOff, spentTokenNote } from '../present.js';
import { OUTPUTS } from '../../stacks/output-names.js';
import { readBackendOutputs } from '../../engine/state.js';
import { MIGRATE_COMMAND } from '../../stacks/commands.js';
import { workLayout } from '../../stacks/work-layout.js';
import { withEngine, type EngineArgs } from './engine-args.js';
import { openStackSession } from './stack-session.js';
import { controllersFromOutputs, rotatedNote, withRotatedCredentials } from './stack-outputs.js';
import { wrappingTokenUsability } from './token-usability.js';
import { refuseForeignStateRead } from './site-record-gate.js';

export const outputCommand = defineCommand<GlobalArgs & EngineArgs>({
  ...COMMAND_TEXT.output,
  builder: (yargs: Argv<GlobalArgs>) => withEngine(yargs).example('$0 output --json', 'machine-readable, wrapping tokens included'),
  handler: async (argv) => {
    const { config, report } = openContext(argv, { workDirAccess: 'read' });
    const { statePath } = workLayout(config);
    // The state file or pg row is read directly when it can be: no synth, no engine, no Vault token.
    let outputs = await readBackendOutputs(config, statePath);
    // Encrypted state is read by the engine, which holds the passphrase.
    if (!outputs && (config.state.encryption || (config.state.backend === 'local' && existsSync(statePath))))
      outputs = await (await openStackSession(argv, false)).engine.outputs();
    // Another site's state, or another cluster reached: nothing of the state is printed or sent there.
    const gate = vaultClient(config);
    const answered = await refuseForeignStateRead(gate, config, 'output').finally(() => gate.close());
    const controllers = await withRotatedCredentials(config, controllersFromOutputs(outputs ?? {}));
    if (controllers.length === 0) {
      // --json promises one object on stdout: a site not created yet is an answer, not an error.
      if (report.json) report.data({ applied: false, controllers: [] });
      report.line('The stack has not been applied yet: run `maas-vault apply`.');
      return;
    }
    const issuerRole = outputs?.[OUTPUTS.issuerRoleName]?.value;
    const issuerRoleId = outputs?.[OUTPUTS.issuerRoleId]?.value;
    const issuer = typeof issuerRole === 'string' && typeof issuerRoleId === 'string' ? { role: issuerRole, roleId: issuerRoleId } : undefined;
    // sys/wrapping/lookup needs no token: a spent command is marked, as apply marks it. A Vault
    // that did not answer the gate is not waited for a second time.
    const client = answered ? vaultClient(config) : undefined;
    const { usable, problem } = client
      ? await wrappingTokenUsability(client, controllers).finally(() => client.close())
      : { usable: [], problem: new Error(`Vault at ${config.vault.address} did not answer sys/seal-status`) };
    if (problem) report.warn(`could not ask Vault whether the wrapping tokens are still unused, so none is marked as spent: ${problem.message}`);
    if (report.json) {
      report.data({
        // Both hand-off forms, as apply gives them; whether a region is configured takes a token, which output does without.
        controllers: controllers.map((controller, index) => ({
          ...controller,
          ...(controller.wrappedToken
            ? {
                wrappedTokenUsable: usable[index] ?? null,
                ...handOffJson(handOffTarget(config), undefined, handOffCommands(handOffTarget(config), controller.roleId, controller.wrappedToken, undefined)),
              }
            : {}),
        })),
        migrateCommand: MIGRATE_COMMAND,
        ...(issuer ? { issuer } : {}),
      });
      return;
    }
    for (const controller of controllers) {
      const accessor = controller.secretIdAccessor ? `, secret-ID accessor ${controller.secretIdAccessor}` : '';
      report.line(`${controller.name}: role ${controller.role}, role ID ${controller.roleId}${accessor}`);
    }
    report.line();
    const revoked = new Set(config.controllers.filter((controller) => controller.revoked).map((controller) => controller.name));
    printConfigureCommands(
      report,
      controllers.map((controller, index) =>
        revoked.has(controller.name)
          ? { ...controller, unusable: 'revoked ("revoked": true in the config): no secret ID is issued for it' }
          : controller.rotationFinishedAt
            ? { ...controller, unusable: rotatedNote(controller) }
            : {
                ...controller,
                ...(controller.wrappedToken
                  ? { initCommand: handOffCommands(handOffTarget(config), controller.roleId, controller.wrappedToken, undefined).initCommand }
                  : {}),
                unusable: usable[index] === false ? spentTokenNote(controller.name) : undefined,
              },
      ),
      { wrapTtl: config.wrapTtl, target: handOffTarget(config) },
    );
    if (issuer) printIssuerHandOff(report, issuer.role, issuer.roleId);
  },
});
