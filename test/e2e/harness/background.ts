/**
 * Long-running docker CLI commands (`logs -f`, `events`) that a test watches while they run, and polling
 * for things that happen asynchronously (decision lines are written by pino off the request path).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerBinary, dockerEnv, exitCode } from './docker-cli.js';
import type { DecisionLine, Proxy } from './portcullis.js';

/** Polls `probe` until it returns something other than undefined/false; the error names `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** The first decision line from index `since` on that matches `pred`, once pino has written it. */
export function waitForDecision(proxy: Proxy, what: string, pred: (l: DecisionLine) => boolean, since = 0, timeoutMs = 5_000): Promise<DecisionLine> {
  return waitFor(what, () => proxy.logs().slice(since).find(pred), timeoutMs).catch((err: Error) => {
    const lines = proxy.logs().slice(since).slice(-20);
    throw new Error(`${err.message}\nlast decision lines since the test began:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
  });
}

/**
 * A stream shows it is subscribed only by delivering something: runs `trigger` (told its attempt number;
 * it makes something happen and returns the line that shows it) until the stream has printed one of those
 * lines. Each attempt gets a second before the next; a late line of an earlier attempt counts too.
 */
export async function untilDelivered(
  stream: BackgroundDocker,
  what: string,
  trigger: (attempt: number) => Promise<RegExp>,
  timeoutMs = 30_000,
): Promise<void> {
  const shown: RegExp[] = [];
  let next = 0;
  await waitFor(what, async () => {
    if (shown.some((re) => re.test(stream.stdout()))) return true;
    if (Date.now() >= next) {
      shown.push(await trigger(shown.length));
      next = Date.now() + 1000;
    }
    return false;
  }, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message}\n--- stdout ---\n${stream.stdout()}`);
  });
}

export interface BackgroundDocker {
  /** everything printed on stdout so far */
  stdout(): string;
  /** resolves once `re` matches everything printed so far; rejects if the CLI exits first */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code; removes the CLI's config directory if it made one */
  stop(): Promise<number>;
}

/** A long-running docker CLI; `configDir` (e.g. one holding a client's token) is used as given, else a fresh empty one. */
export async function spawnDocker(host: string, args: string[], given?: { configDir: string }): Promise<BackgroundDocker> {
  const configDir = given?.configDir ?? (await mkdtemp(join(tmpdir(), 'pc-dockercfg-')));
  const child = spawn(dockerBinary(), args, { env: dockerEnv(host, configDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let exited: number | undefined;
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const closed = new Promise<number>((resolve) => child.on('close', (code, sig) => resolve((exited = exitCode(code, sig)))));
  return {
    stdout: () => out,
    async waitForStdout(re, timeoutMs = 10_000) {
      await waitFor(`docker ${args.join(' ')} to print ${re}`, () => re.test(out) || exited !== undefined, timeoutMs).catch((e: Error) => {
        throw new Error(`${e.message}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
      });
      if (!re.test(out)) throw new Error(`docker ${args.join(' ')} exited (${exited}) before printing ${re}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`);
    },
    async stop() {
      if (exited === undefined) child.kill('SIGTERM');
      const code = await closed;
      if (given === undefined) await rm(configDir, { recursive: true, force: true });
      return code;
    },
  };
}
