import pino from 'pino';

export type Logger = pino.Logger;

/**
 * One JSON object per line on stdout: decision lines and lifecycle lines share the stream
 * so a log shipper needs one input. Writes are asynchronous so a burst of requests costs
 * a few coalesced write(2) calls instead of one each.
 */
export function createLogger(level: string, file?: string): { logger: Logger; reopen(): void } {
  // A file is opened for appending and reopened on SIGHUP, so logrotate can move it away.
  const destination = pino.destination({ dest: file ?? 1, sync: false, ...(file !== undefined ? { mkdir: true, append: true } : {}) });
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return { logger, reopen: () => file !== undefined && destination.reopen() };
}
