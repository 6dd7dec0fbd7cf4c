import type { LoadedConfig, LoadOptions } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { startProxy } from '../proxy/server.js';
import { watchConfigFile } from '../reload/watch.js';
import { formatAddress } from '../config/address.js';
import { probeUpstream } from '../upstream/probe.js';

/**
 * Runs until SIGTERM or SIGINT, then shuts down gracefully and exits. SIGHUP, or a change of the
 * config file, reloads the whole config (docs/operations.md); TLS files are re-read with it.
 */
export async function serveCommand(loaded: LoadedConfig, loadOptions: LoadOptions = {}, version = 'unknown'): Promise<void> {
  const { logger, reopen } = createLogger(loaded.config.log.level, loaded.config.log.file);
  const proxy = await startProxy(loaded, logger, { loadOptions, version });
  const upstream = loaded.config.upstream.address;
  // Not awaited: the proxy serves (and answers 502) whatever the probe finds.
  void probeUpstream(upstream).then((r) => {
    if (!r.ok) logger.error({ upstream: formatAddress(upstream), errno: r.errno }, r.message ?? 'upstream unreachable');
  });
  let stopping = false;
  const watcher =
    loadOptions.file === undefined
      ? undefined
      : watchConfigFile(
          loadOptions.file,
          () => {
            if (!stopping) void proxy.reload('file');
          },
          (error) => logger.error({ file: loadOptions.file, error: error.message }, 'config file watch failed; SIGHUP still reloads'),
        );
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    watcher?.close();
    const graceMs = proxy.runtime.current.config.limits.shutdownGraceMs;
    logger.info({ signal, graceMs }, 'shutting down');
    void proxy.shutdown(graceMs).then(() => {
      logger.info('stopped');
      logger.flush(() => process.exit(0));
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (stopping) return;
    reopen();
    void proxy.reload('SIGHUP');
  });
}
