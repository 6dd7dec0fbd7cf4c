/**
 * `npm run bench`: Portcullis against the daemon's socket and HAProxy (Tecnativa-style rules), on a
 * private dockerd. See bench/README.md for what is measured and how to read the output.
 *
 *   tsx bench/run.ts [--duration S] [--connections N] [--only ping,list,tenant-list,save] [--save-mb N]
 *                    [--rounds R] [--targets direct,haproxy,portcullis] [--portcullis-log file|harness]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBusybox, startDockerd, type Dockerd } from '../test/e2e/harness/dockerd.js';
import { onProcessExit } from '../test/e2e/harness/exit.js';
import { api, createSleepers, daemonVersion, removeImage, removeLabelled, startSleepers } from './docker-api.js';
import { startHaproxy } from './haproxy.js';
import { LoadAccumulator, warmUp, type Headers } from './load.js';
import { portcullisConfig, portcullisTenantConfig } from './portcullis-config.js';
import { launchPortcullis, portcullisBuilt, type PortcullisLogMode } from './portcullis.js';
import {
  CASES,
  TARGETS,
  computeChecks,
  median,
  renderMarkdown,
  renderText,
  type BenchResults,
  type CaseName,
  type SaveRun,
  type TargetName,
} from './report.js';
import { buildBigImage, transfer, withPeakRss, type Endpoint } from './save.js';

const WARMUP_S = 2;
const SAVE_RUNS = 3;
const LIST_CONTAINERS = 50;
const TENANT_CONTAINERS = 500;
const TENANT_VISIBLE = 10;
const TENANT_CLIENT = 'alice';
const OWNER_LABEL = 'io.portcullis.owner';
const LABEL = 'portcullis.bench';
const BIG_IMAGE = { repo: 'portcullis-bench-big', tag: 'latest' };

const t0 = Date.now();
function progress(msg: string): void {
  process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

function parseList<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const i of items) {
    if (!allowed.includes(i as T)) throw new Error(`--${flag}: unknown "${i}" (allowed: ${allowed.join(', ')})`);
  }
  return allowed.filter((a) => items.includes(a));
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer, got "${text}"`);
  return n;
}

function parseFlags() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '16' },
      only: { type: 'string', default: CASES.join(',') },
      'save-mb': { type: 'string', default: '500' },
      targets: { type: 'string', default: TARGETS.join(',') },
      'portcullis-log': { type: 'string', default: 'file' },
      rounds: { type: 'string', default: '5' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: tsx bench/run.ts [--duration S=10] [--connections N=16] [--only ping,list,tenant-list,save] [--save-mb N=500]\n' +
        '                        [--rounds R=5] [--targets direct,haproxy,portcullis] [--portcullis-log file|harness]\n',
    );
    process.exit(0);
  }
  const logMode = values['portcullis-log'];
  if (logMode !== 'file' && logMode !== 'harness') throw new Error('--portcullis-log must be file or harness');
  return {
    durationS: positive('duration', values.duration),
    connections: positive('connections', values.connections),
    cases: parseList('only', values.only, CASES),
    saveMb: positive('save-mb', values['save-mb']),
    targets: parseList('targets', values.targets, TARGETS),
    logMode: logMode as PortcullisLogMode,
    rounds: positive('rounds', values.rounds),
  };
}

function tcpEndpoint(address: string): Endpoint {
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(address);
  if (!m?.[1] || !m[2]) throw new Error(`unexpected listener address ${address}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0]?.trim() || 'unknown';
}

function cpuModel(): string {
  return os.cpus()[0]?.model?.trim() ?? 'unknown';
}

interface Live {
  endpoint: Endpoint;
  pid?: number;
  /** extra request headers for this target (the tenant client's bearer token) */
  headers?: Headers;
}

/** Length of the JSON array a `GET /containers/json` answers with, through an endpoint. */
async function countContainers(ep: Endpoint, path: string, headers?: Headers): Promise<number> {
  if ('socketPath' in ep) {
    const r = await api(ep.socketPath, 'GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    return (JSON.parse(r.body) as unknown[]).length;
  }
  const res = await fetch(`http://${ep.host}:${ep.port}${path}`, { headers });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${body.slice(0, 300)}`);
  return (JSON.parse(body) as unknown[]).length;
}

function loadavg(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

async function main(): Promise<number> {
  const flags = parseFlags();
  const startLoad = os.loadavg()[0] ?? 0;
  const startedAt = new Date();
  const results: BenchResults = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    params: {
      connections: flags.connections,
      durationS: flags.durationS,
      warmupS: WARMUP_S,
      rounds: flags.rounds,
      saveMb: flags.saveMb,
      saveRuns: SAVE_RUNS,
      cases: flags.cases,
      listContainers: LIST_CONTAINERS,
      tenantContainers: TENANT_CONTAINERS,
      tenantVisible: TENANT_VISIBLE,
    },
    environment: {
      node: process.version,
      haproxy: firstLine('haproxy', ['-v']),
      cpus: `${os.availableParallelism()} × ${cpuModel()}`,
      kernel: `${os.type()} ${os.release()}`,
      memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
      'load average at start': loadavg(),
      'portcullis decision log': flags.logMode === 'file' ? 'stdout to a file (like HAProxy request log)' : 'stdout piped to the e2e harness',
      'load generator': 'autocannon 8 (programmatic API, in the bench process)',
    },
    targets: {
      direct: { available: false, error: 'not requested' },
      haproxy: { available: false, error: 'not requested' },
      portcullis: { available: false, error: 'not requested' },
    },
    ping: {},
    list: {},
    tenantList: {},
    save: {},
    checks: [],
    notes: [],
  };

  const stops: Array<[string, () => Promise<void>]> = [];
  const live = new Map<TargetName, Live>();
  let dockerd: Dockerd | undefined;
  let failed = false;
  const workDir = await mkdtemp('/tmp/pc-bench-');
  const forgetWorkDir = onProcessExit(() => rmSync(workDir, { recursive: true, force: true }));
  stops.push([
    'work dir',
    async () => {
      await rm(workDir, { recursive: true, force: true });
      forgetWorkDir();
    },
  ]);

  try {
    progress('starting a private dockerd');
    dockerd = await startDockerd();
    const d = dockerd;
    stops.push(['dockerd', () => d.stop()]);
    await ensureBusybox(d);
    const v = await daemonVersion(d.socket);
    results.environment.dockerd = `${v.Version} (API ${v.ApiVersion})`;
    progress(`dockerd ${v.Version} ready at ${d.socket}`);

    // --- targets
    if (flags.targets.includes('direct')) {
      live.set('direct', { endpoint: { socketPath: d.socket } });
      results.targets.direct = { available: true, address: `unix://${d.socket}`, pid: d.pid };
    }
    if (flags.targets.includes('haproxy')) {
      try {
        const h = await startHaproxy(workDir, d.socket);
        stops.push(['haproxy', () => h.stop()]);
        live.set('haproxy', { endpoint: { host: '127.0.0.1', port: h.port }, pid: h.pid });
        results.targets.haproxy = {
          available: true,
          address: `tcp://127.0.0.1:${h.port}`,
          pid: h.pid,
          version: results.environment.haproxy,
          note: 'Tecnativa docker-socket-proxy rules, CONTAINERS=1 IMAGES=1 POST=0; request log to a file',
        };
        progress(`haproxy listening on 127.0.0.1:${h.port} (pid ${h.pid})`);
      } catch (e) {
        results.targets.haproxy = { available: false, error: (e as Error).message };
        progress(`haproxy unavailable: ${(e as Error).message}`);
      }
    }
    if (flags.targets.includes('portcullis')) {
      if (!(await portcullisBuilt())) {
        results.targets.portcullis = { available: false, error: 'dist/cli/main.js is missing (npm run build)' };
        progress('portcullis unavailable: dist/cli/main.js is missing');
      } else {
        try {
          const p = await launchPortcullis(portcullisConfig(d.socket), flags.logMode, 'bench');
          stops.push(['portcullis', () => p.stop()]);
          live.set('portcullis', { endpoint: tcpEndpoint(p.address), pid: p.pid });
          results.targets.portcullis = {
            available: true,
            address: p.address,
            pid: p.pid,
            note: 'policy allows SystemPing, ContainerList, ImageGet; log.decisions true',
          };
          progress(`portcullis listening on ${p.address} (pid ${p.pid})`);
        } catch (e) {
          results.targets.portcullis = { available: false, error: (e as Error).message.split('\n')[0] ?? 'failed' };
          results.notes.push(`portcullis failed to start: ${(e as Error).message.replace(/\s+/g, ' ').slice(0, 600)}`);
          progress(`portcullis unavailable: ${(e as Error).message}`);
        }
      }
    }

    const loadCase = async (
      name: string,
      key: 'ping' | 'list' | 'tenantList',
      path: string,
      targets: Array<[TargetName, Live]> = [...live],
    ): Promise<void> => {
      const roundS = flags.durationS / flags.rounds;
      for (const [t, target] of targets) {
        progress(`${name}: warm-up ${t} GET ${path} (${WARMUP_S} s, ${flags.connections} connections)`);
        await warmUp(target.endpoint, path, flags.connections, WARMUP_S, target.headers).catch((e: unknown) => {
          progress(`${name}: warm-up of ${t} failed: ${(e as Error).message}`);
        });
      }
      const acc = new Map(targets.map(([t]) => [t, new LoadAccumulator()] as const));
      for (let r = 0; r < flags.rounds; r++) {
        for (let k = 0; k < targets.length; k++) {
          // rotate the order each round so no target always runs right after another one
          const [t, target] = targets[(r + k) % targets.length] as [TargetName, Live];
          try {
            const rps = await acc.get(t)!.round(target.endpoint, path, flags.connections, roundS, target.headers);
            progress(`${name} round ${r + 1}/${flags.rounds}: ${t} ${rps.toFixed(0)} req/s (${roundS} s)`);
          } catch (e) {
            results.notes.push(`${name}/${t} round ${r + 1}: ${(e as Error).message}`);
            progress(`${name} round ${r + 1}/${flags.rounds}: ${t} failed: ${(e as Error).message}`);
          }
        }
      }
      for (const [t, a] of acc) {
        const res = a.result();
        if (!(res.seconds > 0)) continue;
        results[key][t] = res;
        progress(`${name}: ${t} ${res.rps.toFixed(0)} req/s, p50 ${res.p50Ms.toFixed(2)} ms, p99 ${res.p99Ms.toFixed(2)} ms`);
        if (res.non2xx > 0 || res.errors > 0) {
          results.notes.push(`${name}/${t}: ${res.non2xx} non-2xx responses and ${res.errors} errors out of ${res.requests} (only 2xx count toward req/s)`);
        }
      }
    };

    // --- case 1: ping
    if (flags.cases.includes('ping')) await loadCase('ping', 'ping', '/_ping');

    // --- case 2: container list with running containers
    if (flags.cases.includes('list')) {
      progress(`creating ${LIST_CONTAINERS} running busybox containers`);
      stops.push(['bench containers', async () => void (await removeLabelled(d.socket, LABEL))]);
      await startSleepers(d.socket, LIST_CONTAINERS, LABEL);
      await new Promise((r) => setTimeout(r, 3000)); // let dockerd finish its start-up work for them
      try {
        await loadCase('list', 'list', '/containers/json');
      } finally {
        progress('removing the containers');
        await removeLabelled(d.socket, LABEL);
      }
    }

    // --- case 3: container list of a tenant (ownership filter pushed down) against the unfiltered list
    if (flags.cases.includes('tenant-list')) {
      const path = '/containers/json?all=1';
      const targets: Array<[TargetName, Live]> = [];
      const direct = live.get('direct');
      if (direct) targets.push(['direct', direct]);
      let stopTenant: (() => Promise<void>) | undefined;
      if (live.has('portcullis')) {
        // a second Portcullis with the tenant configuration, only for this case
        const token = randomBytes(24).toString('hex');
        try {
          const p = await launchPortcullis(portcullisTenantConfig(d.socket, token), flags.logMode, 'bench');
          let stopping: Promise<void> | undefined;
          stopTenant = () => (stopping ??= p.stop());
          stops.push(['tenant portcullis', stopTenant]);
          targets.push(['portcullis', { endpoint: tcpEndpoint(p.address), pid: p.pid, headers: { authorization: `Bearer ${token}` } }]);
          progress(`tenant-list: portcullis (tenant config, client ${TENANT_CLIENT} by token) listening on ${p.address} (pid ${p.pid})`);
        } catch (e) {
          results.notes.push(`tenant-list: portcullis with the tenant config failed to start: ${(e as Error).message.replace(/\s+/g, ' ').slice(0, 600)}`);
          progress(`tenant-list: portcullis unavailable: ${(e as Error).message}`);
        }
      }
      if (live.has('haproxy')) results.notes.push('tenant-list: haproxy not measured (it has no notion of tenants)');
      progress(`creating ${TENANT_CONTAINERS} busybox containers (not started), ${TENANT_VISIBLE} owned by ${TENANT_CLIENT}`);
      stops.push(['tenant-list containers', async () => void (await removeLabelled(d.socket, LABEL))]);
      try {
        await createSleepers(d.socket, TENANT_CONTAINERS, LABEL, {
          count: TENANT_VISIBLE,
          labels: { [OWNER_LABEL]: TENANT_CLIENT },
        });
        // sanity check: how many containers each target answers with
        for (const [t, target] of targets) {
          const n = await countContainers(target.endpoint, path, target.headers);
          const want = t === 'direct' ? TENANT_CONTAINERS : TENANT_VISIBLE;
          progress(`tenant-list: ${t} lists ${n} containers`);
          if (n !== want) results.notes.push(`tenant-list/${t}: GET ${path} listed ${n} containers, expected ${want}`);
        }
        await loadCase('tenant-list', 'tenantList', path, targets);
      } finally {
        progress('removing the containers');
        await removeLabelled(d.socket, LABEL);
        if (stopTenant) {
          progress('stopping the tenant portcullis');
          await stopTenant().catch(() => undefined);
        }
      }
    }

    // --- case 4: image save
    if (flags.cases.includes('save')) {
      progress(`building a ${flags.saveMb} MiB image`);
      const name = `${BIG_IMAGE.repo}:${BIG_IMAGE.tag}`;
      stops.push(['big image', () => removeImage(d.socket, name)]);
      const size = await buildBigImage(d.socket, workDir, BIG_IMAGE, flags.saveMb);
      results.save.imageBytes = size;
      progress(`image ${name} is ${(size / 1e6).toFixed(0)} MB`);
      const path = `/images/${name}/get`;
      // Warm-up: a small save through every target (JIT, connection paths), then one discarded
      // full-size save on the socket so every measured run reads the layer from the page cache.
      for (const [t, target] of live) {
        try {
          await transfer(target.endpoint, '/images/busybox:local/get');
        } catch (e) {
          progress(`save warm-up on ${t} failed: ${(e as Error).message}`);
        }
      }
      const direct = live.get('direct');
      if (direct) await transfer(direct.endpoint, path);
      const runs = new Map<TargetName, SaveRun[]>();
      for (let i = 1; i <= SAVE_RUNS; i++) {
        for (const [t, target] of live) {
          try {
            let run: SaveRun;
            if (target.pid !== undefined && t !== 'direct') {
              const m = await withPeakRss(target.pid, () => transfer(target.endpoint, path));
              run = { ...m.result, peakRssKb: m.peakKb, baseRssKb: m.baseKb };
            } else {
              run = await transfer(target.endpoint, path);
            }
            if (run.status !== 200) throw new Error(`HTTP ${run.status}`);
            if (results.save.saveBytes !== undefined && run.bytes !== results.save.saveBytes) {
              results.notes.push(`save/${t} run ${i}: ${run.bytes} bytes, expected ${results.save.saveBytes}`);
            }
            results.save.saveBytes ??= run.bytes;
            const list = runs.get(t) ?? [];
            list.push(run);
            runs.set(t, list);
            const rss = run.peakRssKb !== undefined ? `, peak RSS ${((run.peakRssKb * 1024) / 1e6).toFixed(1)} MB` : '';
            progress(`save ${i}/${SAVE_RUNS}: ${t} ${(run.bytes / 1e6).toFixed(0)} MB in ${run.seconds.toFixed(2)} s = ${run.mbPerSec.toFixed(0)} MB/s${rss}`);
          } catch (e) {
            results.notes.push(`save/${t} run ${i}: ${(e as Error).message}`);
            progress(`save ${i}/${SAVE_RUNS}: ${t} failed: ${(e as Error).message}`);
          }
        }
      }
      for (const [t, rs] of runs) {
        const peaks = rs.flatMap((r) => (r.peakRssKb === undefined ? [] : [(r.peakRssKb * 1024) / 1e6]));
        const bases = rs.flatMap((r) => (r.baseRssKb === undefined ? [] : [(r.baseRssKb * 1024) / 1e6]));
        results.save[t] = {
          runs: rs,
          mbPerSec: median(rs.map((r) => r.mbPerSec)),
          ...(peaks.length ? { peakRssMb: Math.max(...peaks), baseRssMb: median(bases) } : {}),
        };
      }
      progress('removing the image');
      await removeImage(d.socket, name);
    }
  } catch (e) {
    failed = true;
    results.notes.push(`bench aborted: ${(e as Error).message.replace(/\s+/g, ' ').slice(0, 600)}`);
    progress(`aborted: ${(e as Error).stack ?? String(e)}`);
  } finally {
    for (const [what, stop] of stops.reverse()) {
      progress(`stopping ${what}`);
      try {
        await stop();
      } catch (e) {
        progress(`stopping ${what} failed: ${(e as Error).message}`);
      }
    }
  }

  results.finishedAt = new Date().toISOString();
  results.environment['load average at end'] = loadavg();
  const busy = os.loadavg()[0] ?? 0;
  if (startLoad > os.availableParallelism() / 2 || busy > os.availableParallelism() / 2) {
    results.notes.push(
      `the machine was busy with other work (1-min load average ${startLoad.toFixed(1)} at start, ${busy.toFixed(1)} at end, ` +
        `${os.availableParallelism()} CPUs): treat the numbers as noisy`,
    );
  }
  results.checks = computeChecks(results);
  process.stdout.write(renderText(results));

  if (dockerd !== undefined) {
    const dir = fileURLToPath(new URL('./results/', import.meta.url));
    await mkdir(dir, { recursive: true });
    const stamp = results.startedAt.replace(/[:.]/g, '-');
    const md = renderMarkdown(results);
    await writeFile(join(dir, `${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(join(dir, `${stamp}.md`), md);
    await writeFile(join(dir, 'latest.md'), md);
    progress(`wrote bench/results/${stamp}.json, ${stamp}.md and latest.md (total ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
