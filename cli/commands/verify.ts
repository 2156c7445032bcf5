import type { Argv } from 'yargs';
import { defineCommand } from './define.js';
import { COMMAND_TEXT } from './texts.js';
import { openContext, ensureVaultReady, selectControllers, vaultClient, vaultToken, type GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { regionClientCertProblem } from '../present.js';
import { verifyControllers } from '../../vault/verify.js';
import { installCaCommands, probeRegionTrust, systemBundle, SYSTEM_BUNDLE, type TrustProbe } from '../../vault/region-trust.js';
import type { MaasVaultConfig } from '../../config/index.js';

interface VerifyArgs extends GlobalArgs {
  controller?: string[];
}

export const verifyCommand = defineCommand<VerifyArgs>({
  ...COMMAND_TEXT.verify,
  builder: (yargs: Argv<GlobalArgs>) =>
    yargs
      .option('controller', { type: 'string', array: true, describe: 'only these controllers (default: all)' })
      .example('VAULT_TOKEN=... $0 verify', 'unwrap, login, lookup-self, write/read/delete per controller'),
  handler: async (argv) => {
    const { config, report } = openContext(argv, { workDirAccess: 'read' });
    const controllers = selectControllers(config, argv.controller);
    const client = vaultClient(config, vaultToken(`issue secret IDs for site ${config.site}`));
    try {
      await report.step(`checking Vault at ${config.vault.address}`, () => ensureVaultReady(client));
      const results = await report.step(`verifying ${controllers.length} controllers`, () => verifyControllers(client, config, controllers));
      // maas-vault reached Vault with the admin's trust; a region has only its system store, and
      // goes to the address it is told, whose name the certificate must carry.
      const bundle = systemBundle();
      const probe = await probeRegionTrust(config.vault.maasAddress, bundle);
      const tls = regionTlsProblem(config, probe, bundle);
      const clientCert = await regionClientCertProblem(config);
      if (report.json) {
        report.data({
          controllers: results,
          tls: {
            trustedAsMaas: probe.trusted ?? null,
            ...(tls ? { problem: tls, caToInstall: probe.trusted === false && probe.code === ALTNAME ? null : (config.vault.caCert ?? null) } : {}),
            ...(clientCert ? { clientCertificateRequired: clientCert } : {}),
          },
        });
      } else {
        for (const result of results) {
          report.line(
            result.ok
              ? `OK      ${result.controller}: unwrap, login, lookup-self (policies ${result.policies?.join(', ')}; token TTL ${result.tokenTtlSeconds}s), write/read/delete under ${config.kv.mount}/${config.secretsPath}`
              : `FAILED  ${result.controller}: ${result.message}`,
          );
        }
        if (tls) report.line(`FAILED  ${tls}`);
        if (clientCert) report.line(`FAILED  TLS as MAAS sees it: ${clientCert}`);
      }
      if (results.some((result) => !result.ok) || tls || clientCert) process.exitCode = EXIT.failure;
    } finally {
      await client.close();
    }
  },
});

const ALTNAME = 'ERR_TLS_CERT_ALTNAME_INVALID';

/** What a region would make of Vault's certificate at the address it is told, when that is a refusal. */
function regionTlsProblem(config: MaasVaultConfig, probe: TrustProbe, bundle: string | undefined): string | undefined {
  if (probe.trusted !== false) return undefined;
  const { maasAddress, maasAddressKey, caCert } = config.vault;
  if (probe.code === ALTNAME) {
    return (
      `TLS as MAAS sees it: Vault's certificate at ${maasAddress} (${maasAddressKey}) is not valid for ${new URL(maasAddress).hostname} ` +
      `(${probe.reason}), so every region controller told that address would refuse it: ` +
      `give ${maasAddressKey} a name the certificate carries, or have the certificate name it`
    );
  }
  return (
    `TLS as MAAS sees it: Vault's certificate at ${maasAddress} does not verify against the system store ${bundle ?? "(none here: Node's built-in CAs)"} ` +
    `(${probe.code}), and MAAS trusts nothing else (it gives hvac no CA); maas-vault got through only with ` +
    `${caCert ? `${caCert} (${config.vault.origin?.caCert ?? 'vault.caCert'})` : 'its own trust'}. ` +
    `Install ${caCert ?? 'the CA that signed it'} on every region controller: ${installCaCommands('<copy of the CA>').join(' && ')} ` +
    `(deb and snap alike: ${SYSTEM_BUNDLE})`
  );
}
