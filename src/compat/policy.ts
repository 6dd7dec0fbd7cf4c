import type { Operation } from '../catalogue/operation.js';
import { OPERATIONS } from '../catalogue/operations.js';
import type { PolicySpec, RuleSpec } from '../policy/types.js';
import { SECTIONS, type CompatSettings } from './variables.js';

/*
 * The socket proxies decide by regular expressions over the raw path; Portcullis decides by the
 * operation dockerd will run (docs/compat.md lists every place where that gives another answer).
 * Each operation is granted by one variable, named in the rule id (`compat-CONTAINERS`), so a
 * denial or the decision log says which switch would open it.
 */

const SEGMENT_VARIABLE: ReadonlyMap<string, string> = new Map(SECTIONS.map(([variable, segment]) => [segment, variable]));

/** The switch that alone decides these operations, whichever method and POST say (linuxserver). */
const LIFECYCLE_OPS: Readonly<Record<string, string>> = {
  ContainerStart: 'ALLOW_START',
  ContainerStop: 'ALLOW_STOP',
  ContainerRestart: 'ALLOW_RESTARTS',
  ContainerKill: 'ALLOW_RESTARTS',
  ContainerPause: 'ALLOW_PAUSE',
  ContainerUnpause: 'ALLOW_UNPAUSE',
};

/** Operations under CONTAINERS that also need their read guard. */
const GUARDED: Readonly<Record<string, string>> = {
  ContainerArchive: 'ALLOW_ARCHIVE',
  ContainerArchiveInfo: 'ALLOW_ARCHIVE',
  PutContainerArchive: 'ALLOW_ARCHIVE',
  ContainerExport: 'ALLOW_EXPORT',
  ContainerLogs: 'ALLOW_LOGS',
  ContainerTop: 'ALLOW_TOP',
  ContainerChanges: 'ALLOW_CHANGES',
};

function sectionOf(op: Operation): string {
  const segment = op.path.split('/')[1] as string;
  const variable = SEGMENT_VARIABLE.get(segment);
  if (variable === undefined) throw new Error(`no compat section for ${op.id} (${op.path})`);
  return variable;
}

/** The variable whose switch grants `op` under these settings, or null when nothing does. */
export function grantingVariable(op: Operation, s: CompatSettings): string | null {
  const on = (v: string): boolean => s.on.get(v) === true;
  // The websocket attach is a GET that carries stdin into the container: a write, whatever its method.
  const writes = (op.method !== 'GET' && op.method !== 'HEAD') || op.id === 'ContainerAttachWebsocket';
  const lifecycle = LIFECYCLE_OPS[op.id];
  if (lifecycle !== undefined) {
    if (s.flavour === 'linuxserver') return on(lifecycle) ? lifecycle : null;
    if (!on('POST')) return null;
    if (on(lifecycle)) return lifecycle;
    // Tecnativa's ALLOW_RESTARTS pattern (stop|restart|kill) also opens stop.
    if (op.id === 'ContainerStop' && on('ALLOW_RESTARTS')) return 'ALLOW_RESTARTS';
    return on('CONTAINERS') ? 'CONTAINERS' : null;
  }
  if (writes && !on('POST')) return null;
  const section = sectionOf(op);
  if (!on(section)) return null;
  // Creating an exec is a containers path, starting it an exec one: both originals need both switches to run anything.
  if (op.id === 'ContainerExec') return on('EXEC') ? 'EXEC' : null;
  const guard = GUARDED[op.id];
  if (guard !== undefined) return on(guard) ? guard : null;
  return section;
}

/** The policy the environment describes. */
export function compatPolicy(s: CompatSettings): PolicySpec {
  const byVariable = new Map<string, string[]>();
  for (const op of OPERATIONS) {
    const variable = grantingVariable(op, s);
    if (variable === null) continue;
    const ops = byVariable.get(variable) ?? [];
    ops.push(op.id);
    byVariable.set(variable, ops);
  }
  const rules: RuleSpec[] = [...byVariable].map(([variable, ops]) => ({ id: `compat-${variable}`, allow: ops }));
  const visibility =
    s.containerNames.length > 0 || s.containerLabels.length > 0
      ? { match: 'substring' as const, containers: { names: s.containerNames, labels: s.containerLabels } }
      : undefined;
  return {
    rules,
    // An empty block takes the hardened defaults (docs/constraints.md).
    ...(s.harden ? { constraints: {} } : {}),
    ...(visibility !== undefined ? { visibility } : {}),
    ...(s.scrubEnvs ? { redact: { env: true } } : {}),
  };
}
