import type { Config } from '../config/schema.js';
import { createLogger } from '../log/logger.js';
import type { CompiledPolicy } from '../policy/types.js';
import { startProxy } from '../proxy/server.js';

export interface Loaded {
  readonly config: Config;
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
}

/** Runs until SIGTERM or SIGINT, then shuts down gracefully and exits. */
export async function serveCommand(loaded: Loaded): Promise<void> {
  const { config, policies } = loaded;
  const logger = createLogger(config.log.level);
  const proxy = await startProxy(config, policies, logger);
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
}
