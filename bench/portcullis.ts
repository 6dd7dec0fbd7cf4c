/**
 * Starts Portcullis for the bench, in one of two ways:
 *
 * - `file` (default): `node dist/cli/main.js serve --config F` with stdout (the decision log) written
 *   straight to a file by the kernel, exactly as HAProxy's request log is. Nothing in the bench process
 *   reads or parses the log while the load runs, so the load generator keeps both of the machine's cores
 *   to share with the proxies and the daemon on equal terms.
 * - `harness`: the e2e harness's startPortcullis(), which pipes stdout into the bench process and
 *   JSON-parses and keeps every decision line (useful to check the decision log, costs CPU and memory
 *   in the load generator's process).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onProcessExit } from '../test/e2e/harness/exit.js';
import { startPortcullis } from '../test/e2e/harness/portcullis.js';
import { stopChild } from './haproxy.js';

export type PortcullisLogMode = 'file' | 'harness';

export interface PortcullisHandle {
  pid: number;
  /** `tcp://127.0.0.1:PORT` of the first listener */
  address: string;
  logPath?: string;
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
export const portcullisMain = join(repoRoot, 'dist/cli/main.js');

export async function portcullisBuilt(): Promise<boolean> {
  return access(portcullisMain).then(
    () => true,
    () => false,
  );
}

export async function launchPortcullis(configYaml: string, mode: PortcullisLogMode, listener: string): Promise<PortcullisHandle> {
  if (mode === 'harness') {
    const p = await startPortcullis({ configYaml });
    return {
      pid: p.pid,
      address: p.host(listener),
      stop: async () => {
        await p.stop();
      },
    };
  }
  const dir = await mkdtemp('/tmp/pc-bench-px-');
  const configFile = join(dir, 'config.yaml');
  const logPath = join(dir, 'portcullis.log');
  await writeFile(configFile, configYaml);
  const logFd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [portcullisMain, 'serve', '--config', configFile], {
    cwd: repoRoot,
    stdio: ['ignore', logFd, 'pipe'],
  });
  closeSync(logFd);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  const unregister = onProcessExit(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const cleanup = async (): Promise<void> => {
    await stopChild(child, 'SIGTERM', 10_000);
    unregister();
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = readFileSync(logPath, 'utf8');
    for (const line of text.split('\n')) {
      if (!line.includes('"listening"')) continue;
      try {
        const rec = JSON.parse(line) as { msg?: unknown; listener?: unknown; address?: unknown };
        if (rec.msg === 'listening' && rec.listener === listener && typeof rec.address === 'string') {
          return { pid: child.pid ?? 0, address: rec.address, logPath, stop: cleanup };
        }
      } catch {
        /* partial line */
      }
    }
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const why = child.exitCode !== null || child.signalCode !== null ? `exited (${child.exitCode ?? child.signalCode})` : 'not listening after 15 s';
      await cleanup();
      throw new Error(`portcullis ${why}\n--- stdout ---\n${text.slice(-2000)}\n--- stderr ---\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
