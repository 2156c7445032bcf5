/**
 * TLS the way a region controller sees it. MAAS hands hvac no CA (maasserver/vault.py,
 * `_create_hvac_client` passes only `proxies`), so requests verifies Vault's certificate against
 * its default bundle: Ubuntu's python3-certifi, patched to the system store
 * /etc/ssl/certs/ca-certificates.crt. The snap stages the same Ubuntu python3-requests and
 * python3-hvac (snap/snapcraft.yaml, stage-packages) and sets no REQUESTS_CA_BUNDLE. The admin's
 * vault.caCert / VAULT_CACERT never reaches a region.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';

export const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** How a CA gets into what MAAS trusts, deb and snap alike (a strict snap sees the host's /etc). */
export function installCaCommands(caCert: string): string[] {
  return [`sudo cp ${caCert} /usr/local/share/ca-certificates/maas-vault-ca.crt`, 'sudo update-ca-certificates'];
}

export type TrustProbe = { trusted: true } | { trusted: false; code: string; reason: string } | { trusted: undefined };

const VERIFICATION_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The system bundle of this host: SSL_CERT_FILE (OpenSSL's own override) when set, else the
 * Debian/Ubuntu store. Undefined: Node's built-in roots are all there is to go by.
 */
export function systemBundle(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env.SSL_CERT_FILE || SYSTEM_BUNDLE;
  return existsSync(path) ? path : undefined;
}

/**
 * Opens a TLS connection to `address` trusting only the system bundle, not the admin's CA, and
 * reads sys/health (no token). Only a certificate verdict counts: an unreachable server is
 * `trusted: undefined` (the regular client reports that).
 */
export function probeRegionTrust(address: string, bundle = systemBundle(), timeoutMs = 10_000): Promise<TrustProbe> {
  if (!address.startsWith('https:')) return Promise.resolve({ trusted: undefined });
  const ca = bundle ? readFileSync(bundle) : undefined;
  return new Promise((resolve) => {
    const probe = request(new URL('/v1/sys/health', address), { method: 'GET', ca, timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      resolve({ trusted: true });
    });
    probe.on('timeout', () => probe.destroy(new Error('timeout')));
    probe.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? '';
      resolve(VERIFICATION_CODES.has(code) ? { trusted: false, code, reason: error.message } : { trusted: undefined });
    });
    probe.end();
  });
}

/** The server's TLS alerts when it wanted a client certificate and got none. */
const NO_CLIENT_CERT_ALERTS = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
]);

/**
 * True when the listener at `address` refuses a client that presents no certificate, as MAAS's
 * hvac does (it is given none). Vault's own certificate is not judged here (probeRegionTrust
 * does that), and nothing but the handshake and an unauthenticated sys/health is sent.
 */
export function requiresClientCert(address: string, timeoutMs = 10_000): Promise<boolean> {
  if (!address.startsWith('https:')) return Promise.resolve(false);
  return new Promise((resolve) => {
    const probe = request(new URL('/v1/sys/health', address), { method: 'GET', rejectUnauthorized: false, timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      resolve(false);
    });
    probe.on('timeout', () => probe.destroy(new Error('timeout')));
    probe.on('error', (error: NodeJS.ErrnoException) => resolve(NO_CLIENT_CERT_ALERTS.has(error.code ?? '')));
    probe.end();
  });
}
