/** The image-save case: build a big image, stream `GET /images/{name}/get` and sample the proxy's memory. */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { once } from 'node:events';
import { importImage, inspectImageSize } from './docker-api.js';

export const MIB = 1024 * 1024;

/**
 * Build `repo:tag` by importing a tar of a busybox rootfs plus `mb` MiB of random bytes
 * (from the kernel CSPRNG, so incompressible), generated in `workDir` and deleted afterwards.
 * Returns the image size the daemon reports.
 */
export async function buildBigImage(
  socketPath: string,
  workDir: string,
  name: { repo: string; tag: string },
  mb: number,
): Promise<number> {
  const root = join(workDir, 'bigimage-rootfs');
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'data'), { recursive: true });
  try {
    await copyFile(await busyboxPath(), join(root, 'bin', 'busybox'));
    for (const a of ['sh', 'ls', 'cat', 'sleep']) await symlink('busybox', join(root, 'bin', a));
    await writeFile(join(root, 'README'), `portcullis bench payload, ${mb} MiB of random bytes\n`);
    const out = createWriteStream(join(root, 'data', 'random.bin'));
    const chunk = Buffer.allocUnsafe(4 * MIB);
    let left = mb * MIB;
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      randomFillSync(chunk, 0, n);
      if (!out.write(n === chunk.length ? Buffer.from(chunk) : chunk.subarray(0, n))) await once(out, 'drain');
      left -= n;
    }
    out.end();
    await once(out, 'close');
    const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(tar, 'exit');
    await importImage(socketPath, tar.stdout, name.repo, name.tag);
    const [code] = (await exited) as [number | null];
    if (code !== 0) throw new Error(`tar exited with ${code}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return inspectImageSize(socketPath, `${name.repo}:${name.tag}`);
}

async function busyboxPath(): Promise<string> {
  for (const p of ['/bin/busybox', '/usr/bin/busybox', '/usr/local/bin/busybox']) {
    try {
      await access(p);
      return p;
    } catch {
      /* try next */
    }
  }
  throw new Error('busybox not found (apt-get install busybox-static)');
}

/** Where to send a request: a unix socket or a TCP host:port. */
export type Endpoint = { socketPath: string } | { host: string; port: number };

export interface TransferResult {
  status: number;
  bytes: number;
  seconds: number;
  /** MB/s, MB = 10^6 bytes */
  mbPerSec: number;
}

/** GET `path` with a plain node:http client, reading and discarding the body. */
export function transfer(ep: Endpoint, path: string): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ ...ep, method: 'GET', path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        resolve({ status: res.statusCode ?? 0, bytes, seconds, mbPerSec: bytes / 1e6 / seconds });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(300_000, () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.end();
  });
}

async function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(s);
  if (!m?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/**
 * Peak resident memory of `pid` while `during` runs: VmRSS sampled every 50 ms, and VmHWM after
 * resetting it (writing 5 to /proc/PID/clear_refs, needs root or the same user), whichever is larger.
 */
export async function withPeakRss<T>(pid: number, during: () => Promise<T>): Promise<{ result: T; peakKb: number; baseKb: number }> {
  let hwmReset = true;
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
  } catch {
    hwmReset = false;
  }
  const baseKb = await statusKb(pid, 'VmRSS');
  let peak = baseKb;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        peak = Math.max(peak, await statusKb(pid, 'VmRSS'));
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const result = await during();
    if (hwmReset) peak = Math.max(peak, await statusKb(pid, 'VmHWM').catch(() => 0));
    return { result, peakKb: peak, baseKb };
  } finally {
    sampling = false;
    await sampler;
  }
}
