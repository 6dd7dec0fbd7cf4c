import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecisionEntry } from '../log/decision-log.js';

/** What the metrics read from the running proxy when they are scraped. */
export interface MetricsSource {
  counts(): { connections: number; streamOperations: ReadonlyArray<string | null> };
  generation(): number;
  /** whether the daemon answers _ping now */
  upstreamUp(): Promise<boolean>;
}

/** Stream kinds, so that the label has a handful of values whatever the traffic. */
const STREAM_KINDS: Readonly<Record<string, string>> = {
  SystemEvents: 'events',
  ContainerLogs: 'logs',
  ServiceLogs: 'logs',
  TaskLogs: 'logs',
  ContainerAttach: 'attach',
  ContainerAttachWebsocket: 'attach',
  ExecStart: 'exec',
  ContainerStats: 'stats',
  ContainerWait: 'wait',
};
const KINDS = [...new Set([...Object.values(STREAM_KINDS), 'other'])];

export function streamKind(operation: string | null): string {
  return (operation !== null ? STREAM_KINDS[operation] : undefined) ?? 'other';
}

/**
 * The Prometheus metrics (docs/operations.md). Labels are bounded by the config and the
 * catalogue: client names, operationIds, decisions, modes; never paths, addresses or object names.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'client' | 'operation' | 'decision' | 'mode'>;
  private readonly duration: Histogram<'operation' | 'decision'>;
  private readonly upstreamErrors: Counter<'errno'>;
  private readonly reloads: Counter<'result'>;

  constructor(source: MetricsSource, version: string) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'portcullis_requests_total',
      help: 'Requests decided, by client, operationId, decision (allow, deny, would_deny) and policy mode',
      labelNames: ['client', 'operation', 'decision', 'mode'],
      registers,
    });
    this.duration = new Histogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Time from the request head to the end of its response (streams: to their end)',
      labelNames: ['operation', 'decision'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    new Gauge({
      name: 'portcullis_active_connections',
      help: 'Client connections open now',
      registers,
      collect() {
        this.set(source.counts().connections);
      },
    });
    new Gauge({
      name: 'portcullis_active_streams',
      help: 'Long-lived streams open now (events, logs -f, attach, exec, stats, wait, other hijacks)',
      labelNames: ['kind'],
      registers,
      collect() {
        const by = new Map(KINDS.map((k) => [k, 0]));
        for (const op of source.counts().streamOperations) {
          const k = streamKind(op);
          by.set(k, by.get(k)! + 1);
        }
        for (const [kind, n] of by) this.set({ kind }, n);
      },
    });
    new Gauge({
      name: 'portcullis_upstream_up',
      help: '1 when the Docker daemon answered _ping at scrape time, else 0',
      registers,
      async collect() {
        this.set((await source.upstreamUp()) ? 1 : 0);
      },
    });
    this.upstreamErrors = new Counter({
      name: 'portcullis_upstream_errors_total',
      help: 'Failed connections to the Docker daemon, by error code',
      labelNames: ['errno'],
      registers,
    });
    this.reloads = new Counter({
      name: 'portcullis_config_reloads_total',
      help: 'Config reloads, by result (success, failure)',
      labelNames: ['result'],
      registers,
    });
    for (const result of ['success', 'failure']) this.reloads.inc({ result }, 0);
    new Gauge({
      name: 'portcullis_policy_generation',
      help: 'Generation of the config in force: 1 at start, +1 per successful reload',
      registers,
      collect() {
        this.set(source.generation());
      },
    });
    new Gauge({ name: 'portcullis_build_info', help: 'Version of Portcullis and Node.js', labelNames: ['version', 'node'], registers }).set(
      { version, node: process.version },
      1,
    );
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a decided request; called with every decision line, whether or not it is logged. */
  request(e: DecisionEntry, mode: string): void {
    const operation = e.operation ?? 'none';
    this.requests.inc({ client: e.client ?? '', operation, decision: e.decision, mode });
    this.duration.observe({ operation, decision: e.decision }, e.duration_ms / 1000);
  }

  upstreamError(errno: string): void {
    this.upstreamErrors.inc({ errno });
  }

  reload(result: 'success' | 'failure'): void {
    this.reloads.inc({ result });
  }
}
