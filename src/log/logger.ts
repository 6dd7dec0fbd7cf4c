import pino from 'pino';

export type Logger = pino.Logger;

/**
 * One JSON object per line on stdout: decision lines and lifecycle lines share the stream
 * so a log shipper needs one input. Writes are asynchronous so a burst of requests costs
 * a few coalesced write(2) calls instead of one each.
 */
export function createLogger(level: string): Logger {
  const destination = pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
