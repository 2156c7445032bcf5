/**
 * Entry point for cdktf-cli users (`cdktf synth` reads cdktf.json): the config comes from
 * MAAS_VAULT_CONFIG (default ./maas-vault.json). The maas-vault CLI does not need this file.
 */
import { App } from './framework.js';
import { loadConfigFile } from '../config/index.js';
import { MaasVaultStack } from './maas-vault-stack.js';

const config = loadConfigFile(process.env.MAAS_VAULT_CONFIG ?? 'maas-vault.json');
const app = new App({ stackTraces: false });
new MaasVaultStack(app, { config, statePath: `${config.workDir}/terraform.tfstate` });
app.synth();
