import type { Config } from '../config/schema.js';
import { reloadTlsListeners } from '../listener/listen.js';
import { createLogger } from '../log/logger.js';
import type { CompiledPolicy } from '../policy/types.js';
import { startProxy } from '../proxy/server.js';
import { formatAddress } from '../config/address.js';
import { probeUpstream } from '../upstream/probe.js';

export interface Loaded {
  readonly config: Config;
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
}

/** Runs until SIGTERM or SIGINT, then shuts down gracefully and exits; SIGHUP reloads TLS files. */
export async function serveCommand(loaded: Loaded): Promise<void> {
  const { config, policies } = loaded;
  const logger = createLogger(config.log.level);
  const proxy = await startProxy(config, policies, logger);
  // Not awaited: the proxy serves (and answers 502) whatever the probe finds.
  void probeUpstream(config.upstream.address).then((r) => {
    if (!r.ok) logger.error({ upstream: formatAddress(config.upstream.address), errno: r.errno }, r.message ?? 'upstream unreachable');
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.limits.shutdownGraceMs }, 'shutting down');
    void proxy.shutdown(config.limits.shutdownGraceMs).then(() => {
      logger.info('stopped');
      logger.flush(() => process.exit(0));
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGHUP re-reads the certificates and keys of TLS listeners (e.g. after a renewal); connections
  // already established keep theirs. A listener whose new files are broken keeps the old ones.
  process.on('SIGHUP', () => {
    if (stopping) return;
    const results = reloadTlsListeners();
    const reloaded = results.filter((r) => r.error === undefined).map((r) => r.listener);
    for (const f of results) if (f.error !== undefined) logger.error({ listener: f.listener, error: f.error }, 'tls reload failed');
    if (reloaded.length > 0 || results.length === 0) logger.info({ listeners: reloaded }, 'tls reloaded');
  });
}
