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
  /** would_deny: a policy in audit mode forwarded what enforce mode refuses */
  readonly decision: 'allow' | 'deny' | 'would_deny';
  /** rule id, or an error code for denials that precede the policy */
  readonly rule: string | null;
  /** status sent to the client; 0 when the connection ended before any response */
  readonly status: number;
  readonly duration_ms: number;
  readonly bytes_in: number;
  readonly bytes_out: number;
  /** on a 502: why the daemon could not be reached, e.g. EACCES, ECONNREFUSED, ENOENT */
  readonly errno?: string;
  /** the config generation that decided the request, and the SHA-256 of its text (hot reload) */
  readonly generation?: number;
  readonly config_sha256?: string;
  /** the refusal message of a denied or would-be-denied request (what the client is or would be told) */
  readonly reason?: string;
  /** the mode of the deciding policy; enforce when no policy was reached */
  readonly mode?: 'enforce' | 'audit';
}

export interface DecisionLog {
  record(entry: DecisionEntry): void;
}

/** `which`: every request, only those refused (deny and would_deny), or none (metrics still count them). */
export function decisionLog(logger: Logger, which: 'all' | 'denied' | 'none'): DecisionLog {
  if (which === 'none') return { record() {} };
  if (which === 'denied') {
    return {
      record(entry) {
        if (entry.decision !== 'allow') logger.info(entry, 'request');
      },
    };
  }
  return {
    record(entry) {
      logger.info(entry, 'request');
    },
  };
}
