import { InspectRefusal } from '../inspect/refusal.js';

/** A hidden (or missing) object: 404 with dockerd's own message, so the two cannot be told apart. */
export function hidden(message: string, reason: string): never {
  throw new InspectRefusal('PC_HIDDEN', reason, 404, message);
}

/** A look-up that failed: refuse (fail closed). */
export function lookupFailed(reason: string): never {
  throw new InspectRefusal('PC_INSPECT_FAILED', reason);
}

/**
 * A volume name dockerd's local driver refuses, in its words: checked before a name prefix could
 * make it valid.
 */
export function invalidVolumeName(name: string): never {
  throw new InspectRefusal(
    'PC_HIDDEN',
    `volume name "${name}" is not one dockerd accepts`,
    400,
    `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
  );
}
