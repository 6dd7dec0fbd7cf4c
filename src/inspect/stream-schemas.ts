import { ANY, type Descriptor } from './schemas.js';

/**
 * The shape of the values in a streamed answer, so a stream filter decodes them as the docker
 * CLI does. It matters for maps: ANY refuses keys that fold together, but an event's
 * `Actor.Attributes` carries a container's labels verbatim, and labels `Tier` and `tier` may
 * both exist; decoded as ANY, one such container would end every filtered events stream.
 */

const STRING: Descriptor = { kind: 'scalar', type: 'string' };
const NUMBER: Descriptor = { kind: 'scalar', type: 'number' };

/** moby's `events.Message` (api/types/events), as `json.Encoder` writes it on `GET /events`. */
export const EVENT_MESSAGE: Descriptor = {
  kind: 'struct',
  fields: {
    status: STRING,
    id: STRING,
    from: STRING,
    Type: STRING,
    Action: STRING,
    Actor: { kind: 'struct', fields: { ID: STRING, Attributes: { kind: 'map', values: STRING } } },
    scope: STRING,
    time: NUMBER,
    timeNano: NUMBER,
  },
};

/** The descriptor of each value streamed by an operation; ANY (the strictest) when we have none. */
export function streamSchemaFor(operationId: string | null): Descriptor {
  return operationId === 'SystemEvents' ? EVENT_MESSAGE : ANY;
}
