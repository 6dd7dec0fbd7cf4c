/**
 * Runs the built proxy (`node dist/cli/main.js serve`) as a child process, as a user would.
 *
 * Contract with `serve`: every stdout line is one JSON object; at start-up it logs, per listener,
 * `{"msg":"listening","listener":"<name>","address":"tcp://127.0.0.1:43121"}` with the real bound address,
 * and each proxied request produces a `"msg":"request"` decision line.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { exitCode } from './docker-cli.js';
import { onProcessExit } from './exit.js';

export interface DecisionLine {
  msg: 'request';
  listener: string;
  remote: string;
  method: string;
  path: string;
  operation: string;
  decision: string;
  rule: string;
  status: number;
  duration_ms: number;
  bytes_in: number;
  bytes_out: number;
  [field: string]: unknown;
}

export interface Proxy {
  pid: number;
  /** listener name → `tcp://127.0.0.1:PORT` or `unix:///path`, in config order */
  addresses: Map<string, string>;
  /** a DOCKER_HOST value for `listener`, by default the first listener in the config */
  host(listener?: string): string;
  /** the decision lines logged so far */
  logs(): DecisionLine[];
  /** every JSON line logged so far, decision or not */
  allLogs(): Record<string, unknown>[];
  /** current resident set size in KiB */
  rssKb(): number;
  /** peak resident set size in KiB */
  hwmKb(): number;
  /** sends `signal` (default SIGTERM, SIGKILL after 10 s) and resolves with the exit code (128 + n for a signal) */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** the config file the proxy was started with, which a test may rewrite to reload it */
  configFile: string;
}

export interface StartPortcullisOptions {
  /** absent: serve without --config, so the config comes from the environment (docs/compat.md); its one listener is listener-0 */
  configYaml?: string;
  env?: Record<string, string>;
  args?: string[];
  readyTimeoutMs?: number;
}

/**
 * A config with one loopback listener `main` on a free port and one policy, `all`, that allows every
 * operation: for tests about the proxy's plumbing (shutdown, upstream faults) rather than its policies.
 * `limits` becomes the config's `limits:` section as given.
 */
export function allowAllConfig(upstream: string, limits: Record<string, number> = {}): string {
  const limitLines = Object.entries(limits).map(([k, v]) => `  ${k}: ${v}\n`).join('');
  return `
listeners:
  - name: main
    address: tcp://127.0.0.1:0
    policy: all
upstream:
  address: ${upstream}
policies:
  all:
    rules:
      - id: all
        allow: ["*"]
${limitLines === '' ? '' : `limits:\n${limitLines}`}`;
}

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const TAIL_CHARS = 4000;
const STOP_GRACE_MS = 10_000;

/**
 * The listener names `serve` will announce, in order, mirroring src/config: `--listen` flags replace the
 * file's listeners and are named cli-0, cli-1, ...; a file listener without a name is listener-<index>.
 */
function listenerNames(configYaml: string, args: readonly string[]): string[] {
  const listenFlags = args.filter((a, i) => a.startsWith('--listen=') || (a === '--listen' && i + 1 < args.length));
  if (listenFlags.length > 0) return listenFlags.map((_, i) => `cli-${i}`);
  const listeners: unknown = (parseYaml(configYaml) as { listeners?: unknown } | null)?.listeners;
  if (!Array.isArray(listeners) || listeners.length === 0) {
    throw new Error('startPortcullis: the config has no `listeners` list and no --listen flag was given');
  }
  return listeners.map((l: unknown, i) => {
    const name = (l as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? name : `listener-${i}`;
  });
}

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/status (process gone?)`);
  return Number(match[1]);
}

export async function startPortcullis(opts: StartPortcullisOptions): Promise<Proxy> {
  const names = opts.configYaml === undefined ? ['listener-0'] : listenerNames(opts.configYaml, opts.args ?? []);
  const dir = await mkdtemp('/tmp/pc-px-');
  const configFile = join(dir, 'config.yaml');
  if (opts.configYaml !== undefined) await writeFile(configFile, opts.configYaml);

  const child = spawn(
    process.execPath,
    [join(repoRoot, 'dist/cli/main.js'), 'serve', ...(opts.configYaml !== undefined ? ['--config', configFile] : []), ...(opts.args ?? [])],
    { cwd: repoRoot, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) {
    await rm(dir, { recursive: true, force: true });
    throw new Error('could not spawn node dist/cli/main.js');
  }
  // Unref'd so a forgotten stop() cannot hang the test file; the exit hook kills it instead.
  child.unref();
  (child.stdout as unknown as Socket).unref();
  (child.stderr as unknown as Socket).unref();
  const unregister = onProcessExit(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const lines: Record<string, unknown>[] = [];
  const found = new Map<string, string>();
  let stdoutTail = '';
  let stderrTail = '';
  let partial = '';
  let onProgress = (): void => {};

  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdoutTail = (stdoutTail + chunk).slice(-TAIL_CHARS);
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        // The contract says every line is JSON; a stray line stays visible in stdoutTail for error messages.
        continue;
      }
      if (obj === null || typeof obj !== 'object') continue;
      const rec = obj as Record<string, unknown>;
      lines.push(rec);
      if (rec.msg === 'listening' && typeof rec.listener === 'string' && typeof rec.address === 'string') {
        found.set(rec.listener, rec.address);
        onProgress();
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-TAIL_CHARS);
  });
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, sig) => {
      resolve(exitCode(code, sig));
      onProgress();
    });
  });
  const outputClosed = new Promise<void>((resolve) => child.on('close', () => resolve()));

  const readyTimeoutMs = opts.readyTimeoutMs ?? 15_000;
  const outcome = await new Promise<'ready' | 'exited' | 'timeout'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), readyTimeoutMs);
    onProgress = () => {
      const state = names.every((n) => found.has(n)) ? 'ready' : child.exitCode !== null || child.signalCode !== null ? 'exited' : undefined;
      if (state) {
        clearTimeout(timer);
        resolve(state);
      }
    };
    onProgress();
  });
  onProgress = () => {};
  if (outcome !== 'ready') {
    child.kill('SIGKILL');
    // 'exit' can come before the last of stderr, which is usually the explanation; a grandchild holding the pipe must not hang us.
    await Promise.race([outputClosed, sleep(1000)]);
    unregister();
    await rm(dir, { recursive: true, force: true });
    const missing = names.filter((n) => !found.has(n));
    throw new Error(
      `portcullis ${outcome === 'exited' ? `exited (code ${exitCode(child.exitCode, child.signalCode)})` : `not ready after ${readyTimeoutMs} ms`}` +
        ` before logging "listening" for: ${missing.join(', ')}\n--- stdout tail ---\n${stdoutTail}\n--- stderr tail ---\n${stderrTail}`,
    );
  }

  const addresses = new Map(names.map((n) => [n, found.get(n)!]));
  let stopping: Promise<number> | undefined;
  return {
    pid,
    addresses,
    host(listener = names[0]!) {
      const address = addresses.get(listener);
      if (address === undefined) throw new Error(`no listener named ${listener} (have: ${names.join(', ')})`);
      return address;
    },
    logs: () => lines.filter((l): l is DecisionLine => l.msg === 'request'),
    allLogs: () => [...lines],
    configFile,
    rssKb: () => procStatusKb(pid, 'VmRSS'),
    hwmKb: () => procStatusKb(pid, 'VmHWM'),
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      stopping ??= (async () => {
        child.kill(signal);
        // Also keeps the event loop alive while we wait on the unref'd child.
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        const code = await exited;
        clearTimeout(killer);
        unregister();
        await rm(dir, { recursive: true, force: true });
        return code;
      })();
      return stopping;
    },
  };
}
