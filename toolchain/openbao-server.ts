/**
 * Real servers on loopback for tests, the demo and benchmarks, OpenBao's `bao` or HashiCorp
 * Vault's `vault` (the same flags): a dev server (in memory, unsealed, known root token), a
 * persistent server whose data survives a kill and a restart, or a raft cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent, request } from 'undici';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface OpenBaoServer {
  address: string;
  /** The CA that signed the server's certificate, for a TLS dev server. */
  caCert?: string;
  rootToken: string;
  pid: number;
  stop(): Promise<void>;
  /** Lets the server outlive this process (`maas-vault dev --keep`). */
  detach(): void;
}

/** A dev server with a listener that requires client certificates (DevServerOptions.clientCertListener). */
export interface ClientCertOpenBaoServer extends OpenBaoServer {
  clientCertAddress: string;
}

export interface PersistentOpenBaoServer extends OpenBaoServer {
  unsealKey: string;
  /** SIGKILL: a crash, with no chance to flush or seal. */
  kill(): Promise<void>;
  /** Starts again on the same port and data, and unseals. */
  restart(): Promise<void>;
  seal(): Promise<void>;
  unseal(): Promise<void>;
}

/** A free port on 127.0.0.1, by asking the kernel for one. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The environment bao runs with: none of the caller's VAULT_ or BAO_ settings leak in. */
function serverEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(VAULT|BAO)_/.test(key)));
}

interface Spawned {
  child: ChildProcess;
  output: () => string;
  /** The binary, for messages (`bao` or `vault`). */
  command: string;
}

/**
 * With `logFile`, the server writes there instead of to pipes, so it can outlive this process:
 * a Go program dies of SIGPIPE when the reader of its stdout goes away.
 */
function spawnBao(bao: string, args: string[], logFile?: string): Spawned {
  if (logFile) {
    const fd = openSync(logFile, 'a', 0o600);
    const child = spawn(bao, args, { env: serverEnv(), stdio: ['ignore', fd, fd] });
    closeSync(fd);
    running.add(child);
    child.once('exit', () => running.delete(child));
    return { child, output: () => readFileSync(logFile, 'utf8').slice(-20_000), command: bao };
  }
  const child = spawn(bao, args, { env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return { child, output: () => log, command: bao };
}

async function waitForHealth(address: string, spawned: Spawned, acceptSealed: boolean, secrets: string[], caCert?: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  // A TLS dev server writes its CA when it starts: trust it once it exists.
  let dispatcher: Agent | undefined;
  while (Date.now() < deadline) {
    if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) break;
    try {
      if (caCert && !dispatcher && existsSync(caCert)) dispatcher = new Agent({ connect: { ca: readFileSync(caCert) } });
      // 200 active, 501 not initialised, 503 sealed: all mean "listening".
      const response = await request(`${address}/v1/sys/health`, { dispatcher });
      await response.body.dump();
      const status = response.statusCode;
      if (status === 200 || (acceptSealed && (status === 501 || status === 503))) {
        await dispatcher?.close();
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let tail = spawned.output().split('\n').slice(-15).join('\n');
  for (const secret of secrets) tail = tail.split(secret).join('<redacted>');
  spawned.child.kill('SIGKILL');
  throw new Error(`The server (${spawned.command}) did not become ready at ${address} within 30 s. Its last output:\n${tail}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface DevServerOptions {
  bao?: string;
  rootToken?: string;
  port?: number;
  /** Server log destination; needed for a server that must outlive this process (see detach). */
  logFile?: string;
  /** Serve HTTPS with a certificate from a CA the dev server makes (`caCert` of the result). */
  tls?: boolean;
  /**
   * A second listener, on a port of its own (`clientCertAddress` of the result), that serves these
   * PEM files and requires a client certificate signed by `clientCaFile` (mutual TLS).
   */
  clientCertListener?: { certFile: string; keyFile: string; clientCaFile: string };
}

export async function startDevServer(
  options: DevServerOptions & { clientCertListener: NonNullable<DevServerOptions['clientCertListener']> },
): Promise<ClientCertOpenBaoServer>;
export async function startDevServer(options?: DevServerOptions): Promise<OpenBaoServer>;
export async function startDevServer(options: DevServerOptions = {}): Promise<OpenBaoServer | ClientCertOpenBaoServer> {
  const bao = options.bao ?? 'bao';
  const port = options.port ?? (await freePort());
  const rootToken = options.rootToken ?? `dev-root-${randomBytes(12).toString('hex')}`;
  const certDir = options.tls ? mkdtempSync(join(tmpdir(), 'maas-vault-tls-')) : undefined;
  const address = `${certDir ? 'https' : 'http'}://127.0.0.1:${port}`;
  const tlsArgs = certDir ? ['-dev-tls', `-dev-tls-cert-dir=${certDir}`] : [];
  const mtls = options.clientCertListener;
  const mtlsPort = mtls ? await freePort() : undefined;
  const mtlsArgs: string[] = [];
  if (mtls) {
    const configFile = join(mkdtempSync(join(tmpdir(), 'maas-vault-mtls-')), 'listener.hcl');
    writeFileSync(
      configFile,
      `listener "tcp" {\n  address = "127.0.0.1:${mtlsPort}"\n  tls_cert_file = ${JSON.stringify(mtls.certFile)}\n  tls_key_file = ${JSON.stringify(mtls.keyFile)}\n` +
        `  tls_require_and_verify_client_cert = true\n  tls_client_ca_file = ${JSON.stringify(mtls.clientCaFile)}\n}\n`,
      { mode: 0o600 },
    );
    mtlsArgs.push(`-config=${configFile}`);
  }
  const spawned = spawnBao(
    bao,
    ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`, '-dev-no-store-token', ...tlsArgs, ...mtlsArgs],
    options.logFile,
  );
  const caCert = certDir ? join(certDir, 'vault-ca.pem') : undefined;
  await waitForHealth(address, spawned, false, [rootToken], caCert);
  return {
    address,
    ...(mtlsPort ? { clientCertAddress: `https://127.0.0.1:${mtlsPort}` } : {}),
    caCert,
    rootToken,
    pid: spawned.child.pid!,
    stop: () => stopChild(spawned.child),
    detach() {
      if (!options.logFile) throw new Error('internal: only a dev server started with logFile can be detached');
      running.delete(spawned.child);
      spawned.child.unref();
    },
  };
}

/**
 * Both servers advise against mlock with integrated storage (raft maps its data file); HashiCorp
 * Vault's server refuses to start where it may not lock memory unless told not to.
 */
const NO_MLOCK = 'disable_mlock = true\n';

/** `sys/init` with one key share. */
interface InitAnswer {
  root_token: string;
  keys: string[];
}

/** `sys/storage/raft/autopilot/state`, the parts read here. */
interface AutopilotState {
  data?: { healthy?: boolean; voters?: string[] };
}

/** The server's JSON answer, as the caller expects it to be shaped (these are test servers: a wrong shape fails the test). */
async function api<T = unknown>(address: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    headers: { ...(token ? { 'X-Vault-Token': token } : {}), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`OpenBao ${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** A one-node production config (integrated storage under `<dataDir>/data`, plain HTTP on loopback); returns its path. */
function writeOneNodeConfig(dataDir: string, port: number, clusterPort: number): string {
  const address = `http://127.0.0.1:${port}`;
  mkdirSync(join(dataDir, 'data'), { recursive: true, mode: 0o700 });
  const configFile = join(dataDir, 'server.hcl');
  writeFileSync(
    configFile,
    `storage "raft" {\n  path    = ${JSON.stringify(join(dataDir, 'data'))}\n  node_id = "maas-vault-test"\n}\n` +
      `listener "tcp" {\n  address         = "127.0.0.1:${port}"\n  cluster_address = "127.0.0.1:${clusterPort}"\n  tls_disable     = true\n}\n` +
      `api_addr     = "${address}"\ncluster_addr = "http://127.0.0.1:${clusterPort}"\n${NO_MLOCK}`,
    { mode: 0o600 },
  );
  return configFile;
}

/** A server started with `initialize: false`: listening, never initialized (no keys, no root token). */
export interface UninitializedServer {
  address: string;
  stop(): Promise<void>;
}

/** The same production-mode server, left as it is before anyone runs `operator init`. */
export async function startUninitializedServer(options: { bao?: string; dataDir: string }): Promise<UninitializedServer> {
  const bao = options.bao ?? 'bao';
  const [port, clusterPort] = [await freePort(), await freePort()];
  const address = `http://127.0.0.1:${port}`;
  const configFile = writeOneNodeConfig(options.dataDir, port, clusterPort);
  const spawned = spawnBao(bao, ['server', `-config=${configFile}`]);
  await waitForHealth(address, spawned, true, []);
  return { address, stop: () => stopChild(spawned.child) };
}

/**
 * A production-mode server storing its data on disk, initialised with one key share, unsealed.
 * OpenBao dropped Vault's "file" storage; a one-node integrated (raft) store is its on-disk one.
 */
export async function startPersistentServer(options: { bao?: string; dataDir: string; port?: number }): Promise<PersistentOpenBaoServer> {
  const bao = options.bao ?? 'bao';
  const port = options.port ?? (await freePort());
  const clusterPort = await freePort();
  const address = `http://127.0.0.1:${port}`;
  const configFile = writeOneNodeConfig(options.dataDir, port, clusterPort);
  const initFile = join(options.dataDir, 'init.json');
  let spawned = spawnBao(bao, ['server', `-config=${configFile}`]);
  await waitForHealth(address, spawned, true, []);

  let keys: { rootToken: string; unsealKey: string };
  if (existsSync(initFile)) {
    keys = JSON.parse(readFileSync(initFile, 'utf8')) as typeof keys;
  } else {
    const init = await api<InitAnswer>(address, 'PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
    keys = { rootToken: init.root_token, unsealKey: init.keys[0] };
    writeFileSync(initFile, JSON.stringify(keys), { mode: 0o600 });
  }
  const unseal = async () => {
    await api(address, 'PUT', 'sys/unseal', { key: keys.unsealKey });
    await waitForHealth(address, spawned, false, [keys.rootToken, keys.unsealKey]);
  };
  await unseal();

  const server: PersistentOpenBaoServer = {
    address,
    rootToken: keys.rootToken,
    unsealKey: keys.unsealKey,
    get pid() {
      return spawned.child.pid!;
    },
    stop: () => stopChild(spawned.child),
    detach() {
      running.delete(spawned.child);
      spawned.child.unref();
    },
    async kill() {
      const child = spawned.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await stopChild(spawned.child);
      spawned = spawnBao(bao, ['server', `-config=${configFile}`]);
      await waitForHealth(address, spawned, true, []);
      await unseal();
    },
    seal: () => api<void>(address, 'PUT', 'sys/seal', undefined, keys.rootToken),
    unseal,
  };
  return server;
}

export interface RaftNode {
  /** e.g. `node-1` (raft node_id). */
  id: string;
  address: string;
  readonly pid: number;
  /** SIGKILL: the node crashes with no chance to step down. */
  kill(): Promise<void>;
  /** Starts again on the same ports and data, and unseals (it rejoins the cluster). */
  restart(): Promise<void>;
  running(): boolean;
}

export interface RaftCluster {
  nodes: RaftNode[];
  rootToken: string;
  unsealKey: string;
  /** The node that answers sys/health with 200 now (waits up to `timeoutMs` for one). */
  active(timeoutMs?: number): Promise<RaftNode>;
  /** Running nodes that are not the active one. */
  standbys(): Promise<RaftNode[]>;
  /** Stops every node; safe to call twice and after kills. */
  stop(): Promise<void>;
}

export interface RaftClusterOptions {
  bao?: string;
  /** Every node's config and data live below it. */
  dataDir: string;
  /** 3 unless told (an odd number keeps a quorum through one loss). */
  size?: number;
  /** Writes `disable_standby_reads = true`: standbys forward every request to the active node. */
  disableStandbyReads?: boolean;
}

async function healthStatus(address: string): Promise<number | undefined> {
  try {
    const response = await request(`${address}/v1/sys/health?standbyok=false`);
    await response.body.dump();
    return response.statusCode;
  } catch {
    return undefined;
  }
}

/**
 * Autopilot joins new nodes as non-voters and promotes them only once they are stable: until then
 * a lost leader leaves no quorum, so the cluster is not ready before every node votes.
 */
async function waitForVoters(address: string, rootToken: string, size: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  let voters = 0;
  while (Date.now() < deadline) {
    const state = await api<AutopilotState>(address, 'GET', 'sys/storage/raft/autopilot/state', undefined, rootToken).catch(() => undefined);
    voters = state?.data?.voters?.length ?? 0;
    if (state?.data?.healthy && voters === size) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the OpenBao cluster at ${address} has ${voters} of ${size} voters after 60 s: autopilot did not promote the joined nodes`);
}

/**
 * A production-shaped OpenBao cluster on loopback: integrated (raft) storage, `retry_join` to every
 * peer, shamir init with one key share, every node unsealed. `performance_multiplier = 1` is the
 * tightest raft timing, so a leader change after a kill takes about two seconds rather than ten.
 */
export async function startRaftCluster(options: RaftClusterOptions): Promise<RaftCluster> {
  const bao = options.bao ?? 'bao';
  const size = options.size ?? 3;
  const ports = await Promise.all(Array.from({ length: size * 2 }, () => freePort()));
  const specs = Array.from({ length: size }, (_, index) => ({
    id: `node-${index + 1}`,
    port: ports[index * 2],
    clusterPort: ports[index * 2 + 1],
    dir: join(options.dataDir, `node-${index + 1}`),
  }));
  const addresses = specs.map((spec) => `http://127.0.0.1:${spec.port}`);
  const configFiles = specs.map((spec, index) => {
    mkdirSync(join(spec.dir, 'data'), { recursive: true, mode: 0o700 });
    const joins = addresses
      .filter((_, other) => other !== index)
      .map((peer) => `  retry_join {\n    leader_api_addr = "${peer}"\n  }\n`)
      .join('');
    const file = join(spec.dir, 'server.hcl');
    writeFileSync(
      file,
      `storage "raft" {\n  path    = ${JSON.stringify(join(spec.dir, 'data'))}\n  node_id = "${spec.id}"\n  performance_multiplier = 1\n${joins}}\n` +
        `listener "tcp" {\n  address         = "127.0.0.1:${spec.port}"\n  cluster_address = "127.0.0.1:${spec.clusterPort}"\n  tls_disable     = true\n}\n` +
        `api_addr     = "${addresses[index]}"\ncluster_addr = "http://127.0.0.1:${spec.clusterPort}"\n${NO_MLOCK}` +
        (options.disableStandbyReads ? 'disable_standby_reads = true\n' : ''),
      { mode: 0o600 },
    );
    return file;
  });

  const children: (Spawned | undefined)[] = specs.map(() => undefined);
  let keys: { rootToken: string; unsealKey: string } | undefined;
  const secrets = () => (keys ? [keys.rootToken, keys.unsealKey] : []);
  const stopAll = async () => {
    await Promise.all(children.flatMap((spawned) => (spawned ? [stopChild(spawned.child)] : [])));
  };

  const launch = async (index: number) => {
    const spawned = spawnBao(bao, ['server', `-config=${configFiles[index]}`], join(specs[index].dir, 'server.log'));
    children[index] = spawned;
    await waitForHealth(addresses[index], spawned, true, secrets());
  };
  /** An unsealed node of a cluster answers 200 (active) or 429 (standby); joining takes a moment. */
  const unsealNode = async (index: number) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const status = await healthStatus(addresses[index]);
      if (status === 200 || status === 429) return;
      if (status === 501 || status === 503) await api(addresses[index], 'PUT', 'sys/unseal', { key: keys!.unsealKey }).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    let tail = children[index]!.output().split('\n').slice(-15).join('\n');
    for (const secret of secrets()) tail = tail.split(secret).join('<redacted>');
    throw new Error(`OpenBao ${specs[index].id} at ${addresses[index]} did not join the cluster unsealed within 30 s. Its last output:\n${tail}`);
  };

  try {
    await launch(0);
    const init = await api<InitAnswer>(addresses[0], 'PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
    keys = { rootToken: init.root_token, unsealKey: init.keys[0] };
    writeFileSync(join(options.dataDir, 'init.json'), JSON.stringify(keys), { mode: 0o600 });
    await unsealNode(0);
    for (let index = 1; index < size; index++) {
      await launch(index);
      await unsealNode(index);
    }
  } catch (error) {
    await stopAll();
    throw error;
  }

  const nodes: RaftNode[] = specs.map((spec, index) => ({
    id: spec.id,
    address: addresses[index],
    get pid() {
      return children[index]!.child.pid!;
    },
    running: () => {
      const child = children[index]!.child;
      return child.exitCode === null && child.signalCode === null;
    },
    async kill() {
      const child = children[index]!.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await stopChild(children[index]!.child);
      await launch(index);
      await unsealNode(index);
    },
  }));
  const active = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const node of nodes) if (node.running() && (await healthStatus(node.address)) === 200) return node;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no active node in the OpenBao cluster within ${timeoutMs} ms`);
  };
  const leader = await active();
  await waitForVoters(leader.address, keys.rootToken, size);
  return {
    nodes,
    rootToken: keys.rootToken,
    unsealKey: keys.unsealKey,
    active,
    async standbys() {
      const leader = await active();
      return nodes.filter((node) => node !== leader && node.running());
    },
    stop: stopAll,
  };
}
