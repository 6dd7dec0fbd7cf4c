import type { Logger } from './logger.js';

/** What the audit trail records for every request. Never headers or bodies. */
export interface DecisionEntry {
  readonly listener: string;
  readonly remote: string;
  /** the identified client, or null when the request was refused before identification */
  readonly client: string | null;
  readonly method: string;
  /** canonical forwarded target path when routed, else the raw target (truncated) */
  readonly path: string;
  readonly operation: string | null;
  readonly decision: 'allow' | 'deny';
  /** rule id, or an error code for denials that precede the policy */
  readonly rule: string | null;
  /** status sent to the client; 0 when the connection ended before any response */
  readonly status: number;
  readonly duration_ms: number;
  readonly bytes_in: number;
  readonly bytes_out: number;
  /** the config generation that decided the request, and the SHA-256 of its text (hot reload) */
  readonly generation?: number;
  readonly config_sha256?: string;
}

export interface DecisionLog {
  record(entry: DecisionEntry): void;
}

export function decisionLog(logger: Logger, enabled: boolean): DecisionLog {
  if (!enabled) return { record() {} };
  return {
    record(entry) {
      logger.info(entry, 'request');
    },
  };
}
