/**
 * The Portcullis image on a private daemon without any registry: a base image imported from this
 * machine's own Node binary and the shared libraries it needs, then `npm run image` on it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker, dockerApi } from './docker-cli.js';
import type { Dockerd } from './dockerd.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export const LOCAL_NODE_BASE = 'portcullis-test-node-base:local';
export const TEST_IMAGE = 'portcullis:e2e';

/** The files `node` needs: the binary and what ldd resolves (the loader included). */
function nodeFiles(): string[] {
  const node = realpathSync(process.execPath);
  const ldd = execFileSync('ldd', [node], { encoding: 'utf8' });
  const libs = [...ldd.matchAll(/(\/[^\s]+) \(0x/g)].map((m) => m[1]!);
  return [node, ...libs];
}

/** Imports a root filesystem holding only node (at /usr/local/bin/node) and its libraries. */
export async function importNodeBase(d: Dockerd): Promise<void> {
  if ((await dockerApi(d.socket, 'GET', `/images/${LOCAL_NODE_BASE}/json`)).status === 200) return;
  const dir = mkdtempSync(join(tmpdir(), 'pc-nodebase-'));
  try {
    const [node, ...libs] = nodeFiles();
    mkdirSync(join(dir, 'usr/local/bin'), { recursive: true });
    copyFileSync(node!, join(dir, 'usr/local/bin/node'));
    chmodSync(join(dir, 'usr/local/bin/node'), 0o755);
    for (const lib of libs) {
      mkdirSync(join(dir, dirname(lib)), { recursive: true });
      copyFileSync(realpathSync(lib), join(dir, lib));
    }
    mkdirSync(join(dir, 'tmp'), { mode: 0o1777 });
    const tar = spawnSync('tar', ['-C', dir, '-c', '.'], { maxBuffer: 1024 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
    const res = await docker(d.host, ['import', '-c', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', '-', LOCAL_NODE_BASE], { input: tar.stdout });
    if (res.code !== 0) throw new Error(`docker import failed: ${res.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm run image` against the daemon with the classic builder; returns its output and duration. */
export function buildImage(d: Dockerd, tag = TEST_IMAGE): { ms: number; output: string } {
  const start = performance.now();
  const res = spawnSync('npm', ['run', 'image'], {
    cwd: repoRoot,
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0', IMAGE_TAG: tag, BASE_IMAGE: LOCAL_NODE_BASE },
    encoding: 'utf8',
    timeout: 300_000,
  });
  const output = `${res.stdout}\n${res.stderr}`;
  if (res.status !== 0) throw new Error(`npm run image failed (${res.status}):\n${output}`);
  return { ms: performance.now() - start, output };
}

let built: Promise<void> | undefined;

/** The base and the image, built once per test process. */
export function ensureImage(d: Dockerd): Promise<void> {
  built ??= (async () => {
    await importNodeBase(d);
    if ((await dockerApi(d.socket, 'GET', `/images/${TEST_IMAGE}/json`)).status !== 200) buildImage(d);
  })();
  return built;
}
