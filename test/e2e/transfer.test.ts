/**
 * Bulk transfers through the proxy: image save/load and docker cp. The proxy must stream them with
 * constant memory (DEVELOPERS.md, back-pressure), so its resident size is sampled throughout.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { it } from 'node:test';
import { docker, dockerApi, dockerBinary, dockerEnv } from './harness/docker-cli.js';
import { BUSYBOX_IMAGE } from './harness/dockerd.js';
import { startPortcullis, type Proxy } from './harness/portcullis.js';
import { e2eSuite } from './harness/skip.js';

const run = promisify(execFile);

const SAVE_MB = Number(process.env.PORTCULLIS_E2E_SAVE_MB ?? '500');
if (!Number.isInteger(SAVE_MB) || SAVE_MB < 1) throw new Error(`PORTCULLIS_E2E_SAVE_MB must be a positive integer, got ${process.env.PORTCULLIS_E2E_SAVE_MB}`);
const CP_MB = 50;
const MiB = 1024 * 1024;
/** Node itself takes ~50 MB; anything that buffers a 500 MB body, or even a fraction of it, goes far past this. */
const RSS_LIMIT_KB = 100 * 1024;

function config(upstreamHost: string): string {
  return `
listeners:
  - name: main
    address: tcp://127.0.0.1:0
    policy: transfer
upstream:
  address: ${upstreamHost}
policies:
  transfer:
    rules:
      - id: transfer
        allow: [system:read, "images:*", "containers:*", exec]
`;
}

interface RssPeak {
  startKb: number;
  peakKb: number;
  samples: number;
}

/** Runs `fn` while polling the proxy's VmRSS every 50 ms, the granularity at which a buffered body would show. */
async function withRssSampling<T>(proxy: Proxy, fn: () => Promise<T>): Promise<{ value: T; ms: number; rss: RssPeak }> {
  const rss = { startKb: proxy.rssKb(), peakKb: 0, samples: 1 };
  rss.peakKb = rss.startKb;
  const timer = setInterval(() => {
    rss.peakKb = Math.max(rss.peakKb, proxy.rssKb());
    rss.samples++;
  }, 50);
  const t0 = Date.now();
  try {
    const value = await fn();
    const ms = Date.now() - t0;
    rss.peakKb = Math.max(rss.peakKb, proxy.rssKb());
    rss.samples++;
    return { value, ms, rss };
  } finally {
    clearInterval(timer);
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** relative path -> sha256 of every regular file under `dir` */
async function treeHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    out[relative(dir, full)] = await sha256File(full);
  }
  return out;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - t0 };
}

const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

e2eSuite('bulk transfers through the proxy', (ctx) => {
  it(`docker save and docker load of a ${SAVE_MB} MB image stream through with flat memory`, { timeout: 300_000 }, async (t) => {
    const d = ctx.dockerd;
    const image = `portcullis-e2e/transfer:big-${process.pid}`;
    const work = await mkdtemp('/tmp/pc-xfer-');
    let proxy: Proxy | undefined;
    try {
      // Built on the daemon directly, so the proxy only ever sees the transfers under test.
      const rootfs = join(work, 'rootfs');
      await mkdir(join(rootfs, 'bin'), { recursive: true });
      const busybox = (await run('sh', ['-c', 'command -v busybox'])).stdout.trim();
      await copyFile(busybox, join(rootfs, 'bin', 'busybox'));
      await symlink('busybox', join(rootfs, 'bin', 'sh'));
      // Random bytes so that no layer of the path can shrink the payload by compressing it.
      await run('sh', ['-c', `head -c ${SAVE_MB}M /dev/urandom > "$1"`, 'sh', join(rootfs, 'big.bin')]);
      await mkdir(join(work, 'cfg'));
      const imported = await timed(
        () =>
          new Promise<number>((resolve, reject) => {
            const child = spawn('sh', ['-c', 'tar -C "$1" -cf - . | "$2" import -c "ENV PATH=/bin" - "$3"', 'sh', rootfs, dockerBinary(), image], {
              env: dockerEnv(d.host, join(work, 'cfg')),
              stdio: ['ignore', 'ignore', 'inherit'],
            });
            child.on('error', reject);
            child.on('close', (code) => resolve(code ?? 1));
          }),
      );
      assert.equal(imported.value, 0, 'docker import on the daemon failed');
      await rm(rootfs, { recursive: true });
      const original = await dockerApi(d.socket, 'GET', `/images/${image}/json`);
      assert.equal(original.status, 200, original.text);
      assert.ok(original.json.Size >= SAVE_MB * MiB, `image is only ${original.json.Size} bytes`);

      proxy = await startPortcullis({ configYaml: config(d.host) });
      const archive = join(work, 'image.tar');

      const saved = await withRssSampling(proxy, () => docker(proxy!.host(), ['save', '-o', archive, image], { timeoutMs: 240_000 }));
      assert.equal(saved.value.code, 0, saved.value.stderr);
      const size = (await stat(archive)).size;
      assert.ok(size >= SAVE_MB * MiB, `saved archive is only ${size} bytes`);
      const manifest: unknown = JSON.parse((await run('tar', ['-xOf', archive, 'manifest.json'], { maxBuffer: MiB })).stdout);
      assert.ok(Array.isArray(manifest) && manifest.length === 1, `manifest.json: ${JSON.stringify(manifest)}`);
      assert.deepEqual((manifest[0] as { RepoTags: string[] }).RepoTags, [image]);

      const removed = await docker(d.host, ['rmi', image]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal((await dockerApi(d.socket, 'GET', `/images/${image}/json`)).status, 404);

      const loaded = await withRssSampling(proxy, () => docker(proxy!.host(), ['load', '-i', archive], { timeoutMs: 240_000 }));
      assert.equal(loaded.value.code, 0, loaded.value.stderr);
      assert.match(loaded.value.stdout, new RegExp(`Loaded image: ${image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
      const back = await dockerApi(d.socket, 'GET', `/images/${image}/json`);
      assert.equal(back.status, 200, back.text);
      // The daemon recomputes the layer digest while loading, so an equal image ID means every byte arrived intact.
      assert.equal(back.json.Id, original.json.Id);

      const hwmKb = proxy.hwmKb();
      t.diagnostic(
        `import on daemon ${imported.ms} ms; save ${(size / MiB).toFixed(0)} MiB in ${saved.ms} ms, load in ${loaded.ms} ms; ` +
          `proxy RSS start ${mb(saved.rss.startKb)}, peak during save ${mb(saved.rss.peakKb)} (${saved.rss.samples} samples), ` +
          `peak during load ${mb(loaded.rss.peakKb)} (${loaded.rss.samples} samples), VmHWM ${mb(hwmKb)}`,
      );
      assert.ok(saved.rss.peakKb < RSS_LIMIT_KB, `proxy RSS peaked at ${mb(saved.rss.peakKb)} during save`);
      assert.ok(loaded.rss.peakKb < RSS_LIMIT_KB, `proxy RSS peaked at ${mb(loaded.rss.peakKb)} during load`);
    } finally {
      await proxy?.stop();
      await dockerApi(d.socket, 'DELETE', `/images/${encodeURIComponent(image)}?force=1`).catch(() => undefined);
      await rm(work, { recursive: true, force: true });
    }
  });

  it(`docker cp copies a ${CP_MB} MB file and a directory tree both ways with flat memory`, { timeout: 120_000 }, async (t) => {
    const d = ctx.dockerd;
    const work = await mkdtemp('/tmp/pc-cp-');
    let proxy: Proxy | undefined;
    let container: string | undefined;
    try {
      const started = await docker(d.host, ['run', '-d', '--network', 'none', BUSYBOX_IMAGE, 'sleep', '1000']);
      assert.equal(started.code, 0, started.stderr);
      container = started.stdout.trim();
      // busybox:local is /bin and nothing else.
      const mkdirTmp = await docker(d.host, ['exec', container, 'mkdir', '/tmp']);
      assert.equal(mkdirTmp.code, 0, mkdirTmp.stderr);

      const big = join(work, 'big.bin');
      await run('sh', ['-c', `head -c ${CP_MB}M /dev/urandom > "$1"`, 'sh', big]);
      const bigHash = await sha256File(big);
      const tree = join(work, 'tree');
      await mkdir(join(tree, 'sub', 'deeper'), { recursive: true });
      await writeFile(join(tree, 'top.txt'), 'top\n');
      await writeFile(join(tree, 'sub', 'middle.txt'), 'middle\n'.repeat(1000));
      await run('sh', ['-c', 'head -c 3M /dev/urandom > "$1"', 'sh', join(tree, 'sub', 'deeper', 'random.bin')]);
      await writeFile(join(tree, 'sub', 'deeper', 'empty'), '');
      const treeHash = await treeHashes(tree);

      proxy = await startPortcullis({ configYaml: config(d.host) });
      const { value: ms, rss } = await withRssSampling(proxy, async () => {
        const cpIn = await timed(() => docker(proxy!.host(), ['cp', big, `${container}:/tmp/x`]));
        assert.equal(cpIn.value.code, 0, cpIn.value.stderr);
        const inside = await docker(d.host, ['exec', container!, 'sha256sum', '/tmp/x']);
        assert.equal(inside.code, 0, inside.stderr);
        assert.equal(inside.stdout.split(/\s+/)[0], bigHash, 'the file in the container differs from the one copied in');

        const out = join(work, 'out.bin');
        const cpOut = await timed(() => docker(proxy!.host(), ['cp', `${container}:/tmp/x`, out]));
        assert.equal(cpOut.value.code, 0, cpOut.value.stderr);
        assert.equal(await sha256File(out), bigHash, 'the file copied out differs from the one in the container');

        const treeIn = await docker(proxy!.host(), ['cp', tree, `${container}:/tmp/tree`]);
        assert.equal(treeIn.code, 0, treeIn.stderr);
        const listing = await docker(d.host, ['exec', container!, 'sh', '-c', 'cd /tmp/tree && find . -type f | sort | xargs sha256sum']);
        assert.equal(listing.code, 0, listing.stderr);
        const insideTree = Object.fromEntries(
          listing.stdout
            .trim()
            .split('\n')
            .map((line) => {
              const [hash, path] = line.split(/\s+/);
              return [path!.replace(/^\.\//, ''), hash!];
            }),
        );
        assert.deepEqual(insideTree, treeHash, 'the tree in the container differs from the one copied in');

        const back = join(work, 'back');
        const treeOut = await docker(proxy!.host(), ['cp', `${container}:/tmp/tree`, back]);
        assert.equal(treeOut.code, 0, treeOut.stderr);
        assert.deepEqual(await treeHashes(back), treeHash, 'the tree copied out differs from the one copied in');
        return { in: cpIn.ms, out: cpOut.ms };
      });

      t.diagnostic(
        `cp in ${CP_MB} MiB ${ms.in} ms, out ${ms.out} ms; proxy RSS start ${mb(rss.startKb)}, peak ${mb(rss.peakKb)} ` +
          `(${rss.samples} samples), VmHWM ${mb(proxy.hwmKb())}`,
      );
      assert.ok(rss.peakKb < RSS_LIMIT_KB, `proxy RSS peaked at ${mb(rss.peakKb)}`);
      // Holding the 50 MB file in memory, even once, would show as at least that much growth.
      assert.ok(rss.peakKb - rss.startKb < (CP_MB / 2) * 1024, `proxy RSS grew by ${mb(rss.peakKb - rss.startKb)} during docker cp`);
    } finally {
      await proxy?.stop();
      if (container !== undefined) await dockerApi(d.socket, 'DELETE', `/containers/${container}?force=1`).catch(() => undefined);
      await rm(work, { recursive: true, force: true });
    }
  });
});
