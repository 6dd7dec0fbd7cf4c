import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { constants as osConstants, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { linkCliPlugins } from './daemon-flavour.js';

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface DockerOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** a DOCKER_CONFIG directory to use instead of a fresh empty one (e.g. to test `docker login` state) */
  dockerConfigDir?: string;
}

/** The pinned modern client that the e2e tests are written against; a distro client on PATH is only a fallback. */
export function dockerBinary(): string {
  try {
    accessSync('/usr/local/bin/docker', constants.X_OK);
    return '/usr/local/bin/docker';
  } catch {
    return 'docker';
  }
}

/**
 * Environment for the docker CLI with every variable that could redirect or reconfigure it taken away.
 * The CLI plugins (buildx, Compose v2) are linked into `configDir`, so every client the tests run has them.
 */
export function dockerEnv(host: string, configDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  linkCliPlugins(configDir);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DOCKER_')) env[k] = v;
  }
  return { ...env, DOCKER_HOST: host, DOCKER_CONFIG: configDir, DOCKER_BUILDKIT: '0', ...extra };
}

/** Runs the docker CLI against `host`; rejects only on spawn failure or timeout, a non-zero exit is in `code`. */
export async function docker(host: string, args: string[], opts: DockerOptions = {}): Promise<DockerResult> {
  const ownConfig = opts.dockerConfigDir === undefined ? await mkdtemp(join(tmpdir(), 'pc-dockercfg-')) : undefined;
  try {
    return await runDocker(host, args, opts, opts.dockerConfigDir ?? ownConfig!);
  } finally {
    if (ownConfig !== undefined) await rm(ownConfig, { recursive: true, force: true });
  }
}

function runDocker(host: string, args: string[], opts: DockerOptions, configDir: string): Promise<DockerResult> {
  return runClient(dockerBinary(), args, { env: dockerEnv(host, configDir, opts.env), input: opts.input, timeoutMs: opts.timeoutMs });
}

export interface ClientOptions {
  /** the whole environment, e.g. from dockerEnv() */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  timeoutMs?: number;
}

/**
 * Runs a Docker client (the docker CLI, docker-compose) to completion and collects its output; rejects only
 * on spawn failure or timeout (after killing it), a non-zero exit is in `code`.
 */
export function runClient(binary: string, args: string[], opts: ClientOptions): Promise<DockerResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${basename(binary)} ${args.join(' ')} timed out after ${timeoutMs} ms\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: exitCode(code, signal), stdout, stderr });
    });
    // A client that exits before reading all its input (e.g. a denied request) must not crash the test with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  });
}

/** The shell convention (128 + signal number) so a signal death is never mistaken for success. */
export function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  return code ?? 128 + (signal ? osConstants.signals[signal] : 0);
}

export interface ApiResult {
  status: number;
  /** the parsed body, or undefined when it is not JSON */
  json: any;
  text: string;
}

/**
 * A docker CLI config directory `dir` (created) whose config.json makes the CLI send the bearer
 * `token`, as a tenant's CLI does.
 */
export async function tokenConfigDir(dir: string, token: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }));
  return dir;
}

/** A request straight to the daemon's socket, bypassing the proxy: how tests check what the daemon really did. */
export function dockerApi(socket: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
  // A daemon's unix socket, or a proxy listener given as tcp://host:port.
  const tcp = socket.startsWith('tcp://') ? new URL(socket.replace(/^tcp:/, 'http:')) : null;
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        ...(tcp === null ? { socketPath: socket } : { host: tcp.hostname, port: Number(tcp.port) }),
        method,
        path,
        headers: { ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
