/**
 * The npm packages behind stacks/framework.ts, as data: the bundle puts them in synth's vendor
 * file and hashes their versions into the synth fingerprint, and the import guards look for them.
 * Kept apart from framework.ts so that reading the names never loads the framework.
 */
export const FRAMEWORK_PACKAGES = ['cdktf', 'constructs', '@cdktf/provider-vault'] as const;
