/** Result model, target checks, and the text / Markdown / JSON renderings. */
import type { LoadResult } from './load.js';

export const TARGETS = ['direct', 'haproxy', 'portcullis'] as const;
export type TargetName = (typeof TARGETS)[number];
export const CASES = ['ping', 'list', 'tenant-list', 'save'] as const;
export type CaseName = (typeof CASES)[number];

export interface SaveRun {
  bytes: number;
  seconds: number;
  mbPerSec: number;
  status: number;
  /** peak resident set of the proxy process during the transfer, kB (absent for `direct`) */
  peakRssKb?: number;
  /** resident set just before the transfer, kB */
  baseRssKb?: number;
}

export interface SaveResult {
  runs: SaveRun[];
  /** median of the runs */
  mbPerSec: number;
  /** max over the runs, MB (10^6 bytes) */
  peakRssMb?: number;
  /** median resident set just before each transfer, MB */
  baseRssMb?: number;
}

export interface TargetInfo {
  available: boolean;
  error?: string;
  address?: string;
  pid?: number;
  version?: string;
  note?: string;
}

export interface Check {
  name: string;
  rule: string;
  value: string;
  pass: boolean | null;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  params: {
    connections: number;
    durationS: number;
    warmupS: number;
    /** each target's measured time is split into this many interleaved rounds */
    rounds: number;
    saveMb: number;
    saveRuns: number;
    cases: CaseName[];
    listContainers: number;
    /** `tenant-list`: containers created on the daemon, and how many of them the client owns */
    tenantContainers: number;
    tenantVisible: number;
  };
  environment: Record<string, string>;
  targets: Record<TargetName, TargetInfo>;
  ping: Partial<Record<TargetName, LoadResult>>;
  list: Partial<Record<TargetName, LoadResult>>;
  /** `tenant-list`: `direct` unfiltered on the socket, `portcullis` as the tenant client (haproxy not measured) */
  tenantList: Partial<Record<TargetName, LoadResult>>;
  save: Partial<Record<TargetName, SaveResult>> & { imageBytes?: number; saveBytes?: number };
  checks: Check[];
  notes: string[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
  return a / b;
}

export function computeChecks(r: BenchResults): Check[] {
  const checks: Check[] = [];
  const fmt = (x: number | undefined): string => (x === undefined ? 'n/a' : `${x.toFixed(2)}×`);
  if (r.params.cases.includes('list')) {
    const q = ratio(r.list.portcullis?.rps, r.list.haproxy?.rps);
    checks.push({
      name: 'GET /containers/json throughput',
      rule: 'portcullis ≥ 0.95 × haproxy req/s',
      value: fmt(q),
      pass: q === undefined ? null : q >= 0.95,
    });
  }
  if (r.params.cases.includes('ping')) {
    const q = ratio(r.ping.portcullis?.rps, r.ping.haproxy?.rps);
    checks.push({
      name: 'GET /_ping throughput',
      rule: 'portcullis ≥ 0.6 × haproxy req/s',
      value: fmt(q),
      pass: q === undefined ? null : q >= 0.6,
    });
  }
  if (r.params.cases.includes('tenant-list')) {
    const q = ratio(r.tenantList.portcullis?.p50Ms, r.tenantList.direct?.p50Ms);
    const qr = ratio(r.tenantList.portcullis?.rps, r.tenantList.direct?.rps);
    checks.push({
      name: `GET /containers/json, ${r.params.tenantContainers} containers of which ${r.params.tenantVisible} visible to the client`,
      rule: 'portcullis p50 ≤ 1.2 × unfiltered direct p50',
      value: `p50 ${fmt(q)}, req/s ${fmt(qr)}`,
      pass: q === undefined ? null : q <= 1.2,
    });
  }
  if (r.params.cases.includes('save')) {
    const q = ratio(r.save.portcullis?.mbPerSec, r.save.direct?.mbPerSec);
    const rss = r.save.portcullis?.peakRssMb;
    checks.push({
      name: `${r.params.saveMb} MiB image save`,
      rule: 'portcullis ≥ 0.95 × direct MB/s and peak RSS < 100 MB',
      value: `${fmt(q)}, peak RSS ${rss === undefined ? 'n/a' : `${rss.toFixed(1)} MB`}`,
      pass: q === undefined || rss === undefined ? null : q >= 0.95 && rss < 100,
    });
  }
  return checks;
}

type Row = { label: string; unit: string; values: Partial<Record<TargetName, number>>; digits: number };

function rows(r: BenchResults): Row[] {
  const out: Row[] = [];
  const pick = <T>(m: Partial<Record<TargetName, T>>, f: (x: T) => number | undefined): Partial<Record<TargetName, number>> => {
    const v: Partial<Record<TargetName, number>> = {};
    for (const t of TARGETS) {
      const x = m[t];
      const n = x === undefined ? undefined : f(x);
      if (n !== undefined) v[t] = n;
    }
    return v;
  };
  if (r.params.cases.includes('ping')) {
    out.push({ label: 'GET /_ping', unit: 'req/s', values: pick(r.ping, (x) => x.rps), digits: 0 });
    out.push({ label: 'GET /_ping', unit: 'p50 ms', values: pick(r.ping, (x) => x.p50Ms), digits: 2 });
    out.push({ label: 'GET /_ping', unit: 'p99 ms', values: pick(r.ping, (x) => x.p99Ms), digits: 2 });
  }
  if (r.params.cases.includes('list')) {
    const l = `GET /containers/json (${r.params.listContainers} running)`;
    out.push({ label: l, unit: 'req/s', values: pick(r.list, (x) => x.rps), digits: 0 });
    out.push({ label: l, unit: 'p50 ms', values: pick(r.list, (x) => x.p50Ms), digits: 2 });
    out.push({ label: l, unit: 'p99 ms', values: pick(r.list, (x) => x.p99Ms), digits: 2 });
  }
  if (r.params.cases.includes('tenant-list')) {
    const l = `GET /containers/json?all=1 (${r.params.tenantContainers} created; portcullis as tenant sees ${r.params.tenantVisible})`;
    out.push({ label: l, unit: 'req/s', values: pick(r.tenantList, (x) => x.rps), digits: 0 });
    out.push({ label: l, unit: 'p50 ms', values: pick(r.tenantList, (x) => x.p50Ms), digits: 2 });
    out.push({ label: l, unit: 'p99 ms', values: pick(r.tenantList, (x) => x.p99Ms), digits: 2 });
  }
  if (r.params.cases.includes('save')) {
    const size = r.save.saveBytes ? `${(r.save.saveBytes / 1e6).toFixed(0)} MB` : `${r.params.saveMb} MiB`;
    const l = `GET /images/{name}/get (${size}, median of ${r.params.saveRuns})`;
    const saves = { direct: r.save.direct, haproxy: r.save.haproxy, portcullis: r.save.portcullis };
    out.push({ label: l, unit: 'MB/s', values: pick(saves, (x) => x.mbPerSec), digits: 0 });
    out.push({ label: l, unit: 'RSS before MB', values: pick(saves, (x) => x.baseRssMb), digits: 1 });
    out.push({ label: l, unit: 'peak RSS MB (max)', values: pick(saves, (x) => x.peakRssMb), digits: 1 });
  }
  return out;
}

function fmtNum(n: number | undefined, digits: number): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(header: string[], body: string[][], align: ('l' | 'r')[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(header), sep, ...body.map(line)].join('\n');
}

export function resultsTable(r: BenchResults): string {
  const header = ['case', 'metric', 'direct', 'haproxy', 'portcullis', 'portcullis/haproxy', 'portcullis/direct'];
  const body = rows(r).map((row) => {
    const p = row.values.portcullis;
    const qh = ratio(p, row.values.haproxy);
    const qd = ratio(p, row.values.direct);
    return [
      row.label,
      row.unit,
      fmtNum(row.values.direct, row.digits),
      fmtNum(row.values.haproxy, row.digits),
      fmtNum(p, row.digits),
      qh === undefined ? '–' : `${qh.toFixed(2)}×`,
      qd === undefined ? '–' : `${qd.toFixed(2)}×`,
    ];
  });
  return table(header, body, ['l', 'l', 'r', 'r', 'r', 'r', 'r']);
}

export function checksTable(r: BenchResults): string {
  const body = r.checks.map((c) => [c.name, c.rule, c.value, c.pass === null ? 'N/A' : c.pass ? 'PASS' : 'FAIL']);
  return table(['target', 'rule', 'measured', 'result'], body, ['l', 'l', 'r', 'l']);
}

export function renderText(r: BenchResults): string {
  const lines = [
    `Portcullis bench ${r.finishedAt}: ${r.params.connections} connections, ${r.params.durationS} s per target and case ` +
      `(${r.params.rounds} interleaved rounds) after a ${r.params.warmupS} s warm-up`,
    '',
    resultsTable(r),
    '',
    checksTable(r),
  ];
  for (const t of TARGETS) {
    const info = r.targets[t];
    if (!info.available) lines.push('', `${t}: not measured (${info.error ?? 'unavailable'})`);
  }
  if (r.notes.length) lines.push('', ...r.notes.map((n) => `note: ${n}`));
  return `${lines.join('\n')}\n`;
}

export function renderMarkdown(r: BenchResults): string {
  const env = Object.entries(r.environment).map(([k, v]) => `- ${k}: ${v}`);
  const targets = TARGETS.map((t) => {
    const i = r.targets[t];
    const bits = [i.available ? 'measured' : `not measured: ${i.error ?? 'unavailable'}`];
    if (i.address) bits.push(i.address);
    if (i.version) bits.push(i.version);
    if (i.note) bits.push(i.note);
    return `- \`${t}\`: ${bits.join('; ')}`;
  });
  const saveRuns = TARGETS.flatMap((t) => {
    const s = r.save[t];
    if (!s) return [];
    return [
      `- \`${t}\`: ${s.runs
        .map((x) => `${x.mbPerSec.toFixed(0)} MB/s${x.peakRssKb !== undefined ? ` (peak RSS ${((x.peakRssKb * 1024) / 1e6).toFixed(1)} MB)` : ''}`)
        .join(', ')}`,
    ];
  });
  const roundLines = ([
    ['ping', 'ping'],
    ['list', 'list'],
    ['tenant-list', 'tenantList'],
  ] as const).flatMap(([c, key]) =>
    TARGETS.flatMap((t) => {
      const x = r[key][t];
      return x ? [`- ${c} \`${t}\`: ${x.roundRps.map((v) => v.toFixed(0)).join(', ')}`] : [];
    }),
  );
  return [
    `# Portcullis benchmark, ${r.finishedAt}`,
    '',
    `${r.params.connections} connections, ${r.params.durationS} s per target and request-rate case (in ${r.params.rounds} interleaved rounds) after a ${r.params.warmupS} s warm-up per target; ` +
      `image save of ${r.params.saveMb} MiB of random data, ${r.params.saveRuns} runs per target (median). See bench/README.md.`,
    '',
    '## Results',
    '',
    resultsTable(r),
    '',
    '## Targets from the issue',
    '',
    checksTable(r),
    '',
    '## Targets',
    '',
    ...targets,
    '',
    ...(roundLines.length ? ['## req/s of each interleaved round', '', ...roundLines, ''] : []),
    ...(saveRuns.length ? ['## Individual save runs', '', ...saveRuns, ''] : []),
    '## Environment',
    '',
    ...env,
    '',
    ...(r.notes.length ? ['## Notes', '', ...r.notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}
