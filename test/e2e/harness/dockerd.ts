/**
 * A private Docker daemon for end-to-end tests (see /work/shared/notes/real-dockerd.md).
 *
 * Usage in a test file (e2eSuite in ./skip.ts does exactly this for you):
 *
 *     let d: Dockerd;
 *     before(async () => { d = await sharedDockerd(); });
 *     after(() => d.stop());
 *
 * Under `npm test` the runner starts one daemon for the whole run and `sharedDockerd()` returns a handle
 * to it whose stop() does nothing; a file run on its own starts (and stops) its own daemon.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, readSync, fstatSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonFlavour } from './daemon-flavour.js';
import { docker, dockerApi, dockerBinary, dockerEnv } from './docker-cli.js';
import { onProcessExit } from './exit.js';

export interface Dockerd {
  /** the daemon's private directory (data-root, exec-root, socket, log) */
  dir: string;
  socket: string;
  /** `unix://<socket>`, for DOCKER_HOST or `docker -H` */
  host: string;
  pid: number;
  stop(): Promise<void>;
}

/** A daemon this process started itself, which can therefore be bounced. */
export interface RestartableDockerd extends Dockerd {
  /** stops dockerd and starts it again with the same flags, socket and data-root; resolves once it answers /_ping */
  restart(): Promise<void>;
}

export interface StartDockerdOptions {
  readyTimeoutMs?: number;
  /** extra dockerd flags, e.g. to test a daemon configured differently */
  extraArgs?: string[];
}

export const BUSYBOX_IMAGE = 'busybox:local';

const STOP_GRACE_MS = 20_000;

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, cmd);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}

export function e2eAvailability(): { ok: true } | { ok: false; why: string } {
  // The runner tried to start the shared daemon and could not; every file retrying would only repeat that failure slowly.
  const runnerVerdict = process.env.PORTCULLIS_E2E_UNAVAILABLE;
  if (runnerVerdict) return { ok: false, why: runnerVerdict };
  if (process.getuid?.() !== 0) return { ok: false, why: 'not running as root (a private dockerd needs root)' };
  const flavour = daemonFlavour();
  if (flavour.missing !== undefined) return { ok: false, why: `${flavour.label}: ${flavour.missing}` };
  const missing = [flavour.binary, 'unshare', 'busybox', 'ip'].filter((cmd) => !cmd.startsWith('/') && which(cmd) === undefined);
  if (missing.length > 0) return { ok: false, why: `not on PATH: ${missing.join(', ')}` };
  return { ok: true };
}

function tail(file: string, bytes = 4096): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, bytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } catch (err) {
    return `(no log: ${String(err)})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    // kill(pid, 0) succeeds on an unreaped zombie, and nothing reaps our child inside an 'exit' listener.
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Mount points at or below `dir`, deepest first, from the kernel's view (octal escapes decoded). */
function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p === dir || p.startsWith(dir + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/**
 * Removes the daemon's directory. dockerd shares our mount namespace, so a daemon that died uncleanly
 * leaves overlay and nsfs mounts under it that `rm -r` cannot remove; lazy unmount detaches even busy ones.
 */
function removeDir(dir: string): void {
  for (const point of mountsUnder(dir)) {
    spawnSync('umount', ['-R', '-l', point], { stdio: 'ignore' });
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

async function ping(socket: string): Promise<boolean> {
  try {
    const res = await dockerApi(socket, 'GET', '/_ping');
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function startDockerd(opts: StartDockerdOptions = {}): Promise<RestartableDockerd> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  // Unix socket paths are limited to 107 bytes, so the directory stays short and out of $TMPDIR.
  const dir = await mkdtemp('/tmp/pc-');
  const socket = join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const logFile = join(dir, 'dockerd.log');
  // An /etc/docker/daemon.json on the machine would otherwise be merged into our flags.
  const configFile = join(dir, 'daemon.json');
  await writeFile(configFile, '{}\n');
  const ns = `portcullis-${dir.slice('/tmp/pc-'.length)}`;
  const args = [
    '--host', host,
    '--data-root', join(dir, 'data'),
    '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'docker.pid'),
    '--config-file', configFile,
    '--bridge=none', '--iptables=false', '--ip6tables=false',
    // dockerd 20.10 uses a system containerd when one runs; private namespaces keep us out of the host daemon's containers.
    '--containerd-namespace', ns,
    '--containerd-plugins-namespace', `${ns}-plugins`,
    ...(opts.extraArgs ?? []),
  ];
  // Mutable so that restart() can replace the process while stop() and the exit cleanup follow the current one.
  let pid = 0;
  let exited = true;
  let exitedPromise = Promise.resolve();
  let exitStatus = '';

  const stopSync = (): void => {
    if (isAlive(pid)) {
      // The daemon's own dir has no config.json and is deleted below, so it serves as the client's empty DOCKER_CONFIG.
      const env = dockerEnv(host, dir);
      const ps = spawnSync(dockerBinary(), ['ps', '-aq'], { env, encoding: 'utf8', timeout: 10_000 });
      const ids = (ps.stdout ?? '').split(/\s+/).filter(Boolean);
      if (ids.length > 0) spawnSync(dockerBinary(), ['rm', '-f', ...ids], { env, stdio: 'ignore', timeout: 30_000 });
      signal(pid, 'SIGTERM');
      const deadline = Date.now() + STOP_GRACE_MS;
      const nap = new Int32Array(new SharedArrayBuffer(4));
      while (isAlive(pid) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 50);
      if (isAlive(pid)) signal(pid, 'SIGKILL');
    }
    removeDir(dir);
  };
  const unregister = onProcessExit(stopSync);

  const fail = (why: string): never => {
    unregister();
    const log = tail(logFile);
    if (!exited) signal(pid, 'SIGKILL');
    removeDir(dir);
    throw new Error(`dockerd ${why}\n--- dockerd log tail ---\n${log}`);
  };

  const flavour = daemonFlavour();
  const daemonPath = [...flavour.pathPrefix, process.env.PATH ?? ''].join(delimiter);

  const launch = async (): Promise<void> => {
    const logFd = openSync(logFile, 'a');
    // A second dockerd in the host network namespace would delete the host's docker0 bridge; its own namespace needs
    // loopback up for ports published on 127.0.0.1. unshare and sh both exec, so the child's pid is dockerd's.
    // Its own process group keeps a terminal's Ctrl-C from killing it before we have removed its containers.
    const child = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', flavour.binary, ...args], {
      detached: true,
      env: { ...process.env, PATH: daemonPath },
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    child.unref();
    if (child.pid === undefined) return fail('could not be spawned (unshare/dockerd)');
    pid = child.pid;
    exited = false;
    exitedPromise = new Promise<void>((resolve) => {
      child.on('exit', (code, sig) => {
        exited = true;
        exitStatus = `exit code ${code}, signal ${sig}`;
        resolve();
      });
    });
    child.on('error', () => {
      exited = true;
    });

    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exited) fail(`exited before becoming ready (${exitStatus})`);
      if (await ping(socket)) break;
      if (Date.now() > deadline) fail(`not ready after ${readyTimeoutMs} ms`);
      await sleep(100);
    }
  };

  const terminate = async (): Promise<void> => {
    signal(pid, 'SIGTERM');
    // This timer also keeps the event loop alive while we wait on the unref'd child.
    const killer = setTimeout(() => signal(pid, 'SIGKILL'), STOP_GRACE_MS);
    await exitedPromise;
    clearTimeout(killer);
  };

  await launch();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (!exited) {
        const list = await dockerApi(socket, 'GET', '/containers/json?all=1').catch(() => undefined);
        const ids: string[] = Array.isArray(list?.json) ? list.json.map((c: { Id: string }) => c.Id) : [];
        // Removing first: a running container would hold up dockerd's shutdown by ~10 s each.
        await Promise.all(ids.map((id) => dockerApi(socket, 'DELETE', `/containers/${id}?force=1&v=1`).catch(() => undefined)));
        await terminate();
      }
      unregister();
      removeDir(dir);
    })());

  const restart = async (): Promise<void> => {
    if (stopping !== undefined) throw new Error('dockerd: restart() after stop()');
    if (!exited) await terminate();
    await launch();
  };

  return {
    dir,
    socket,
    host,
    get pid() {
      return pid;
    },
    stop,
    restart,
  };
}

/** Imports `busybox:local` (every busybox applet under /bin) unless the daemon already has it; no registry is needed. */
export async function ensureBusybox(d: Dockerd): Promise<void> {
  const existing = await dockerApi(d.socket, 'GET', `/images/${BUSYBOX_IMAGE}/json`);
  if (existing.status === 200) return;
  const busybox = which('busybox');
  if (busybox === undefined) throw new Error('busybox is not on PATH');
  const work = await mkdtemp('/tmp/pc-bb-');
  try {
    const bin = join(work, 'rootfs', 'bin');
    await mkdir(bin, { recursive: true });
    await copyFile(busybox, join(bin, 'busybox'));
    const applets = spawnSync(busybox, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
    await Promise.all(applets.map((a) => symlink('busybox', join(bin, a))));
    const tarball = join(work, 'rootfs.tar');
    const tar = spawnSync('tar', ['-C', join(work, 'rootfs'), '-cf', tarball, '.'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
    const res = await docker(d.host, ['import', '-c', 'ENV PATH=/bin', tarball, BUSYBOX_IMAGE]);
    if (res.code !== 0) throw new Error(`docker import failed (${res.code}): ${res.stderr}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Creates and starts a `busybox:local` container named `name` running `cmd`, without a network, on the
 * daemon directly: the proxy under test sees only what the test itself sends. Returns the container id.
 */
export async function daemonRun(d: Dockerd, name: string, cmd: string[], config: Record<string, unknown> = {}): Promise<string> {
  const created = await dockerApi(d.socket, 'POST', `/containers/create?name=${name}`, {
    Image: BUSYBOX_IMAGE,
    Cmd: cmd,
    HostConfig: { NetworkMode: 'none' },
    ...config,
  });
  assert.equal(created.status, 201, created.text);
  const started = await dockerApi(d.socket, 'POST', `/containers/${name}/start`);
  assert.equal(started.status, 204, started.text);
  return created.json.Id as string;
}

let shared: Promise<Dockerd> | undefined;

/**
 * The daemon for this test process, with `busybox:local` present. Under the runner this is the run-wide
 * daemon named by PORTCULLIS_TEST_DOCKER_HOST (stop() is a no-op); otherwise one is started on first use.
 * Stopping it forgets it, so a later call (e.g. from a second suite in the same file) starts a fresh one.
 */
export function sharedDockerd(): Promise<Dockerd> {
  if (shared === undefined) {
    const starting = (async () => {
      const env = process.env.PORTCULLIS_TEST_DOCKER_HOST;
      const d = await (env ? attach(env) : ownDaemon());
      await ensureBusybox(d);
      return d;
    })();
    starting.catch(() => {
      if (shared === starting) shared = undefined;
    });
    shared = starting;
  }
  return shared;
}

async function ownDaemon(): Promise<Dockerd> {
  const d = await startDockerd();
  return {
    ...d,
    stop: async () => {
      shared = undefined;
      await d.stop();
    },
  };
}

async function attach(host: string): Promise<Dockerd> {
  if (!host.startsWith('unix://')) throw new Error(`PORTCULLIS_TEST_DOCKER_HOST must be unix://..., got ${host}`);
  const socket = host.slice('unix://'.length);
  const dir = dirname(socket);
  // Only a daemon started by this harness has its pidfile beside the socket; refusing others keeps tests off a real daemon.
  const pidText = await readFile(join(dir, 'docker.pid'), 'utf8').catch(() => {
    throw new Error(`PORTCULLIS_TEST_DOCKER_HOST=${host} was not started by the test harness (no ${dir}/docker.pid)`);
  });
  return { dir, socket, host, pid: Number(pidText.trim()), stop: async () => {} };
}
