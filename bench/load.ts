/** Request-rate cases, driven by autocannon's programmatic API. */
import autocannon, { type Options, type Result } from 'autocannon';
import type { Endpoint } from './save.js';

export interface LoadResult {
  /** completed 2xx responses per second over the measured run */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  seconds: number;
  /** req/s of each interleaved round */
  roundRps: number[];
}

/** Extra request headers, e.g. `Authorization: Bearer …` to be recognised as a Portcullis client. */
export type Headers = Record<string, string>;

function options(ep: Endpoint, path: string, connections: number, duration: number, headers?: Headers): Options {
  const extra = headers && Object.keys(headers).length ? { headers } : {};
  if ('socketPath' in ep) {
    return { url: `http://localhost${path}`, socketPath: ep.socketPath, connections, duration, timeout: 30, ...extra };
  }
  return { url: `http://${ep.host}:${ep.port}${path}`, connections, duration, timeout: 30, ...extra };
}

/** Response times (ms, sub-millisecond resolution) of the 2xx responses, from autocannon's `response` event. */
class Samples {
  private buf = new Float64Array(1 << 16);
  n = 0;
  add(v: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Float64Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = v;
  }
  percentile(p: number): number {
    if (this.n === 0) return Number.NaN;
    const s = this.buf.slice(0, this.n).sort();
    return s[Math.min(this.n - 1, Math.ceil((p / 100) * this.n) - 1)] as number;
  }
}

function run(opts: Options, samples?: Samples): Promise<Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    if (samples) {
      instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
        if (status >= 200 && status < 300) samples.add(ms);
      });
    }
  });
}

/** Discarded run, so JIT, connection pools and caches on every side are warm before measuring. */
export async function warmUp(ep: Endpoint, path: string, connections: number, seconds: number, headers?: Headers): Promise<void> {
  if (seconds > 0) await run(options(ep, path, connections, seconds, headers));
}

/**
 * Accumulates measured rounds of one target. Targets are measured in interleaved rounds so that
 * drift in the machine's load (other processes, dockerd's own background work) hits every target alike.
 * Latency percentiles are computed from every 2xx response time (autocannon's histogram rounds to whole ms).
 */
export class LoadAccumulator {
  private readonly samples = new Samples();
  private ok = 0;
  private seconds = 0;
  private requests = 0;
  private non2xx = 0;
  private errors = 0;
  readonly roundRps: number[] = [];

  async round(ep: Endpoint, path: string, connections: number, durationS: number, headers?: Headers): Promise<number> {
    const r = await run(options(ep, path, connections, durationS, headers), this.samples);
    this.ok += r['2xx'];
    this.seconds += r.duration;
    this.requests += r.requests.total;
    this.non2xx += r.non2xx;
    this.errors += r.errors;
    const rps = r['2xx'] / r.duration;
    this.roundRps.push(rps);
    return rps;
  }

  result(): LoadResult {
    return {
      rps: this.ok / this.seconds,
      p50Ms: this.samples.percentile(50),
      p99Ms: this.samples.percentile(99),
      requests: this.requests,
      non2xx: this.non2xx,
      errors: this.errors,
      seconds: this.seconds,
      roundRps: this.roundRps,
    };
  }
}
