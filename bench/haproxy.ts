/** Run HAProxy (foreground, `-db`) as a child process of the bench. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { onProcessExit } from '../test/e2e/harness/exit.js';
import { haproxyCfg, haproxyEnv } from './haproxy.cfg.js';

export interface HaproxyHandle {
  pid: number;
  port: number;
  cfgPath: string;
  logPath: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  srv.close();
  await once(srv, 'close');
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

function ping(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/_ping', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

export async function startHaproxy(dir: string, socketPath: string): Promise<HaproxyHandle> {
  const port = await freePort();
  const cfgPath = join(dir, 'haproxy.cfg');
  const logPath = join(dir, 'haproxy.log');
  writeFileSync(cfgPath, haproxyCfg({ socketPath, port }));
  const logFd = openSync(logPath, 'a');
  let stderr = '';
  const child = spawn('haproxy', ['-f', cfgPath, '-db'], {
    env: { ...process.env, ...haproxyEnv },
    stdio: ['ignore', logFd, 'pipe'],
  });
  closeSync(logFd);
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr += s;
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  await once(child, 'spawn'); // rejects if the binary cannot be run
  const unregister = onProcessExit(() => {
    child.kill('SIGKILL');
  });
  const handle: HaproxyHandle = {
    pid: child.pid ?? 0,
    port,
    cfgPath,
    logPath,
    stop: async () => {
      await stopChild(child);
      unregister();
    },
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`haproxy exited early (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
    }
    if ((await ping(port)) === 200) return handle;
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`haproxy did not answer /_ping on 127.0.0.1:${port}: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
