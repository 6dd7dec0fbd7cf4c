import type { LoadedConfig } from '../config/load.js';
import { decisionLog } from '../log/decision-log.js';
import { createLogger } from '../log/logger.js';
import { createAuthorizer } from '../plugin/authorizer.js';
import { createSelfMarker } from '../plugin/self.js';
import { startPluginServer } from '../plugin/server.js';
import { createDial } from '../upstream/dial.js';
import { createLookup } from '../upstream/lookup.js';

export interface PluginCommandOptions {
  readonly name: string;
  readonly socketDir: string;
  readonly anonymousClient?: string;
}

/** Serves the authorization plugin until SIGTERM or SIGINT; the socket is removed on the way out. */
export async function pluginCommand(loaded: LoadedConfig, opts: PluginCommandOptions): Promise<void> {
  const { config } = loaded;
  const { logger } = createLogger(config.log.level, config.log.file);
  const self = createSelfMarker();
  const lookup = createLookup(createDial(config.upstream), self.headers);
  const authorizer = createAuthorizer(loaded, { lookup, self, ...(opts.anonymousClient !== undefined ? { anonymousClient: opts.anonymousClient } : {}) });
  const plugin = await startPluginServer({ name: opts.name, socketDir: opts.socketDir, authorizer, log: decisionLog(logger, config.log.decisions), logger });
  logger.info({ plugin: opts.name, socket: plugin.socket }, 'listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void plugin.close().then(() => {
      logger.info('stopped');
      logger.flush(() => process.exit(0));
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
