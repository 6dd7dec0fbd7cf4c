/**
 * Runs the built `portcullis plugin` as a child process, and a private dockerd that asks it about
 * every request (`--authorization-plugin`). The plugin name is unique per test process, so
 * parallel runs never share a socket in /run/docker/plugins.
 *
 * The plugin must answer before dockerd's first request (dockerd resolves a plugin once and keeps
 * a failure), and its config names the daemon's socket as upstream before the daemon exists, so
 * the upstream is a symlink in the plugin's directory pointed at the socket once dockerd is up.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCode } from './docker-cli.js';
import { startDockerd, type RestartableDockerd, type StartDockerdOptions } from './dockerd.js';
import { onProcessExit } from './exit.js';
import type { DecisionLine } from './portcullis.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const PLUGIN_SOCKET_DIR = '/run/docker/plugins';
const TAIL_CHARS = 4000;

export interface PluginProcess {
  readonly pid: number;
  /** decision lines logged so far */
  logs(): DecisionLine[];
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code once the socket is gone */
  stop(): Promise<number>;
}

export interface PluginSetup {
  /** plugin name, as given to --authorization-plugin */
  readonly name: string;
  /** the directory of the config and the upstream symlink */
  readonly dir: string;
  /** `unix://…` the plugin's configs must use as upstream */
  readonly upstream: string;
  /** starts `portcullis plugin` with this config; resolves once it listens */
  start(configYaml: string, args?: string[]): Promise<PluginProcess>;
  /** starts the daemon that asks the plugin and points the upstream symlink at it */
  startDaemon(opts?: StartDockerdOptions): Promise<RestartableDockerd>;
  cleanup(): Promise<void>;
}

export async function pluginSetup(): Promise<PluginSetup> {
  const dir = await mkdtemp('/tmp/pc-pl-');
  const name = `portcullis-test-${process.pid}-${dir.slice('/tmp/pc-pl-'.length)}`;
  const upstreamPath = join(dir, 'docker.sock');
  let configs = 0;
  const running = new Set<PluginProcess>();

  const start = async (configYaml: string, args: string[] = []): Promise<PluginProcess> => {
    const configFile = join(dir, `config-${configs++}.yaml`);
    await writeFile(configFile, configYaml);
    const child = spawn(process.execPath, [join(repoRoot, 'dist/cli/main.js'), 'plugin', '--config', configFile, '--name', name, '--socket-dir', PLUGIN_SOCKET_DIR, ...args], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('could not spawn node dist/cli/main.js plugin');
    child.unref();
    (child.stdout as unknown as Socket).unref();
    (child.stderr as unknown as Socket).unref();
    const unregister = onProcessExit(() => {
      child.kill('SIGKILL');
      rmSync(join(PLUGIN_SOCKET_DIR, `${name}.sock`), { force: true });
    });
    const lines: Record<string, unknown>[] = [];
    let partial = '';
    let stdoutTail = '';
    let stderrTail = '';
    let onLine = (): void => {};
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdoutTail = (stdoutTail + chunk).slice(-TAIL_CHARS);
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // visible in stdoutTail
        }
      }
      onLine();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderrTail = (stderrTail + chunk).slice(-TAIL_CHARS)));
    const exited = new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(exitCode(code, sig))));
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 15_000);
      onLine = () => {
        if (lines.some((l) => l.msg === 'listening')) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      void exited.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    onLine = () => {};
    if (!ready) {
      child.kill('SIGKILL');
      unregister();
      throw new Error(`portcullis plugin did not start\n--- stdout ---\n${stdoutTail}\n--- stderr ---\n${stderrTail}`);
    }
    let stopping: Promise<number> | undefined;
    const p: PluginProcess = {
      pid,
      logs: () => lines.filter((l): l is DecisionLine => l.msg === 'request'),
      stop: () =>
        (stopping ??= (async () => {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          const code = await exited;
          clearTimeout(killer);
          unregister();
          running.delete(p);
          return code;
        })()),
    };
    running.add(p);
    return p;
  };

  let daemon: RestartableDockerd | undefined;
  return {
    name,
    dir,
    upstream: `unix://${upstreamPath}`,
    start,
    async startDaemon(opts = {}) {
      daemon = await startDockerd({ ...opts, extraArgs: [`--authorization-plugin=${name}`, ...(opts.extraArgs ?? [])] });
      await symlink(daemon.socket, upstreamPath);
      return daemon;
    },
    async cleanup() {
      // The daemon first: its own cleanup removes containers, which the plugin must still allow.
      await daemon?.stop();
      for (const p of [...running]) await p.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
