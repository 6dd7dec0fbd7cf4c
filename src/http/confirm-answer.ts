import type { Confirm, Confirmed } from '../inspect/types.js';
import { readAnswer } from './rewrite-response.js';

/**
 * Runs a verdict's confirm on a complete held answer. An answer that cannot be read, or a confirm
 * that fails, refuses (fail closed): the client is never told of something that was not judged.
 */
export async function confirmAnswer(held: Buffer, confirm: Confirm): Promise<Confirmed> {
  const answer = readAnswer(held);
  if (answer === null) return { ok: false, rule: 'PC_INSPECT_FAILED', status: 502, reason: "the daemon's answer could not be read to be confirmed" };
  try {
    return await confirm(answer);
  } catch (error) {
    return { ok: false, rule: 'PC_INSPECT_FAILED', status: 502, reason: `the answer could not be confirmed: ${(error as Error).message ?? String(error)}` };
  }
}
