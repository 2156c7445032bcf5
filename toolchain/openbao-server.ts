/**
 * Real OpenBao servers on loopback for tests, the demo and benchmarks: a dev server (in memory,
 * unsealed, known root token) or a persistent server whose data survives a kill and a restart.
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
    return { child, output: () => readFileSync(logFile, 'utf8').slice(-20_000) };
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
  return { child, output: () => log };
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
  throw new Error(`OpenBao did not become ready at ${address} within 30 s. Its last output:\n${tail}`);
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
}

export async function startDevServer(options: DevServerOptions = {}): Promise<OpenBaoServer> {
  const bao = options.bao ?? 'bao';
  const port = options.port ?? (await freePort());
  const rootToken = options.rootToken ?? `dev-root-${randomBytes(12).toString('hex')}`;
  const certDir = options.tls ? mkdtempSync(join(tmpdir(), 'maas-vault-tls-')) : undefined;
  const address = `${certDir ? 'https' : 'http'}://127.0.0.1:${port}`;
  const tlsArgs = certDir ? ['-dev-tls', `-dev-tls-cert-dir=${certDir}`] : [];
  const spawned = spawnBao(bao, ['server', '-dev', `-dev-root-token-id=${rootToken}`, `-dev-listen-address=127.0.0.1:${port}`, '-dev-no-store-token', ...tlsArgs], options.logFile);
  const caCert = certDir ? join(certDir, 'vault-ca.pem') : undefined;
  await waitForHealth(address, spawned, false, [rootToken], caCert);
  return {
    address,
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

async function api(address: string, method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    headers: { ...(token ? { 'X-Vault-Token': token } : {}), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`OpenBao ${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : {};
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
  mkdirSync(join(options.dataDir, 'data'), { recursive: true, mode: 0o700 });
  const configFile = join(options.dataDir, 'server.hcl');
  writeFileSync(
    configFile,
    `storage "raft" {\n  path    = ${JSON.stringify(join(options.dataDir, 'data'))}\n  node_id = "maas-vault-test"\n}\n` +
      `listener "tcp" {\n  address         = "127.0.0.1:${port}"\n  cluster_address = "127.0.0.1:${clusterPort}"\n  tls_disable     = true\n}\n` +
      `api_addr     = "${address}"\ncluster_addr = "http://127.0.0.1:${clusterPort}"\n`,
    { mode: 0o600 },
  );
  const initFile = join(options.dataDir, 'init.json');
  let spawned = spawnBao(bao, ['server', `-config=${configFile}`]);
  await waitForHealth(address, spawned, true, []);

  let keys: { rootToken: string; unsealKey: string };
  if (existsSync(initFile)) {
    keys = JSON.parse(readFileSync(initFile, 'utf8'));
  } else {
    const init = await api(address, 'PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
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
    seal: () => api(address, 'PUT', 'sys/seal', undefined, keys.rootToken),
    unseal,
  };
  return server;
}

/** The brief's name for the persistent server: a production-mode OpenBao whose data is on disk. */
export type FileOpenBaoServer = PersistentOpenBaoServer;

/**
 * Same as startPersistentServer. OpenBao has no `file` storage (2.7.2 answers "unknown storage
 * type file"), so the data under `<dataDir>/data` is a one-node raft store.
 */
export const startFileServer: (options: { bao?: string; dataDir: string; port?: number }) => Promise<FileOpenBaoServer> = startPersistentServer;
