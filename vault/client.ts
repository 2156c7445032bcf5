/**
 * A small client for the Vault HTTP API (OpenBao speaks the same API). One keep-alive connection
 * pool per client; CA bundle and namespace as the `vault` CLI takes them.
 */
import { HttpTransport } from './http-transport.js';
import {
  VaultApiError,
  VaultError,
  VaultNoRouteError,
  VaultNotInitializedError,
  VaultPermissionError,
  VaultSealedError,
  VaultTlsError,
  VaultUnreachableError,
  type ConnectionOrigin,
} from './errors.js';
import { VaultNoLeaderError } from './cluster-errors.js';
import { describeLeaderlessAnswer, forwardHeaders, isLeaderlessAnswer, retryDelay, retryPolicy, type RetryPolicy } from './ha-requests.js';
import {
  flavourOf,
  isForwardingHeaderRefusal,
  profileOf,
  sendsConsistencyHeaders,
  serverCli,
  cliCommand,
  type SealStatusBody,
  type ServerProfile,
} from './server-flavour.js';

export interface VaultClientOptions {
  /** e.g. `https://vault.example.com:8200` */
  address: string;
  /** Default token for requests that do not pass their own. */
  token?: string;
  namespace?: string;
  /** Path of a PEM bundle to trust for Vault's TLS certificate. */
  caCert?: string;
  /** A client certificate for a listener that requires one (VAULT_CLIENT_CERT / VAULT_CLIENT_KEY). */
  clientCert?: { cert: string; key: string; certVariable?: string };
  /** Where address and caCert came from (`VAULT_ADDR` or `vault.address`...), for messages. */
  origin?: ConnectionOrigin;
  /** Most requests open at once (the pool's socket count). */
  connections?: number;
  timeoutMs?: number;
  /** Retries while a cluster has no active node; default from VAULT_MAX_RETRIES (see ha-requests.ts). */
  retry?: RetryPolicy;
}

export interface RequestOptions {
  body?: unknown;
  /** Overrides the client's token; `null` sends none (unauthenticated endpoints, logins). */
  token?: string | null;
  /** Ask Vault to response-wrap the answer with this TTL (`X-Vault-Wrap-TTL`). */
  wrapTtl?: string;
  /** Statuses returned to the caller instead of thrown (e.g. 404 on a read that may find nothing). */
  accept?: number[];
  /**
   * `false` sends exactly what MAAS sends: a standby may then answer from its own, older data.
   * By default every request is served by the active node (see ha-requests.ts).
   */
  forwardToActive?: boolean;
}

export interface VaultResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  auth?: { client_token: string; accessor: string; policies: string[]; token_policies: string[]; lease_duration: number };
  wrap_info?: { token: string; accessor: string; ttl: number; creation_time: string; creation_path: string; wrapped_accessor?: string };
  warnings?: string[];
  errors?: string[];
}

/** The capability a method needs, for permission-denied messages. */
const CAPABILITY: Record<string, string> = { GET: 'read', POST: 'update', PUT: 'update', DELETE: 'delete', LIST: 'list' };

/** OpenBao's answer when concurrent writes conflicted and nothing was stored: safe to send again. */
const COMMIT_CONFLICT = /transaction commit failed/i;
const COMMIT_CONFLICT_RETRIES = 5;

/** Fields of request and response bodies whose values must never reach a message. */
const SECRET_FIELDS = ['secret_id', 'token', 'client_token', 'key'];

export class VaultClient {
  readonly address: string;
  private readonly token?: string;
  private readonly namespace?: string;
  private readonly transport: HttpTransport;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private profile?: Promise<ServerProfile | undefined>;
  /** Set once the server refused the consistency headers (HashiCorp Vault without `allow_forwarding_via_header`). */
  private headersRefused = false;
  /** Requests sent again because no node was active: the cost of a leader change. */
  retries = 0;
  private readonly origin: ConnectionOrigin;
  private readonly caCert?: string;
  private readonly clientCert?: VaultClientOptions['clientCert'];

  constructor(options: VaultClientOptions) {
    this.retry = options.retry ?? retryPolicy();
    this.address = options.address.replace(/\/+$/, '');
    this.token = options.token;
    this.namespace = options.namespace;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.origin = options.origin ?? {};
    this.caCert = options.caCert;
    this.clientCert = options.clientCert;
    this.transport = new HttpTransport({
      address: this.address,
      caCert: options.caCert,
      clientCert: options.clientCert,
      connections: options.connections ?? 32,
      timeoutMs: this.timeoutMs,
    });
  }

  /** Says which failure it is, and blames the setting (VAULT_ADDR, VAULT_CACERT, or their config keys) that was used. */
  private connectionError(reason: string, code: string | undefined): Error {
    const addressFrom = this.origin.address ?? 'VAULT_ADDR or vault.address';
    const caFrom = this.origin.caCert ?? 'VAULT_CACERT or vault.caCert';
    if (code && UNTRUSTED_CERTIFICATE.has(code)) {
      const advice = this.caCert
        ? `the CA bundle in ${caFrom} (${this.caCert}) did not sign Vault's certificate: point ${caFrom} at the one that did`
        : `this machine does not trust Vault's certificate: set VAULT_CACERT (or vault.caCert) to the PEM bundle of the CA that signed it`;
      return new VaultTlsError(this.address, reason, advice);
    }
    // The server's alerts: what it made of the certificate this client presented, or did not.
    if (code && CLIENT_CERT_REQUIRED.has(code)) {
      return new VaultTlsError(
        this.address,
        this.clientCert ? 'the listener refused the client certificate' : 'the listener requires a client certificate',
        this.clientCert
          ? `Vault's listener did not accept ${this.clientCert.cert} (${this.clientCert.certVariable ?? 'VAULT_CLIENT_CERT'}): use a certificate signed by the CA in its tls_client_ca_file. ${MAAS_HAS_NO_CLIENT_CERT}`
          : `export VAULT_CLIENT_CERT and VAULT_CLIENT_KEY with a certificate it accepts. ${MAAS_HAS_NO_CLIENT_CERT}`,
      );
    }
    if (code && CLIENT_CERT_UNKNOWN_CA.has(code)) {
      return new VaultTlsError(
        this.address,
        'the listener does not know the CA of the client certificate',
        `${this.clientCert ? `${this.clientCert.cert} (${this.clientCert.certVariable ?? 'VAULT_CLIENT_CERT'})` : 'the client certificate'} was not signed by the CA in the listener's tls_client_ca_file: use one that was. ${MAAS_HAS_NO_CLIENT_CERT}`,
      );
    }
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
      return new VaultTlsError(this.address, reason, "Vault's certificate is outside its validity period: renew it (or check this machine's clock)");
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new VaultTlsError(this.address, reason, `the certificate is not issued for this host name: use the name it was issued for in ${addressFrom}`);
    }
    if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(reason)) {
      return new VaultTlsError(this.address, reason, `nothing there speaks TLS: if Vault listens without TLS, use http:// in ${addressFrom}`);
    }
    return new VaultUnreachableError(this.address, reason, this.origin);
  }

  async close(): Promise<void> {
    this.transport.close();
  }

  read<T = Record<string, unknown>>(path: string, options: RequestOptions = {}) {
    return this.request<T>('GET', path, options);
  }

  write<T = Record<string, unknown>>(path: string, body: unknown = {}, options: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...options, body });
  }

  /** LIST, sent as `GET ?list=true` (Vault checks it against the path with a trailing '/'). */
  list<T = { keys: string[] }>(path: string, options: RequestOptions = {}) {
    return this.request<T>('GET', `${path}?list=true`, options);
  }

  delete(path: string, options: RequestOptions = {}) {
    return this.request('DELETE', path, options);
  }

  async request<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<VaultResponse<T>> {
    const token = options.token === null ? undefined : (options.token ?? this.token);
    const headers: Record<string, string> = { 'x-vault-request': 'true' };
    if (token) headers['x-vault-token'] = token;
    if (this.namespace) headers['x-vault-namespace'] = this.namespace;
    if (options.wrapTtl) headers['x-vault-wrap-ttl'] = options.wrapTtl;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const secrets = collectSecrets(token, options.body);
    const consistency = options.forwardToActive === false ? undefined : await this.consistencyHeaders();

    let status: number;
    let parsed: VaultResponse<T>;
    for (let attempt = 0, conflicts = 0; ; attempt++) {
      let location: string | undefined;
      try {
        const sent = consistency && !this.headersRefused ? { ...headers, ...consistency } : headers;
        const response = await this.transport.request(method, `/v1/${path}`, sent, body);
        status = response.status;
        location = typeof response.headers.location === 'string' ? response.headers.location : undefined;
        parsed = parseBody(response.text) as VaultResponse<T>;
      } catch (error) {
        throw this.connectionError(redact(describeNetworkError(error), secrets), networkErrorCode(error));
      }
      const errors = (parsed.errors ?? []).map(String);
      if (consistency && !this.headersRefused && isForwardingHeaderRefusal(status, errors)) {
        // Refused before anything was done: the same request without the headers is the first one.
        this.headersRefused = true;
        attempt--;
        continue;
      }
      if (status === 500 && conflicts < COMMIT_CONFLICT_RETRIES && errors.some((error) => COMMIT_CONFLICT.test(error))) {
        // The storage rolled the request back (OpenBao's optimistic transactions under concurrent
        // writes), so sending it again cannot apply it twice.
        conflicts++;
        this.retries++;
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** conflicts * (0.5 + Math.random())));
        continue;
      }
      if (!isLeaderlessAnswer(status, errors)) break;
      if (attempt >= this.retry.maxRetries) {
        // seal-status is the node's own answer: a node without a leader still says which server it is.
        const flavour = (await this.serverProfile())?.flavour;
        throw new VaultNoLeaderError(this.address, attempt + 1, describeLeaderlessAnswer(status, location, errors), flavour);
      }
      this.retries++;
      await new Promise((resolve) => setTimeout(resolve, retryDelay(this.retry, attempt)));
    }

    if (status < 400 || options.accept?.includes(status)) {
      return { ...parsed, status };
    }
    const errors = (parsed.errors ?? []).map((message) => redact(String(message), [...secrets, ...collectSecrets(undefined, parsed)]));
    if (status === 503 && errors.some((message) => /sealed/i.test(message))) throw await this.notReady();
    throw classify(this.address, status, method, path, errors);
  }

  /**
   * `sys/seal-status`, unauthenticated and answered by the node itself (no forwarding headers). What
   * it says also answers serverProfile, so a run that asks for both reads it once.
   */
  async sealStatus(): Promise<SealStatusBody> {
    const body = (await this.request<never>('GET', 'sys/seal-status', { token: null, forwardToActive: false })) as unknown as SealStatusBody;
    const profile = profileOf(body);
    if (profile.clusterId) this.profile ??= Promise.resolve(profile);
    return body;
  }

  /**
   * Which server this is, read once from the unauthenticated `sys/seal-status`; undefined while it
   * cannot say (unreachable, or sealed without a cluster ID), and then asked again next time.
   */
  serverProfile(): Promise<ServerProfile | undefined> {
    this.profile ??= this.transport
      .request('GET', '/v1/sys/seal-status', {})
      .then((response) => profileOf(JSON.parse(response.text) as Partial<SealStatusBody>))
      .catch(() => undefined)
      .then((profile) => {
        if (!profile?.clusterId) this.profile = undefined;
        return profile;
      });
    return this.profile;
  }

  /** A command for the admin to run against this server, in its own CLI's words (both CLIs while it cannot say which it is). */
  async cliCommand(args: string): Promise<string> {
    return cliCommand((await this.serverProfile())?.flavour, args);
  }

  /** Sealed or never initialized, in the words of the server's own CLI (seal-status says which server and which state). */
  private async notReady(): Promise<VaultError> {
    const body = await this.transport
      .request('GET', '/v1/sys/seal-status', {})
      .then((response) => JSON.parse(response.text) as Partial<SealStatusBody>)
      .catch(() => undefined);
    if (!body) return new VaultSealedError(this.address);
    const cli = serverCli(flavourOf(body));
    return body.initialized === false ? new VaultNotInitializedError(this.address, cli) : new VaultSealedError(this.address, cli);
  }

  /** The headers that make a standby serve what the active node holds, where this server takes them. */
  private async consistencyHeaders(): Promise<Record<string, string> | undefined> {
    const profile = await this.serverProfile();
    if (!profile?.clusterId || !sendsConsistencyHeaders(profile)) return undefined;
    return forwardHeaders(profile.clusterId);
  }
}

/** TLS verification failures, by the codes Node's TLS layer gives them. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
]);

function networkErrorCode(error: unknown): string | undefined {
  const err = error as { code?: string; cause?: { code?: string } };
  return err.cause?.code ?? err.code;
}

function classify(address: string, status: number, method: string, path: string, errors: string[]): VaultError {
  const text = errors.join('; ');
  if (status === 503 && /sealed/i.test(text)) return new VaultSealedError(address);
  if (status === 403 && /permission denied/i.test(text)) {
    return new VaultPermissionError(
      path.replace(/\?list=true$/, ''),
      path.endsWith('?list=true') ? 'list' : (CAPABILITY[method] ?? method.toLowerCase()),
      permissionDetail(text),
    );
  }
  if (/no handler for route/i.test(text)) return new VaultNoRouteError(path);
  return new VaultApiError(status, method, path, errors);
}

/** Vault's own words beyond "permission denied", when it says more. */
function permissionDetail(text: string): string | undefined {
  const detail = text
    .replace(/^1 error occurred:\s*\*?\s*/i, '')
    .replace(/permission denied/i, '')
    .replace(/^[\s:;,.]+|[\s:;,.]+$/g, '');
  return detail === '' ? undefined : detail;
}

/** A body that is not JSON (a proxy's page, a truncated answer) is described, never quoted: it could hold a secret. */
function parseBody(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [`an answer that is not JSON (${text.length} bytes, not repeated here): is something other than Vault listening at this address?`] };
  }
}

function describeNetworkError(error: unknown): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  const message = err.cause?.message ?? err.message ?? String(error);
  // OpenSSL's text is several lines naming its own source files: its code says it all.
  if (code?.startsWith('ERR_SSL_')) return code;
  const line = message.split('\n')[0].trim();
  return code && !line.includes(code) ? `${code}: ${line}` : line;
}

/** Why a region controller could not use a listener that requires client certificates. */
export const MAAS_HAS_NO_CLIENT_CERT =
  'MAAS presents no client certificate (hvac is given none), so region controllers could not connect to this listener either: give them one that does not require client certificates (tls_require_and_verify_client_cert = false) and set vault.maasAddress to it';

/** The server's TLS alerts when it wanted a client certificate and got none, or one it would not take. */
const CLIENT_CERT_REQUIRED = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_TLSV1_ALERT_CERTIFICATE_REQUIRED',
]);
const CLIENT_CERT_UNKNOWN_CA = new Set(['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA']);

function collectSecrets(token: string | undefined, body: unknown): string[] {
  const found: string[] = token ? [token] : [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4 || typeof value !== 'object' || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if (SECRET_FIELDS.includes(key) && typeof inner === 'string' && inner.length >= 8) found.push(inner);
      else visit(inner, depth + 1);
    }
  };
  visit(body, 0);
  return found;
}

/** Replaces every occurrence of the given secrets; a last line of defence for messages. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret) result = result.split(secret).join('<redacted>');
  return result;
}
