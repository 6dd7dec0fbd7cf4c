import http from 'node:http';
import { formatAddress, type Address } from '../config/address.js';
import { listen } from '../listener/listen.js';
import type { Logger } from '../log/logger.js';
import { policiesInUse, policyMode } from '../reload/generation.js';
import type { Runtime } from '../reload/runtime.js';
import type { Metrics } from './metrics.js';
import { pingDaemon } from './ping.js';

export interface AdminServer {
  readonly address: Address;
  close(): void;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

/**
 * The operator's listener: GET /metrics, /healthz, /readyz and /policy, nothing else. It is a
 * separate socket served by node:http and shares no code path with the Docker API listeners, so
 * no request to it can reach the daemon except the _ping of /readyz.
 */
export async function startAdmin(address: Address, runtime: Runtime, metrics: Metrics, logger: Logger): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      json(res, 405, { message: 'portcullis admin: only GET' });
      return;
    }
    switch (path) {
      case '/healthz':
        json(res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const gen = runtime.current;
        void pingDaemon(gen.dial, gen.config.admin?.readyTimeoutMs ?? 2000).then((r) =>
          r.ok ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: 'unready', reason: r.reason }),
        );
        return;
      }
      case '/metrics':
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
            res.end(text);
          },
          (error: Error) => json(res, 500, { message: error.message }),
        );
        return;
      case '/policy': {
        const gen = runtime.current;
        const names = new Set([...Object.keys(gen.config.policies), ...policiesInUse(gen.config)]);
        json(res, 200, {
          generation: gen.id,
          sha256: gen.sha256,
          source: gen.source,
          loadedAt: gen.loadedAt.toISOString(),
          policies: [...names].sort().map((name) => ({ name, mode: policyMode(gen.config, name), builtin: !(name in gen.config.policies) })),
        });
        return;
      }
      default:
        json(res, 404, { message: 'portcullis admin: not found (this listener serves /metrics, /healthz, /readyz and /policy, never the Docker API)' });
    }
  });
  server.keepAliveTimeout = 5000;
  // Bound like a proxy listener (stale unix sockets removed, tcp exclusive); node:http only parses.
  const listening = await listen({ address }, (socket) => server.emit('connection', socket));
  logger.info({ address: formatAddress(listening.address) }, 'admin listening');
  return {
    address: listening.address,
    close: () => {
      listening.server.close();
      server.closeAllConnections();
    },
  };
}
