export { ConfigError } from './errors.js';
export { loadConfigFile, validateConfig, parseConfigText, seconds, formatPath, MAX_CONFIG_BYTES, type MaasVaultConfig } from './load.js';
export { roleName, adoptedRoles, controllerLogicalId, issuerRoleName, issuerPolicyName, siteRolePrefix, defaultPolicyName, legacyNames } from './naming.js';
export { parseDuration, formatDuration } from './duration.js';
export { secretIdTtlWarning, secretIdTtlFloorProblem, secretIdExpiryAlarm } from './secret-id-ttl.js';
