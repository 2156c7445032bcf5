import { renderMaasPolicy } from '../../policies/render.js';
import { issuerPolicyName, issuerRoleName, legacyNames, roleName } from '../../config/index.js';
import { testConfig } from '../support/configs.js';
import { synthesize, synthesizeWithImports } from '../support/synth.js';

const ROLE = 'vault_approle_auth_backend_role';
const SECRET_ID = 'vault_approle_auth_backend_role_secret_id';

describe('MaasVaultStack', () => {
  it('matches the reviewed Terraform JSON for the example site', () => {
    expect(JSON.parse(synthesize(testConfig()).json)).toMatchSnapshot();
  });

  it('enables approle at approle/ and mounts KV-v2 with cas_required=false', () => {
    const stack = synthesize(testConfig({ kv: { mount: 'kv-maas', maxVersions: 10 } }));
    expect(stack.resource('vault_auth_backend', 'approle_mount')).toMatchObject({ type: 'approle', path: 'approle' });
    expect(stack.resource('vault_mount', 'kv_mount')).toMatchObject({ path: 'kv-maas', type: 'kv', options: { version: '2' } });
    expect(stack.resource('vault_kv_secret_backend_v2', 'kv_settings')).toEqual({
      mount: '${vault_mount.kv_mount.path}',
      cas_required: false,
      max_versions: 10,
    });
  });

  it('renders the MAAS policy from the mount and secrets path', () => {
    const stack = synthesize(testConfig({ kv: { mount: 'kv-maas' }, secretsPath: 'maas/site-a', policy: { profile: 'strict', name: 'maas_lab_site-a' } }));
    expect(stack.resource('vault_policy', 'maas_policy_maas')).toEqual({
      name: 'maas_lab_site-a',
      policy: renderMaasPolicy({ mount: 'kv-maas', path: 'maas/site-a', profile: 'strict', lookupSelf: false }),
    });
  });

  it('creates one role per region controller with the settings MAAS relies on', () => {
    const stack = synthesize(testConfig({ tokenTtl: '10m', tokenMaxTtl: '1h', secretIdTtl: '30d' }));
    const roles = stack.resources(ROLE);
    expect(Object.keys(roles)).toEqual(['region_region-1_role', 'region_region-2_role', 'region_region-3_role']);
    expect(roles['region_region-2_role']).toEqual({
      backend: '${vault_auth_backend.approle_mount.path}',
      role_name: roleName(testConfig(), 'region-2'),
      token_policies: ['${vault_policy.maas_policy_maas.name}'],
      token_no_default_policy: false,
      token_ttl: 600,
      token_max_ttl: 3600,
      token_num_uses: 0,
      bind_secret_id: true,
      secret_id_num_uses: 0,
      secret_id_ttl: 30 * 86400,
    });
  });

  it('binds CIDRs to both the token and the secret ID when given', () => {
    const stack = synthesize(testConfig({ controllers: [{ name: 'region-1', cidrs: ['10.0.0.5/32'] }, { name: 'region-2' }] }));
    expect(stack.resource(ROLE, 'region_region-1_role')).toMatchObject({ token_bound_cidrs: ['10.0.0.5/32'], secret_id_bound_cidrs: ['10.0.0.5/32'] });
    expect(stack.resource(ROLE, 'region_region-2_role')).not.toHaveProperty('token_bound_cidrs');
    expect(stack.resource(ROLE, 'region_region-2_role')).not.toHaveProperty('secret_id_bound_cidrs');
  });

  it('issues one wrapped secret ID per controller, keyed by its accessor, with naming metadata', () => {
    const stack = synthesize(testConfig({ wrapTtl: '15m', generation: 4 }));
    const secretId = stack.resource(SECRET_ID, 'region_region-1_secret_id');
    expect(secretId).toEqual({
      backend: '${vault_auth_backend.approle_mount.path}',
      role_name: '${vault_approle_auth_backend_role.region_region-1_role.role_name}',
      wrapping_ttl: '15m',
      with_wrapped_accessor: true,
      metadata: JSON.stringify({ site: 'lab', controller: 'region-1', generation: '4', issued_by: 'maas-vault stack' }),
    });
    expect(Object.keys(stack.resources(SECRET_ID))).toHaveLength(3);
  });

  it('re-issues secret IDs when the generation changes (metadata forces a new secret ID)', () => {
    const before = synthesize(testConfig({ generation: 1 })).resource(SECRET_ID, 'region_region-3_secret_id');
    const after = synthesize(testConfig({ generation: 2 })).resource(SECRET_ID, 'region_region-3_secret_id');
    expect(JSON.parse(String(before.metadata)).generation).toBe('1');
    expect(JSON.parse(String(after.metadata)).generation).toBe('2');
  });

  it('publishes role IDs, accessors, and sensitive wrapping tokens and commands', () => {
    const stack = synthesize(
      testConfig({
        kv: { mount: 'kv-maas' },
        secretsPath: 'maas/site-a',
        vault: { address: 'https://vault.admin:8200', maasAddress: 'https://vault.maas:8200' },
      }),
    );
    expect(stack.outputNames().sort()).toEqual(['configure_commands', 'migrate_command', 'role_ids', 'role_names', 'secret_id_accessors', 'wrapping_tokens']);
    expect(stack.output('role_ids')).toMatchObject({
      sensitive: false,
      value: { 'region-1': '${vault_approle_auth_backend_role.region_region-1_role.role_id}' },
    });
    expect(stack.output('secret_id_accessors')).toMatchObject({
      sensitive: false,
      value: { 'region-1': '${vault_approle_auth_backend_role_secret_id.region_region-1_secret_id.wrapping_accessor}' },
    });
    expect(stack.output('wrapping_tokens')).toMatchObject({
      sensitive: true,
      value: { 'region-2': '${vault_approle_auth_backend_role_secret_id.region_region-2_secret_id.wrapping_token}' },
    });
    const commands = stack.output('configure_commands');
    expect(commands.sensitive).toBe(true);
    expect((commands.value as Record<string, string>)['region-3']).toBe(
      'sudo maas config-vault configure https://vault.maas:8200 ${vault_approle_auth_backend_role.region_region-3_role.role_id} ' +
        '${vault_approle_auth_backend_role_secret_id.region_region-3_secret_id.wrapping_token} maas/site-a --mount kv-maas',
    );
    expect(stack.output('migrate_command').value).toBe('sudo maas config-vault migrate');
    expect(stack.json).not.toContain('--secrets-mount');
  });

  it('never puts a Vault token in the synthesized JSON', () => {
    const saved = process.env.VAULT_TOKEN;
    process.env.VAULT_TOKEN = 'hvs.this-token-must-not-leak';
    try {
      const stack = synthesize(testConfig());
      expect(stack.json).not.toContain('hvs.this-token-must-not-leak');
      expect(stack.provider()).toEqual({ address: '${var.vault_address}' });
      expect(JSON.parse(stack.json).variable.vault_address.default).toBe('http://127.0.0.1:8200');
    } finally {
      if (saved === undefined) delete process.env.VAULT_TOKEN;
      else process.env.VAULT_TOKEN = saved;
    }
  });

  it('passes the CA bundle to the provider, and no namespace (MAAS cannot log in inside one; config/environment.ts)', () => {
    const stack = synthesize(testConfig({ vault: { address: 'https://vault:8200', caCert: '/etc/ssl/certs/ca-certificates.crt' } }));
    // The address is a variable whose default is the config's: maas-vault may hand the engine a cluster's active node instead.
    expect(stack.provider()).toEqual({ address: '${var.vault_address}', ca_cert_file: '/etc/ssl/certs/ca-certificates.crt' });
    expect(JSON.parse(stack.json).variable.vault_address).toMatchObject({ type: 'string', default: 'https://vault:8200' });
  });

  it('issues no secret IDs and publishes no tokens when CI issues them (stackSecretIds: false)', () => {
    const stack = synthesize(testConfig({ stackSecretIds: false }));
    expect(stack.resources(SECRET_ID)).toEqual({});
    expect(Object.keys(stack.resources(ROLE))).toHaveLength(3);
    expect(stack.outputNames().sort()).toEqual(['migrate_command', 'role_ids', 'role_names']);
  });

  describe('adopt modes', () => {
    it('reads an existing approle mount instead of managing it', () => {
      const stack = synthesize(testConfig({ approle: { adopt: true } }));
      expect(stack.resources('vault_auth_backend')).toEqual({});
      expect(stack.dataSources('vault_auth_backend')).toEqual({ approle_existing: { path: 'approle' } });
      expect(stack.resource(ROLE, 'region_region-1_role').backend).toBe('${data.vault_auth_backend.approle_existing.path}');
    });

    it('writes only the settings MAAS needs on an existing KV mount, never the mount itself, and never deletes them', () => {
      const stack = synthesize(testConfig({ kv: { adopt: true } }));
      expect(stack.resources('vault_mount')).toEqual({});
      // vault_kv_secret_backend_v2 would reset max_versions and delete_version_after of a shared mount.
      expect(stack.resources('vault_kv_secret_backend_v2')).toEqual({});
      expect(stack.resource('vault_generic_endpoint', 'kv_shared_settings')).toEqual({
        path: 'secret/config',
        data_json: JSON.stringify({ cas_required: false }),
        ignore_absent_fields: true,
        disable_delete: true,
      });
    });

    it('writes max_versions on an adopted mount only when the config names it', () => {
      const stack = synthesize(testConfig({ kv: { adopt: true, maxVersions: 7 } }));
      expect(JSON.parse(String(stack.resource('vault_generic_endpoint', 'kv_shared_settings').data_json))).toEqual({ cas_required: false, max_versions: 7 });
    });
  });

  describe('CI issuer (opt-in)', () => {
    it('is absent by default', () => {
      const stack = synthesize(testConfig());
      expect(Object.keys(stack.resources('vault_policy'))).toEqual(['maas_policy_maas']);
      expect(stack.outputNames()).not.toContain('issuer_role_id');
    });

    it('adds its policy, role and role ID output when enabled', () => {
      const stack = synthesize(testConfig({ issuer: { enabled: true, tokenTtl: '10m', cidrs: ['192.0.2.0/24'] } }));
      expect(stack.resource('vault_policy', 'ci_issuer_policy').name).toBe(issuerPolicyName(testConfig()));
      expect(stack.resource(ROLE, 'ci_issuer_role')).toMatchObject({
        role_name: issuerRoleName(testConfig()),
        token_policies: ['${vault_policy.ci_issuer_policy.name}'],
        token_ttl: 600,
        token_bound_cidrs: ['192.0.2.0/24'],
      });
      expect(stack.output('issuer_role_id').sensitive).toBe(false);
    });
  });

  describe('migration from the old names (keepLegacyNames)', () => {
    it('keeps 0.1.0’s roles, secret IDs, policy and issuer at their old addresses, beside the new ones', () => {
      const config = testConfig({ keepLegacyNames: { policy: 'maas-lab-custom' }, issuer: { enabled: true } });
      const stack = synthesize(config);
      expect(stack.resource('vault_policy', 'policy_maas').name).toBe('maas-lab-custom');
      expect(stack.resource(ROLE, 'controller_region-1_role')).toMatchObject({
        role_name: legacyNames.role(config, 'region-1'),
        token_policies: ['${vault_policy.policy_maas.name}'],
      });
      expect(stack.resource(SECRET_ID, 'controller_region-1_secret_id').role_name).toBe(
        '${vault_approle_auth_backend_role.controller_region-1_role.role_name}',
      );
      expect(stack.resource(ROLE, 'issuer_role').role_name).toBe(legacyNames.issuerRole(config));
      expect(stack.resource(ROLE, 'region_region-1_role').role_name).toBe(roleName(config, 'region-1'));
      // Outputs, and so every printed command, name only the new roles.
      expect(stack.output('role_names').value).toMatchObject({ 'region-1': '${vault_approle_auth_backend_role.region_region-1_role.role_name}' });
    });

    it('without it, declares none of the old names', () => {
      const json = synthesize(testConfig({ issuer: { enabled: true } })).json;
      expect(json).not.toContain(legacyNames.role(testConfig(), 'region-1'));
      expect(json).not.toContain(`"${legacyNames.policy(testConfig())}"`);
    });
  });
});

describe('MaasVaultStack imports for an adopted set-up', () => {
  const synthJson = (imports?: Parameters<typeof synthesizeWithImports>[1]) =>
    synthesizeWithImports(
      testConfig({
        kv: { mount: 'kv-maas', adopt: true },
        policy: { name: 'maas-secrets', adopt: true },
        controllers: [{ name: 'region-1', role: 'maas-region-1' }, { name: 'region-2' }],
      }),
      imports,
    );

  /** The resource an import block's `to` names, from the same JSON. */
  const target = (json: Record<string, any>, to: string) => {
    const dot = to.indexOf('.');
    return json.resource?.[to.slice(0, dot)]?.[to.slice(dot + 1)];
  };

  it('writes an import block per adopted object, with the ID the provider imports it by', () => {
    const json = synthJson({ roles: new Set(['region-1']), policy: true });
    expect(json.import).toHaveLength(2);
    const [role, policy] = [...json.import].sort((a: { to: string }, b: { to: string }) => a.to.localeCompare(b.to));
    expect(role).toEqual({ to: expect.stringMatching(/^vault_approle_auth_backend_role\./), id: 'auth/approle/role/maas-region-1' });
    expect(target(json, role.to).role_name).toBe('maas-region-1');
    expect(policy).toEqual({ to: expect.stringMatching(/^vault_policy\./), id: 'maas-secrets' });
    expect(target(json, policy.to).name).toBe('maas-secrets');
  });

  it('writes none once the state holds them', () => {
    expect(synthJson().import).toBeUndefined();
  });

  it("never imports an adopted KV mount's settings: only the settings MAAS needs are written, nothing deleted", () => {
    const json = synthJson({ roles: new Set(['region-1']), policy: true });
    expect(json.resource.vault_kv_secret_backend_v2).toBeUndefined();
    const endpoints = Object.values<Record<string, unknown>>(json.resource.vault_generic_endpoint ?? {});
    expect(endpoints).toEqual([expect.objectContaining({ path: 'kv-maas/config', disable_delete: true })]);
    expect(JSON.parse(endpoints[0].data_json as string)).toEqual({ cas_required: false });
  });
});
